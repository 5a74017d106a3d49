"""The demo platform shared by the tests that run the real processes."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

PASSWORD = "demo-rserz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """A cookie-keeping HTTP client that fills in the CSRF token of forms."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        _, page = self.get(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, "the form carries a CSRF token"
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
