"""Users of the platform: creation, password login with lockout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.audit import audit
from register.models import User, utcnow
from register.passwords import hash_password, verify_password
from register.roles import MO as MO_ROLE
from register.roles import ROLE_NAMES, SMO

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8


class UserError(Exception):
    """A user-facing problem with a user operation (message in Russian)."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str | None = None


def create_user(
    session: Session,
    *,
    login: str,
    full_name: str,
    role: str,
    password: str | None,
    smo_code: str | None = None,
    mo_code: str | None = None,
) -> User:
    """Create a user; the role decides whether an СМО or МО binding is required."""
    login = login.strip().lower()
    if not login:
        raise UserError("Не указан логин")
    if role not in ROLE_NAMES:
        raise UserError(f"Неизвестная роль: {role}")
    if role == SMO and not smo_code:
        raise UserError("Для оператора СМО нужно указать СМО")
    if role == MO_ROLE and not mo_code:
        raise UserError("Для оператора МО нужно указать МО")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов")
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise UserError(f"Пользователь с логином «{login}» уже существует")
    user = User(
        login=login,
        full_name=full_name,
        role=role,
        smo_code=smo_code if role == SMO else None,
        mo_code=mo_code if role == MO_ROLE else None,
        password_hash=hash_password(password) if password else None,
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, login: str, password: str, *, remote_addr: str | None = None
) -> LoginResult:
    """Check a password; lock the account after repeated failures. Every attempt is audited."""
    now = utcnow()
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    refused = "Неверный логин или пароль"
    if user is None or not user.is_active:
        audit(session, None, "login_failed", "user", login[:60], remote_addr=remote_addr)
        return LoginResult(None, refused)
    locked_until = user.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=dt.UTC)
    if locked_until is not None and locked_until > now:
        audit(session, user, "login_locked", "user", user.id, remote_addr=remote_addr)
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        return LoginResult(
            None, f"Учётная запись временно заблокирована. Повторите через {minutes} мин."
        )
    if not verify_password(password, user.password_hash):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit(session, user, "login_failed", "user", user.id, remote_addr=remote_addr)
        return LoginResult(None, refused)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit(session, user, "login", "user", user.id, remote_addr=remote_addr)
    return LoginResult(user)
