"""Login, logout, sessions, CSRF and the ``next`` redirect."""

from __future__ import annotations

import datetime as dt
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog, User
from register.users import MAX_FAILED_LOGINS
from tests.webapp.support import PASSWORD, csrf_token, login
from webapp import create_app

PAGES = [
    "/",
    "/rserz",
    "/persons/",
    "/persons/?surname=Ёлкин",
    "/persons/1",
    "/buffer/",
    "/buffer/?selected=1",
    "/buffer/1/resend",
    "/buffer/1/delete",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/1",
    "/audit/",
    "/snapshots/",
    "/snapshots/2024-05-01",
    "/no-such-page",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_requires_login(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")


def test_login_page_and_static_files_are_public(client: FlaskClient) -> None:
    page = client.get("/auth/login")
    assert page.status_code == 200
    assert "Вход в систему" in page.text
    assert csrf_token(page.text)
    assert client.get("/static/rserz.css").status_code == 200
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_login_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    asked = client.get("/persons/?surname=Ёлкин")
    assert asked.location.startswith("/auth/login?next=")
    page = client.get(asked.location)
    assert "Войдите в систему, чтобы продолжить" in page.text
    response = client.post(
        asked.location,
        data={"login": "tfoms", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert response.location == "/persons/?surname=%D0%81%D0%BB%D0%BA%D0%B8%D0%BD"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/persons/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "http:/persons/",
    ],
)
def test_next_redirects_only_to_local_paths(client: FlaskClient, target: str) -> None:
    page = client.get("/auth/login", query_string={"next": target})
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"login": "tfoms", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_wrong_password_is_refused_in_russian(client: FlaskClient) -> None:
    response = login(client, "tfoms", "не-тот-пароль")
    assert response.status_code == 200
    assert "Неверный логин или пароль" in response.text
    assert client.get("/").status_code == 302


def test_unknown_login_gets_the_same_message(client: FlaskClient) -> None:
    response = login(client, "nobody", PASSWORD)
    assert "Неверный логин или пароль" in response.text


def test_empty_fields_are_named(client: FlaskClient) -> None:
    response = login(client, "", "")
    assert "Введите логин" in response.text
    assert "Введите пароль" in response.text


def test_fifth_failure_locks_the_account(
    client: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        response = login(client, "smo1", "не-тот-пароль")
        assert "Неверный логин или пароль" in response.text
    response = login(client, "smo1", PASSWORD)
    assert "Учётная запись временно заблокирована" in response.text
    assert client.get("/").status_code == 302
    with transaction(session_factory) as s:
        user = s.scalars(select(User).where(User.login == "smo1")).one()
        assert user.locked_until is not None
        actions = s.scalars(select(AuditLog.action).where(AuditLog.user_id == user.id)).all()
    assert actions.count("login_failed") == MAX_FAILED_LOGINS
    assert "login_locked" in actions


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"login": "tfoms", "password": PASSWORD})
    assert response.status_code == 302
    assert "Сеанс истёк или форма устарела" in client.get(response.location).text
    assert client.get("/").status_code == 302


def test_login_with_a_forged_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/auth/login")
    response = client.post(
        "/auth/login", data={"login": "tfoms", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_logout_is_a_post_with_csrf(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    client = login_as("tfoms")
    assert client.get("/auth/logout").status_code == 405
    refused = client.post("/auth/logout")
    assert refused.status_code == 400
    assert "Форма устарела" in refused.text
    assert client.get("/").status_code == 200

    token = csrf_token(client.get("/").text)
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Вы вышли из системы" in client.get(response.location).text
    assert client.get("/").status_code == 302
    with transaction(session_factory) as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "logout")) is not None


def test_session_cookie_is_http_only_lax_and_expires(client: FlaskClient) -> None:
    response = login(client, "tfoms")
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("rserz_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_idle_session_ends_after_30_minutes(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app.permanent_session_lifetime == dt.timedelta(minutes=30)
    login(client, "tfoms")
    assert client.get("/").status_code == 200
    later = time.time() + 31 * 60
    # The session cookie is signed with its time; the server refuses it when too old.
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert client.get("/").status_code == 302


def test_deactivated_user_is_out_at_once(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    client = login_as("mo")
    with transaction(session_factory) as s:
        s.scalars(select(User).where(User.login == "mo")).one().is_active = False
    assert client.get("/").status_code == 302


def test_secret_key_is_created_once_in_the_data_dir(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RSERZ_SECRET_KEY", raising=False)
    config = {"RSERZ_DATA_DIR": str(tmp_path / "data"), "RSERZ_DATABASE_URL": sqlite_url}
    first = create_app(config)
    second = create_app(config)
    key_file = tmp_path / "data" / "secret_key"
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]
    for a in (first, second):
        a.extensions["rserz_db"].engine.dispose()


def test_secret_key_from_the_environment(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RSERZ_SECRET_KEY", "k" * 40)
    app = create_app({"RSERZ_DATA_DIR": str(tmp_path / "d"), "RSERZ_DATABASE_URL": sqlite_url})
    assert app.secret_key == "k" * 40
    assert not (tmp_path / "d" / "secret_key").exists()
    app.extensions["rserz_db"].engine.dispose()
