"""Every response carries the security headers, error pages included."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, MemberFactory


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


def test_behind_a_tls_proxy_cookies_are_secure_and_hsts_is_sent(make_app, members):
    app = make_app(PROXY_FIX_HOPS=1, PREFERRED_URL_SCHEME="https")
    member = MemberFactory(app).create()
    client = app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/login", headers=forwarded)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": member.email, "password": PASSWORD, "csrf_token": token},
        headers=forwarded,
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_an_oversized_body_gets_413_with_a_friendly_page(client):
    response = client.post("/join", data={"display_name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too much to send at once" in response.get_data(as_text=True)
