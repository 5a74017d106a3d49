"""«Администрирование»: users, roles, passwords, certificate bindings; every change audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog, User
from tests.webapp.support import PASSWORD, csrf_token, login

PRINT = "a1 b2 c3 d4 e5 f6 07 18 29 3a 4b 5c 6d 7e 8f 90 a1 b2 c3 d4"


def user_id(factory: sessionmaker[Session], login_: str) -> int:
    with factory() as s:
        return s.scalars(select(User.id).where(User.login == login_)).one()


def audited(factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def message(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    return match.group(1) if match else ""


@pytest.fixture
def admin(login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return login_as("admin")


def test_list_of_users(admin: FlaskClient, session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as s:
        smo1 = s.scalars(select(User).where(User.login == "smo1")).one()
        smo1.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
        smo1.cert_thumbprint = "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4"
        smo1.cert_login_enabled = True
    page = admin.get("/admin/users").text
    logins = re.findall(r'data-testid="user-row" data-login="([^"]+)"', page)
    assert logins == sorted(["admin", "mo", "smo1", "smo2", "stat", "tfoms"])
    row = page[page.index('data-login="smo1"') : page.index('data-login="smo2"')]
    assert "Смирнов Олег (Альфа-Мед)" in row and "Оператор СМО" in row
    assert "Альфа-Мед (50001)" in row
    assert "A1B2C3D4…C3D4" in row and "разрешён" in row
    assert 'class="text-danger"' in row  # locked
    mo_row = page[page.index('data-login="mo"') : page.index('data-login="smo1"')]
    assert "Химкинская (500001)" in mo_row and "не привязан" in mo_row


def test_admin_tile_leads_to_the_users(admin: FlaskClient) -> None:
    page = admin.get("/").text
    assert 'href="/admin/users"' in page
    assert "в разработке" not in page


def test_create_user_is_audited(admin: FlaskClient, session_factory: sessionmaker[Session]) -> None:
    form = admin.get("/admin/users/new").text
    data = {
        "csrf_token": csrf_token(form),
        "login": "Ivanova",
        "full_name": "Иванова Мария Петровна",
        "role": "smo",
        "smo_code": "50002",
        "mo_code": "500001",  # a hidden list's leftover: ignored for an СМО operator
        "password": "новый-пароль-1",
        "password_again": "новый-пароль-1",
    }
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 302
    assert "Пользователь «ivanova» создан" in admin.get(response.location).text
    with session_factory() as s:
        created = s.scalars(select(User).where(User.login == "ivanova")).one()
        assert (created.role, created.smo_code, created.mo_code) == ("smo", "50002", None)
    (row,) = audited(session_factory, "user.create")
    assert row.user_login == "admin" and row.object_id == str(created.id)
    assert row.details == {"login": "ivanova", "role": "smo", "smo": "50002", "mo": None}
    # The new user logs in with the initial password.
    assert login(admin.application.test_client(), "ivanova", "новый-пароль-1").status_code == 302


@pytest.mark.parametrize(
    ("changes", "where", "text"),
    [
        (
            {"login": "tfoms"},
            "create-user-message",
            "Пользователь с логином «tfoms» уже существует",
        ),
        ({"smo_code": ""}, "create-user-message", "Для оператора СМО нужно указать СМО"),
        (
            {"password": "short", "password_again": "short"},
            "create-user-message",
            "Пароль должен быть не короче 8 символов",
        ),
        ({"password_again": "другой-пароль"}, None, "Пароли не совпадают"),
        ({"full_name": ""}, None, "Введите ФИО"),
    ],
)
def test_create_user_refusals_are_shown_beside_the_form(
    admin: FlaskClient,
    session_factory: sessionmaker[Session],
    changes: dict[str, str],
    where: str | None,
    text: str,
) -> None:
    form = admin.get("/admin/users/new").text
    data = {
        "csrf_token": csrf_token(form),
        "login": "newbie",
        "full_name": "Новиков",
        "role": "smo",
        "smo_code": "50001",
        "password": "пароль-надёжный",
        "password_again": "пароль-надёжный",
        **changes,
    }
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 200
    if where:
        assert message(response.text, where) == text
    else:
        assert text in response.text
    assert audited(session_factory, "user.create") == []


def test_edit_role_binding_and_activity(
    admin: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    target = user_id(session_factory, "stat")
    page = admin.get(f"/admin/users/{target}").text
    assert 'data-testid="edit-user-form"' in page and 'data-testid="certificate-form"' in page
    token = csrf_token(page)
    refused = admin.post(
        f"/admin/users/{target}",
        data={"csrf_token": token, "full_name": "Соколова Мария", "role": "mo", "mo_code": ""},
    )
    assert message(refused.text, "edit-user-message") == "Для оператора МО нужно указать МО"

    response = admin.post(
        f"/admin/users/{target}",
        data={
            "csrf_token": token,
            "full_name": "Соколова Мария Андреевна",
            "role": "mo",
            "mo_code": "500002",
            "smo_code": "50001",
            # is_active not sent: the check box is cleared
        },
    )
    assert response.status_code == 302
    with session_factory() as s:
        changed = s.get(User, target)
        assert changed is not None
        assert (changed.role, changed.mo_code, changed.smo_code) == ("mo", "500002", None)
        assert changed.full_name == "Соколова Мария Андреевна" and not changed.is_active
    (row,) = audited(session_factory, "user.update")
    assert row.details == {
        "before": {"role": "statistician", "smo": None, "mo": None, "active": True},
        "after": {"role": "mo", "smo": None, "mo": "500002", "active": False},
    }


def test_set_password_unlocks(admin: FlaskClient, session_factory: sessionmaker[Session]) -> None:
    target = user_id(session_factory, "smo1")
    with transaction(session_factory) as s:
        locked = s.get(User, target)
        assert locked is not None
        locked.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    page = admin.get(f"/admin/users/{target}").text
    assert re.search(r'data-testid="user-locked"><span class="text-danger">до \d\d\.', page)
    token = csrf_token(page)
    mismatch = admin.post(
        f"/admin/users/{target}/password",
        data={"csrf_token": token, "password": "пароль-новый-1", "password_again": "x"},
    )
    assert "Пароли не совпадают" in mismatch.text
    short = admin.post(
        f"/admin/users/{target}/password",
        data={"csrf_token": token, "password": "123", "password_again": "123"},
    )
    assert message(short.text, "password-message") == "Пароль должен быть не короче 8 символов"
    response = admin.post(
        f"/admin/users/{target}/password",
        data={
            "csrf_token": token,
            "password": "пароль-новый-1",
            "password_again": "пароль-новый-1",
        },
    )
    assert "блокировка, если была, снята" in admin.get(response.location).text
    with session_factory() as s:
        unlocked = s.get(User, target)
        assert unlocked is not None and unlocked.locked_until is None
    assert [r.object_id for r in audited(session_factory, "user.set_password")] == [str(target)]
    client = admin.application.test_client()
    assert login(client, "smo1", PASSWORD).status_code == 200  # the old one no longer works
    assert login(client, "smo1", "пароль-новый-1").status_code == 302


def test_bind_certificate(admin: FlaskClient, session_factory: sessionmaker[Session]) -> None:
    target = user_id(session_factory, "tfoms")
    token = csrf_token(admin.get(f"/admin/users/{target}").text)
    bad = admin.post(
        f"/admin/users/{target}/certificate",
        data={"csrf_token": token, "thumbprint": "not-hex", "enabled": "y"},
    )
    assert message(bad.text, "certificate-message") == (
        "Отпечаток сертификата — 40 или 64 шестнадцатеричных символа"
    )
    assert 'value="not-hex"' in bad.text  # what was typed stays in the form

    response = admin.post(
        f"/admin/users/{target}/certificate",
        data={"csrf_token": token, "thumbprint": PRINT, "snils": "112-233-445 95", "enabled": "y"},
    )
    assert response.status_code == 302
    page = admin.get(response.location).text
    assert "Привязка сертификата пользователя «tfoms» сохранена" in page
    assert 'value="A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4"' in page
    with session_factory() as s:
        bound = s.get(User, target)
        assert bound is not None
        assert bound.cert_thumbprint == "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4"
        assert bound.cert_snils == "11223344595" and bound.cert_login_enabled
    (row,) = audited(session_factory, "user.bind_certificate")
    assert row.details == {
        "thumbprint": "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4",
        "snils": "11223344595",
        "enabled": True,
    }


def test_unknown_user_is_404(admin: FlaskClient) -> None:
    assert admin.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize("login_", ["tfoms", "smo1", "mo", "stat"])
def test_forbidden_for_other_roles(
    login_as: Callable[[str], FlaskClient],
    session_factory: sessionmaker[Session],
    login_: str,
) -> None:
    client = login_as(login_)
    target = user_id(session_factory, "mo")
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{target}"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client.get("/").text)
    for url in (
        "/admin/users/new",
        f"/admin/users/{target}",
        f"/admin/users/{target}/password",
        f"/admin/users/{target}/certificate",
    ):
        response = client.post(
            url,
            data={
                "csrf_token": token,
                "password": "пароль-чужой-1",
                "password_again": "пароль-чужой-1",
                "thumbprint": PRINT,
                "enabled": "y",
            },
        )
        assert response.status_code == 403, url
    with session_factory() as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action.like("user.%"))) is None
    assert "Администрирование" not in client.get("/").text
