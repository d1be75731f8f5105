"""Every response carries the security headers, error pages included."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import PASSWORD


@pytest.mark.parametrize("path", ["/", "/join", "/login", "/no-such-page", "/verify/bad"])
def test_public_pages_and_error_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_with_personal_data_are_never_cached(client, members):
    member = members.create()
    login(client, member.email, PASSWORD)
    assert client.get("/home").headers["Cache-Control"] == "no-store"
    assert client.get("/profile/meeting").headers["Cache-Control"] == "no-store"


def test_https_responses_ask_for_strict_transport_security(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_pages_use_no_inline_scripts(client):
    for path in ("/", "/join", "/login"):
        assert "<script>" not in client.get(path).get_data(as_text=True)
