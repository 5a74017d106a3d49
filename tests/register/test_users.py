"""Users: password hashing, login with lockout, every attempt audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog, User
from register.passwords import hash_password, verify_password
from register.users import MAX_FAILED_LOGINS, UserError, authenticate, create_user
from tests.factories import PASSWORD


def test_hash_is_salted_and_verifies() -> None:
    a, b = hash_password("пароль-123"), hash_password("пароль-123")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("пароль-123", a) and not verify_password("пароль-124", a)
    assert not verify_password("x", None) and not verify_password("x", "garbage")


def test_login_lockout_after_repeated_failures(region: sessionmaker[Session]) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        with transaction(region) as s:
            assert authenticate(s, "tfoms", "wrong").message == "Неверный логин или пароль"
    with transaction(region) as s:
        result = authenticate(s, "tfoms", PASSWORD)
        assert result.user is None and "заблокирована" in (result.message or "")
    with transaction(region) as s:  # the lock expires
        u = s.scalars(select(User).where(User.login == "tfoms")).one()
        u.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with transaction(region) as s:
        assert authenticate(s, "TFOMS ", PASSWORD).user is not None
    with region() as s:
        actions = list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
        assert actions.count("login_failed") == MAX_FAILED_LOGINS
        assert actions[-2:] == ["login_locked", "login"]


def test_unknown_user_gets_the_same_message(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        assert authenticate(s, "nobody", "x").message == "Неверный логин или пароль"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"login": "tfoms", "role": "tfoms"}, "уже существует"),
        ({"login": "new", "role": "smo"}, "СМО"),
        ({"login": "new", "role": "mo"}, "МО"),
        ({"login": "new", "role": "boss"}, "Неизвестная роль"),
        ({"login": "new", "role": "tfoms", "password": "short"}, "не короче"),
    ],
)
def test_create_user_refusals(region: sessionmaker[Session], kwargs: dict, message: str) -> None:
    args = {"full_name": "X", "password": "long-enough", **kwargs}
    with pytest.raises(UserError, match=message), transaction(region) as s:
        create_user(s, **args)


def test_binding_to_an_unknown_smo_or_mo_is_refused(region: sessionmaker[Session]) -> None:
    for kwargs, message in (
        ({"role": "smo", "smo_code": "99999"}, "СМО с кодом"),
        ({"role": "mo", "mo_code": "999999"}, "МО с кодом"),
    ):
        with pytest.raises(UserError, match=message), transaction(region) as s:
            create_user(s, login="new", full_name="X", password="long-enough", **kwargs)
