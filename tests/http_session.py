"""A tiny browser over real HTTP (urllib + cookies), for tests against a running server."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from tests.conftest import csrf_token


@dataclass
class Page:
    status: int
    url: str
    text: str


class HttpSession:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict | None = None) -> Page:
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                return Page(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, url, error.read().decode())

    def get(self, path: str) -> Page:
        return self.request(path)

    def submit(self, page: str, data: dict, action: str | None = None) -> Page:
        """Open the page, then post its form with the page's CSRF token, like a browser."""
        token = csrf_token(self.get(page).text)
        return self.request(action or page, {**data, "csrf_token": token})
