"""An OSV-style `/v1/query` endpoint answered from PyPI's project pages, for pip-audit.

Why: where only the package registries are reachable, pip-audit's own sources fail
(api.osv.dev does not resolve; PyPI's per-version JSON API answers 404), but PyPI's
project endpoint `/pypi/<name>/json` still answers. Its `vulnerabilities` list holds
the advisories that affect the project's latest release, and no other release. So this
endpoint can vouch for a pin that is the latest release and for nothing else: for any
other version it answers with an HTTP error, never with "no vulnerabilities", and
pip-audit fails instead of passing.

    python .ci/osv_from_pypi.py PINNED_REQUIREMENTS

serves the endpoint on a free port of 127.0.0.1, names every pin it cannot audit, runs
`pip-audit -s osv --osv-url ...` on the others, and exits non-zero if pip-audit found a
vulnerability or if any pin could not be audited. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PYPI_JSON_URL = "https://pypi.org/pypi"
# Pins in, no resolving; --strict makes a package it cannot audit an error, not a skip.
PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--strict", "--disable-pip", "--no-deps"]
PIP_AUDIT += ["--progress-spinner", "off", "--desc", "on"]


class NoAdvisoryData(Exception):
    """PyPI's project page says nothing about this version: it is not the latest release."""


class UpstreamError(Exception):
    """PyPI's project page could not be read."""


def canonical_name(name: str) -> str:
    """The PEP 503 form pip-audit puts in queries and expects back in `affected`."""
    return re.sub(r"[-_.]+", "-", name).lower()


class ProjectPages:
    """PyPI's project JSON, fetched once per project and run."""

    def __init__(self, base_url: str = PYPI_JSON_URL, timeout: float = 60.0) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._pages: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> dict[str, Any]:
        name = canonical_name(name)
        with self._lock:
            if name in self._pages:
                return self._pages[name]
        url = f"{self.base_url}/{urllib.parse.quote(name)}/json"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                page: dict[str, Any] = json.load(response)
        except (OSError, ValueError) as error:
            raise UpstreamError(f"could not read {url}: {error}") from error
        with self._lock:
            self._pages[name] = page
        return page


def osv_record(advisory: dict[str, Any], name: str, version: str) -> dict[str, Any]:
    """One entry of PyPI's `vulnerabilities` list as an OSV record for `name` `version`.

    pip-audit reads `id`, `aliases`, `summary` (else `details`), and the `fixed` events of
    the first ECOSYSTEM range of the `affected` entry naming the package. PyPI gives no
    modification or publication dates, so none are made up here.
    """
    events: list[dict[str, str]] = [{"introduced": "0"}]
    events += [{"fixed": fixed} for fixed in advisory.get("fixed_in") or []]
    record: dict[str, Any] = {
        "id": advisory["id"],
        "aliases": list(advisory.get("aliases") or []),
        "affected": [
            {
                "package": {"name": canonical_name(name), "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": [version],
            }
        ],
    }
    for field in ("summary", "details"):
        if advisory.get(field):
            record[field] = advisory[field]
    if advisory.get("link"):
        record["references"] = [{"type": "ADVISORY", "url": advisory["link"]}]
    return record


def advisories_for(project: dict[str, Any], name: str, version: str) -> list[dict[str, Any]]:
    """OSV records of the advisories that affect `version`, which must be the latest release.

    Raises `NoAdvisoryData` for any other version: the page lists only the latest
    release's advisories, so its silence about an older one proves nothing. Versions are
    compared as written (pip-audit sends the normalized form); a spelling mismatch fails
    loudly, which is the safe way round. Withdrawn advisories are left out, as pip-audit
    does.
    """
    latest = str(project["info"]["version"])
    if version.lower() != latest.lower():
        raise NoAdvisoryData(
            f"{canonical_name(name)} {version} is not the latest release ({latest}); "
            f"PyPI's project page lists advisories for {latest} only"
        )
    return [
        osv_record(advisory, name, version)
        for advisory in project.get("vulnerabilities") or []
        if advisory.get("withdrawn") is None
    ]


class OSVQueryHandler(BaseHTTPRequestHandler):
    """Answers `POST /v1/query` with `{"package": {"name", "ecosystem"}, "version"}`."""

    server: OSVFromPyPI

    def do_POST(self) -> None:
        if self.path != "/v1/query":
            self._reply(404, "only /v1/query is served here")
            return
        try:
            query = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            package, version = query["package"], str(query["version"])
            name, ecosystem = str(package["name"]), package["ecosystem"]
        except (ValueError, KeyError, TypeError):
            self._reply(400, "expected a JSON body with package.name, package.ecosystem, version")
            return
        if ecosystem != "PyPI":
            self._reply(400, f"only the PyPI ecosystem is served here, not {ecosystem!r}")
            return
        try:
            records = advisories_for(self.server.pages.get(name), name, version)
        except NoAdvisoryData as error:
            self._reply(422, f"cannot audit: {error}")
            return
        except UpstreamError as error:
            self._reply(502, f"cannot audit {name} {version}: {error}")
            return
        # The real API answers `{}` when nothing affects the version; pip-audit expects that.
        self._reply(200, "OK", {"vulns": records} if records else {})

    def _reply(self, status: int, reason: str, body: dict[str, Any] | None = None) -> None:
        # On errors the reason phrase carries the explanation, because pip-audit's
        # traceback shows requests' "<status> Client Error: <reason> for url: ...".
        reason = reason.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")
        if status != 200:
            body = {"code": status, "message": reason}
            print(f"osv_from_pypi: {status} {reason}", file=sys.stderr)
        payload = json.dumps(body).encode()
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: errors are printed by `_reply`, successes are pip-audit's to report."""


class OSVFromPyPI(ThreadingHTTPServer):
    """The endpoint on 127.0.0.1, on a free port."""

    daemon_threads = True

    def __init__(self, pages: ProjectPages) -> None:
        super().__init__(("127.0.0.1", 0), OSVQueryHandler)
        self.pages = pages

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/query"


@contextmanager
def serving(pages: ProjectPages) -> Iterator[OSVFromPyPI]:
    """Serve the endpoint in a background thread for the length of the `with` block."""
    server = OSVFromPyPI(pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def read_pins(path: Path) -> list[tuple[str, str]]:
    """`name==version` lines of a requirements file (comments and blank lines skipped)."""
    pins = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        if not separator or not version.strip():
            raise ValueError(f"{path}: not a name==version pin: {line!r}")
        pins.append((name.strip(), version.strip()))
    return pins


def unauditable_reason(pages: ProjectPages, name: str, version: str) -> str | None:
    """Why this endpoint cannot audit the pin, or None if it can."""
    try:
        advisories_for(pages.get(name), name, version)
    except (NoAdvisoryData, UpstreamError) as error:
        return str(error)
    return None


def audit(pins: list[tuple[str, str]], pages: ProjectPages) -> tuple[int, dict[str, str]]:
    """pip-audit's status on the pins this endpoint can answer for, and why not for the others.

    Every pin is checked up front so that one run names all the unauditable ones; the
    endpoint refuses them all the same if pip-audit asks about one.
    """
    with ThreadPoolExecutor(max_workers=8) as pool:
        reasons = list(pool.map(lambda pin: unauditable_reason(pages, *pin), pins))
    unaudited = {name: reason for (name, _), reason in zip(pins, reasons, strict=True) if reason}
    auditable = [(name, version) for name, version in pins if name not in unaudited]
    if not auditable:
        return 0, unaudited
    with serving(pages) as server, tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
        file.write("".join(f"{name}=={version}\n" for name, version in auditable))
        file.flush()
        print(f"pip-audit on {len(auditable)} pins, advisories from {server.query_url}", flush=True)
        command = [*PIP_AUDIT, "-s", "osv", "--osv-url", server.query_url, "-r", file.name]
        return subprocess.run(command, check=False).returncode, unaudited


def print_unaudited(unaudited: dict[str, str], notes: dict[str, list[str]] | None = None) -> None:
    """Name every pin that was not audited, with any notes on why it is behind."""
    print(f"\nNOT AUDITED ({len(unaudited)}): no advisory data for these here:")
    for name, reason in unaudited.items():
        print(f"  - {reason}")
        for note in (notes or {}).get(name, []):
            print(f"      {note}")
    print("Bring them to their latest release if the dependency tree allows, or run this step")
    print("where PyPI's per-version API or api.osv.dev is reachable.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pip-audit, advisories from PyPI's project pages")
    parser.add_argument("requirements", type=Path, help="a file of name==version pins")
    parser.add_argument("--pypi-url", default=PYPI_JSON_URL, help="PyPI's JSON API root")
    args = parser.parse_args(argv)
    status, unaudited = audit(read_pins(args.requirements), ProjectPages(args.pypi_url))
    if unaudited:
        print_unaudited(unaudited)
    return status or (1 if unaudited else 0)


if __name__ == "__main__":
    sys.exit(main())
