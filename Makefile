# Kindred: `make run` serves the demo community; `make test` runs every test.
# Both install what they need first, so they work on a fresh machine.

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test install browser lint bench bench-quick clean-demo

# pip and setuptools too: a new venv's own are old releases, and CI audits them.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@# Compile the matching search now (numba caches it beside the source, ~20 s) rather than in the first round.
	$(PY) -c "from matching import group_members, synthetic; group_members(synthetic.population(80))"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; }

run: install
	FLASK_DEBUG=1 $(VENV)/bin/flask --app app demo

test: install browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -r community matching

bench: install
	$(PY) -m bench.matching

bench-quick: install
	$(PY) -m bench.matching --quick

clean-demo:
	rm -f instance/kindred.db instance/demo-logins.txt
	rm -rf instance/mail
