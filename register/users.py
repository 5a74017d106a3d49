"""Users of the platform: creation, password login with lockout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from register.audit import audit
from register.db import lock_for_write
from register.models import Mo, Smo, User, utcnow
from register.passwords import hash_password, verify_password
from register.roles import ADMIN, ROLE_NAMES, SMO, AccessDenied, Actor, can_manage_users
from register.roles import MO as MO_ROLE

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8


class UserError(Exception):
    """A user-facing problem with a user operation (message in Russian)."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str | None = None


def _check_bindings(session: Session, smo_code: str | None, mo_code: str | None) -> None:
    """The bound СМО / МО must exist in the reference books."""
    if smo_code and session.get(Smo, smo_code) is None:
        raise UserError(f"СМО с кодом «{smo_code}» нет в справочнике")
    if mo_code and session.get(Mo, mo_code) is None:
        raise UserError(f"МО с кодом «{mo_code}» нет в справочнике")


def create_user(
    session: Session,
    *,
    login: str,
    full_name: str,
    role: str,
    password: str | None,
    smo_code: str | None = None,
    mo_code: str | None = None,
    actor: Actor | None = None,
    remote_addr: str | None = None,
) -> User:
    """Create a user; the role decides whether an СМО or МО binding is required.

    With an ``actor`` (an administrator in the web app) the creation is audited.
    """
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
    _check_bindings(
        session, smo_code if role == SMO else None, mo_code if role == MO_ROLE else None
    )
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
    if actor is not None:
        audit(
            session,
            actor,
            "user.create",
            "user",
            user.id,
            {"login": user.login, "role": user.role, "smo": user.smo_code, "mo": user.mo_code},
            remote_addr,
        )
    return user


def authenticate(
    session: Session, login: str, password: str, *, remote_addr: str | None = None
) -> LoginResult:
    """Check a password; lock the account after repeated failures. Every attempt is audited."""
    now = utcnow()
    lock_for_write(session)  # the failure counter is read, then written
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


def _admin_user(session: Session, admin: Actor, user_id: int) -> User:
    if not can_manage_users(admin):
        raise AccessDenied("Управлять пользователями может только администратор")
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    return user


def list_users(session: Session, admin: Actor) -> list[User]:
    if not can_manage_users(admin):
        raise AccessDenied("Управлять пользователями может только администратор")
    return list(session.scalars(select(User).order_by(User.login)))


def update_user(
    session: Session,
    admin: Actor,
    user_id: int,
    *,
    full_name: str,
    role: str,
    smo_code: str | None,
    mo_code: str | None,
    is_active: bool,
    remote_addr: str | None = None,
) -> User:
    """Change a user's name, role, СМО/МО binding or activity (administrator, audited)."""
    user = _admin_user(session, admin, user_id)
    if role not in ROLE_NAMES:
        raise UserError(f"Неизвестная роль: {role}")
    if role == SMO and not smo_code:
        raise UserError("Для оператора СМО нужно указать СМО")
    if role == MO_ROLE and not mo_code:
        raise UserError("Для оператора МО нужно указать МО")
    if not full_name.strip():
        raise UserError("Не указано ФИО пользователя")
    _check_bindings(
        session, smo_code if role == SMO else None, mo_code if role == MO_ROLE else None
    )
    if user.role == ADMIN and user.is_active and (role != ADMIN or not is_active):
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == ADMIN, User.is_active.is_(True), User.id != user.id)
        )
        if not others:
            raise UserError("Нельзя отключить или лишить роли последнего администратора")
    before = {"role": user.role, "smo": user.smo_code, "mo": user.mo_code, "active": user.is_active}
    user.full_name = full_name.strip()
    user.role = role
    user.smo_code = smo_code if role == SMO else None
    user.mo_code = mo_code if role == MO_ROLE else None
    user.is_active = is_active
    after = {"role": user.role, "smo": user.smo_code, "mo": user.mo_code, "active": user.is_active}
    audit(
        session,
        admin,
        "user.update",
        "user",
        user.id,
        {"before": before, "after": after},
        remote_addr,
    )
    return user


def set_password(
    session: Session, admin: Actor, user_id: int, password: str, *, remote_addr: str | None = None
) -> None:
    """Set a new password and lift a lockout (administrator, audited)."""
    user = _admin_user(session, admin, user_id)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit(session, admin, "user.set_password", "user", user.id, None, remote_addr)


def bind_certificate(
    session: Session,
    admin: Actor,
    user_id: int,
    *,
    thumbprint: str | None,
    snils: str | None,
    enabled: bool,
    remote_addr: str | None = None,
) -> User:
    """Bind a certificate (thumbprint and/or СНИЛС of its subject) and enable ЭП login."""
    from register.certificates import normalize_thumbprint
    from register.snils import normalize_snils, validate_snils

    user = _admin_user(session, admin, user_id)
    print_ = normalize_thumbprint(thumbprint) if thumbprint else None
    if thumbprint and not print_:
        raise UserError("Отпечаток сертификата — 40 или 64 шестнадцатеричных символа")
    cert_snils = normalize_snils(snils) if snils else None
    if cert_snils and [e for e in validate_snils(cert_snils) if not e.warning]:
        raise UserError("Неверный СНИЛС владельца сертификата")
    if enabled and not (print_ or cert_snils):
        raise UserError("Чтобы разрешить вход по ЭП, укажите отпечаток сертификата или СНИЛС")
    if print_:
        other = session.scalar(
            select(User.login).where(User.cert_thumbprint == print_, User.id != user.id)
        )
        if other:
            raise UserError(f"Этот сертификат уже привязан к пользователю «{other}»")
    user.cert_thumbprint = print_
    user.cert_snils = cert_snils
    user.cert_login_enabled = enabled
    audit(
        session,
        admin,
        "user.bind_certificate",
        "user",
        user.id,
        {"thumbprint": print_, "snils": cert_snils, "enabled": enabled},
        remote_addr,
    )
    return user
