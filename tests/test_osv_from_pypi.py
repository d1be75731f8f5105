"""CI's registry-only pip-audit fallback (.ci/osv_from_pypi.py): PyPI's project pages
served to pip-audit as OSV records, against a local stand-in for PyPI, never the network."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from pip_audit._service.interface import ResolvedDependency, ServiceError
from pip_audit._service.osv import OsvService

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("osv_from_pypi", ROOT / ".ci" / "osv_from_pypi.py")
assert _spec and _spec.loader
osv_from_pypi = importlib.util.module_from_spec(_spec)
sys.modules["osv_from_pypi"] = osv_from_pypi
_spec.loader.exec_module(osv_from_pypi)

# Recorded from https://pypi.org/pypi/<name>/json on 2026-11-22, trimmed to the fields read
# (pycrypto: two of its four advisories).
PYCRYPTO = {
    "info": {"name": "pycrypto", "version": "2.6.1", "requires_python": None},
    "vulnerabilities": [
        {
            "aliases": ["CVE-2013-7459", "GHSA-cq27-v7xp-c356"],
            "details": "Heap-based buffer overflow in the ALGnew function in block_templace.c "
            "in Python Cryptography Toolkit (aka pycrypto) allows remote attackers to execute "
            "arbitrary code as demonstrated by a crafted iv parameter to cryptmsg.py.",
            "fixed_in": [],
            "id": "PYSEC-2017-94",
            "link": "https://osv.dev/vulnerability/PYSEC-2017-94",
            "source": "osv",
            "summary": None,
            "withdrawn": None,
        },
        {
            "aliases": ["CVE-2018-6594", "GHSA-6528-wvf6-f6qg"],
            "details": "lib/Crypto/PublicKey/ElGamal.py in PyCrypto through 2.6.1 generates "
            "weak ElGamal key parameters, which allows attackers to obtain sensitive "
            "information by reading ciphertext data (i.e., it does not have semantic security "
            "in face of a ciphertext-only attack). The Decisional Diffie-Hellman (DDH) "
            "assumption does not hold for PyCrypto's ElGamal implementation.",
            "fixed_in": [],
            "id": "PYSEC-2018-97",
            "link": "https://osv.dev/vulnerability/PYSEC-2018-97",
            "source": "osv",
            "summary": None,
            "withdrawn": None,
        },
    ],
}
SIX = {
    "info": {"name": "six", "version": "1.17.0", "requires_python": ">=2.7"},
    "vulnerabilities": [],
}
# Made up in PyPI's shape: one advisory withdrawn, one with fixes on two branches.
PATCHED_LIB = {
    "info": {"name": "Patched_Lib", "version": "3.1.0", "requires_python": None},
    "vulnerabilities": [
        {
            "aliases": ["CVE-2099-0001"],
            "details": "Withdrawn: not a vulnerability after all.",
            "fixed_in": [],
            "id": "PYSEC-2099-1",
            "link": "https://osv.dev/vulnerability/PYSEC-2099-1",
            "summary": None,
            "withdrawn": "2099-01-02T00:00:00Z",
        },
        {
            "aliases": ["CVE-2099-0002"],
            "details": "Long details\nover two lines.",
            "fixed_in": ["4.0.1", "3.1.1"],
            "id": "PYSEC-2099-2",
            "link": "https://osv.dev/vulnerability/PYSEC-2099-2",
            "summary": "Patched Lib trusts what it should not",
            "withdrawn": None,
        },
    ],
}
PAGES = {"pycrypto": PYCRYPTO, "six": SIX, "patched-lib": PATCHED_LIB}


class FakePyPIHandler(BaseHTTPRequestHandler):
    """GET /pypi/<name>/json from PAGES, 404 for anything else."""

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        page = PAGES.get(parts[1]) if len(parts) == 3 and parts[::2] == ["pypi", "json"] else None
        body = json.dumps(page or {"message": "Not Found"}).encode()
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def pages() -> Iterator[Any]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), FakePyPIHandler)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    yield osv_from_pypi.ProjectPages(f"http://127.0.0.1:{upstream.server_address[1]}/pypi")
    upstream.shutdown()
    upstream.server_close()
    thread.join()


@pytest.fixture
def endpoint(pages: Any) -> Iterator[Any]:
    with osv_from_pypi.serving(pages) as server:
        yield server


@pytest.fixture
def pip_audit_osv(endpoint: Any, tmp_path: Path) -> OsvService:
    """pip-audit's own OSV client, pointed at the endpoint."""
    return OsvService(cache_dir=tmp_path / "cache", timeout=10, osv_url=endpoint.query_url)


def post_query(endpoint: Any, name: str, version: str) -> tuple[int, str, dict[str, Any]]:
    query = {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
    request = urllib.request.Request(endpoint.query_url, data=json.dumps(query).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.reason, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.reason, json.load(error)


def test_latest_release_advisories_reach_pip_audit(pip_audit_osv: OsvService) -> None:
    spec = ResolvedDependency(name="pycrypto", version=Version("2.6.1"))

    _, results = pip_audit_osv.query(spec)

    assert [result.id for result in results] == ["PYSEC-2017-94", "PYSEC-2018-97"]
    assert results[0].aliases == {"CVE-2013-7459", "GHSA-cq27-v7xp-c356"}
    assert results[0].description.startswith("Heap-based buffer overflow")
    assert results[0].fix_versions == []


def test_records_are_osv_shaped(endpoint: Any) -> None:
    status, _, body = post_query(endpoint, "pycrypto", "2.6.1")

    assert status == 200
    assert body["vulns"][0] == {
        "id": "PYSEC-2017-94",
        "aliases": ["CVE-2013-7459", "GHSA-cq27-v7xp-c356"],
        "details": PYCRYPTO["vulnerabilities"][0]["details"],
        "affected": [
            {
                "package": {"name": "pycrypto", "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                "versions": ["2.6.1"],
            }
        ],
        "references": [{"type": "ADVISORY", "url": "https://osv.dev/vulnerability/PYSEC-2017-94"}],
    }


def test_latest_release_without_advisories_is_empty(
    endpoint: Any, pip_audit_osv: OsvService
) -> None:
    assert post_query(endpoint, "six", "1.17.0")[::2] == (200, {})
    spec = ResolvedDependency(name="six", version=Version("1.17.0"))
    assert pip_audit_osv.query(spec) == (spec, [])


def test_older_release_is_an_error_never_clean(endpoint: Any, pip_audit_osv: OsvService) -> None:
    status, reason, body = post_query(endpoint, "six", "1.16.0")

    assert status == 422
    assert reason == body["message"]
    assert "six 1.16.0 is not the latest release (1.17.0)" in reason
    with pytest.raises(ServiceError):
        pip_audit_osv.query(ResolvedDependency(name="six", version=Version("1.16.0")))


def test_project_pypi_does_not_know_is_an_error(endpoint: Any) -> None:
    status, reason, _ = post_query(endpoint, "no-such-project", "1.0")

    assert status == 502
    assert "could not read" in reason


def test_withdrawn_advisory_is_skipped_and_fixes_are_read(pip_audit_osv: OsvService) -> None:
    spec = ResolvedDependency(name="Patched_Lib", version=Version("3.1.0"))

    _, results = pip_audit_osv.query(spec)

    assert [result.id for result in results] == ["PYSEC-2099-2"]
    assert results[0].description == "Patched Lib trusts what it should not"
    assert results[0].fix_versions == [Version("3.1.1"), Version("4.0.1")]


def test_pip_audit_passes_only_clean_latest_pins(pages: Any) -> None:
    assert osv_from_pypi.audit([("six", "1.17.0")], pages) == (0, {})


def test_pip_audit_fails_on_a_found_vulnerability(pages: Any) -> None:
    status, unaudited = osv_from_pypi.audit([("pycrypto", "2.6.1"), ("six", "1.17.0")], pages)

    assert status == 1
    assert unaudited == {}


def test_older_pin_is_named_and_left_out(pages: Any) -> None:
    status, unaudited = osv_from_pypi.audit([("six", "1.16.0"), ("pycrypto", "2.6.1")], pages)

    assert status == 1  # pycrypto's advisories
    assert list(unaudited) == ["six"]
    assert "not the latest release (1.17.0)" in unaudited["six"]


def test_pip_audit_itself_fails_when_asked_about_an_older_pin(
    endpoint: Any, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")

    audit = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--disable-pip",
            "--no-deps",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--progress-spinner",
            "off",
            "-s",
            "osv",
            "--osv-url",
            endpoint.query_url,
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert audit.returncode != 0
    assert "No known vulnerabilities found" not in audit.stdout + audit.stderr
    assert "six 1.16.0 is not the latest release (1.17.0)" in audit.stderr
