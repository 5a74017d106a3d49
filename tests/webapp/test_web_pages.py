"""What every page shares: local resources only, security headers, the top bar, error pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support import login

URL_ATTRIBUTE = re.compile(r'\b(?:src|href|action)="([^"]*)"')


def pages(persons: dict[str, int]) -> list[tuple[str, str]]:
    return [
        ("tfoms", "/"),
        ("tfoms", "/rserz"),
        ("tfoms", "/persons/"),
        ("tfoms", "/persons/?surname=Ёлкин&count=1"),
        ("tfoms", f"/persons/{persons['yolkin']}"),
        ("tfoms", "/buffer/"),
        ("stat", "/snapshots/"),
        ("admin", "/"),
        ("admin", "/persons/"),
        ("tfoms", "/persons/999999"),
    ]


def test_pages_load_nothing_from_elsewhere(
    app: Flask, login_as: Callable[[str], FlaskClient], persons: dict[str, int]
) -> None:
    anonymous = app.test_client().get("/auth/login").text
    seen = [anonymous] + [login_as(user).get(url).text for user, url in pages(persons)]
    for html in seen:
        for url in URL_ATTRIBUTE.findall(html):
            assert url.startswith(("/", "#", "?", "data:")) and not url.startswith("//"), url
        assert "cdn." not in html
        assert "/bootstrap/static/css/bootstrap.min.css" in html
        assert "/static/rserz.css" in html


def test_security_headers(client: FlaskClient) -> None:
    login(client, "tfoms")
    response = client.get("/persons/?surname=Ёлкин")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Personal data is not kept in the browser's cache; static files are.
    assert response.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/rserz.css").headers.get("Cache-Control", "")


def test_top_bar_and_breadcrumbs(login_as: Callable[[str], FlaskClient]) -> None:
    page = login_as("smo1").get("/persons/").text
    assert "РС ЕРЗ — Регистр застрахованных лиц" in page
    assert "Смирнов Олег (Альфа-Мед)" in page
    assert "Оператор СМО" in page
    crumbs = page[page.index('class="breadcrumb') : page.index("</ol>")]
    assert [c.strip() for c in re.findall(r">([^<>]+)</(?:a|li)>", crumbs)] == [
        "Главная",
        "РСЕРЗ",
        "Регистр застрахованных лиц",
    ]
    assert '<html lang="ru">' in page


def test_unknown_page_is_a_russian_404(login_as: Callable[[str], FlaskClient]) -> None:
    response = login_as("tfoms").get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.text


def test_internal_error_shows_no_traceback(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("secret detail of the failure")

    app.add_url_rule("/broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    login(client, "tfoms")
    response = client.get("/broken")
    assert response.status_code == 500
    assert "Внутренняя ошибка" in response.text
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unsupported_method_is_refused_in_russian(
    login_as: Callable[[str], FlaskClient], method: str
) -> None:
    client = login_as("tfoms")
    response = getattr(client, method)("/persons/")
    # A write without a CSRF token is refused before anything else looks at it.
    assert response.status_code in (400, 405)
    assert '<html lang="ru">' in response.text
