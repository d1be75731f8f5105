"""CI step: pip-audit over the virtualenv; fails on any known vulnerability, names unaudited pins.

What is audited: every distribution installed in the venv (the app's dependencies, the
dev tools, pip, setuptools) pinned at its installed version, except the project itself
(an editable install; PyPI's "kindred" is someone else's project).

Where the advisories come from, the first that answers:

1. PyPI's per-version JSON API, pip-audit's default service;
2. OSV's API (api.osv.dev);
3. on a network that reaches only the package registries: PyPI's project pages, through
   `osv_from_pypi.py`. Those hold advisories for each project's latest release only, so a
   pin behind its latest release cannot be audited there: the step names it and exits 3,
   which `.ci/run` reports at the end without calling it passed or failing the build.
   This fallback also leaves out what only the benchmark extra (`bench`) pulls in, and
   says so: the app neither deploys nor tests with it, and ortools holds protobuf behind
   its latest release.

Run with the venv's Python: `.venv/bin/python .ci/audit_dependencies.py`.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

import osv_from_pypi  # next to this file
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK_EXTRA = "bench"
PIP_AUDIT = osv_from_pypi.PIP_AUDIT


def installed_pins() -> dict[str, tuple[str, str]]:
    """Canonical name -> (name, version) of every installed, non-editable distribution."""
    pins = {}
    for dist in metadata.distributions():
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
        if direct_url.get("dir_info", {}).get("editable"):
            continue
        name = dist.metadata["Name"]
        pins[osv_from_pypi.canonical_name(name)] = (name, dist.version)
    return pins


def needed_by(requirements: Iterable[str]) -> set[str]:
    """Canonical names of the installed distributions these requirements pull in."""
    return {key.partition("[")[0] for key in _pulled_in(requirements)}


def extras_in_use(requirements: Iterable[str]) -> set[tuple[str, str]]:
    """(canonical name, extra) for every extra these requirements ask of an installed one."""
    found = set()
    for key in _pulled_in(requirements):
        name, _, extras = key.partition("[")
        found |= {(name, extra) for extra in extras.rstrip("]").split(",") if extra}
    return found


def _pulled_in(requirements: Iterable[str]) -> set[str]:
    """Keys "name[extra,...]" of the installed distributions reached, with the extras asked."""
    seen: set[str] = set()
    pending = [(Requirement(line), "") for line in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = osv_from_pypi.canonical_name(requirement.name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for line in dist.requires or []:
            for wanted in ["", *requirement.extras]:
                pending.append((Requirement(line), wanted))
    return seen


def project_requirements(leave_out: str | None = None) -> list[str]:
    """Every requirement in pyproject.toml (dependencies and each extra's), but `leave_out`'s."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project.get("dependencies", []))
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if extra != leave_out:
            lines += requirements
    return lines


def benchmark_only() -> set[str]:
    """What only the `bench` extra pulls in, from pyproject.toml's requirements."""
    every = needed_by(project_requirements())
    return every - needed_by(project_requirements(leave_out=BENCHMARK_EXTRA))


def held_back_by(
    name: str, latest: str, requires_python: str | None, in_use: set[tuple[str, str]]
) -> list[str]:
    """What keeps `name` below its latest release here: Python's version, or a requirement.

    A requirement under an extra counts when that extra is in use (`in_use`, from
    `extras_in_use`): kombu's `redis` extra, asked for by celery[redis], pins packaging.
    """
    notes = []
    here = platform.python_version()
    if requires_python and here not in SpecifierSet(requires_python):
        notes.append(f"{name} {latest} needs Python {requires_python}; this venv runs {here}")
    wanted = osv_from_pypi.canonical_name(name)
    for dist in metadata.distributions():
        for line in dist.requires or []:
            requirement = Requirement(line)
            if osv_from_pypi.canonical_name(requirement.name) != wanted:
                continue
            own = osv_from_pypi.canonical_name(dist.metadata["Name"])
            extras = ["", *(extra for dist_name, extra in in_use if dist_name == own)]
            if requirement.marker and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in extras
            ):
                continue
            if not requirement.specifier.contains(latest, prereleases=True):
                notes.append(f"{dist.metadata['Name']} {dist.version} requires {requirement}")
    return notes


UNAUDITED = 3


def reachable(url: str, body: Mapping[str, object] | None = None) -> str | None:
    """None if `url` answers 200 with JSON, else why not."""
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as response:
            json.load(response)
    except (OSError, ValueError) as error:
        return str(error)
    return None


def main() -> int:
    pins = installed_pins()
    pip_version = metadata.version("pip")
    print(f"{len(pins)} installed distributions; the editable project itself is skipped.")
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch, "installed.txt")
        requirements.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.values())))

        why_not_pypi = reachable(f"https://pypi.org/pypi/pip/{pip_version}/json")
        if why_not_pypi is None:
            print("Advisories from PyPI's per-version JSON API (pip-audit's default).", flush=True)
            return subprocess.run([*PIP_AUDIT, "-r", str(requirements)], check=False).returncode
        print(f"PyPI's per-version JSON API is out of reach (pip {pip_version}): {why_not_pypi}")

        query = {"package": {"name": "pip", "ecosystem": "PyPI"}, "version": pip_version}
        why_not_osv = reachable("https://api.osv.dev/v1/query", query)
        if why_not_osv is None:
            print("Advisories from OSV (api.osv.dev).", flush=True)
            command = [*PIP_AUDIT, "-s", "osv", "-r", str(requirements)]
            return subprocess.run(command, check=False).returncode
        print(f"OSV's API is out of reach: {why_not_osv}")

    print(
        "FALLBACK: advisories from PyPI's project pages, which cover each project's latest "
        "release only; a pin behind its latest release cannot be audited here."
    )
    left_out = sorted(benchmark_only() & pins.keys())
    print(
        f"Left out in this fallback, benchmark-only (the `{BENCHMARK_EXTRA}` extra, which the "
        f"app neither deploys nor tests with): {', '.join(left_out) or 'nothing'}"
    )
    audited = [pin for name, pin in sorted(pins.items()) if name not in left_out]
    pages = osv_from_pypi.ProjectPages()
    status, unaudited = osv_from_pypi.audit(audited, pages)
    if unaudited:
        in_use = extras_in_use(project_requirements())
        notes = {}
        for name in unaudited:
            try:
                info = pages.get(name)["info"]
            except osv_from_pypi.UpstreamError:
                continue  # the reason already says PyPI could not be read
            notes[name] = held_back_by(name, info["version"], info.get("requires_python"), in_use)
        osv_from_pypi.print_unaudited(unaudited, notes)
    # Found vulnerabilities fail (1); packages this network gives no data for are a
    # separate outcome (3) so CI can report them without pretending they passed.
    return status or (UNAUDITED if unaudited else 0)


if __name__ == "__main__":
    sys.exit(main())
