"""The audit log: every view of a person card and every change (152-ФЗ)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.clock import local_day_start
from register.models import AuditLog
from register.roles import Actor


def audit(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object = None,
    details: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    """Add an audit row to the caller's transaction."""
    session.add(
        AuditLog(
            user_id=getattr(actor, "id", None),
            user_login=actor.login if actor else "system",
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            details=details,
            remote_addr=remote_addr,
        )
    )


@dataclass(frozen=True)
class AuditQuery:
    user_login: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


ACTION_LABELS: dict[str, str] = {
    "login": "Вход по паролю",
    "login_cert": "Вход по ЭП",
    "login_failed": "Неудачный вход",
    "login_cert_failed": "Неудачный вход по ЭП",
    "login_locked": "Вход в заблокированную учётную запись",
    "logout": "Выход",
    "person.view": "Просмотр карточки ЗЛ",
    "person.apply": "Изменение регистра (подтверждено ФЕРЗЛ)",
    "person.apply_forced": "Изменение регистра (принудительно)",
    "person.view_ferzl": "Просмотр состояния ЗЛ в ФЕРЗЛ",
    "person.refresh_from_ferzl": "Обновление данных РСЕРЗ из ФЕРЗЛ",
    "buffer_request.create": "Создание запроса в буфере",
    "buffer_request.resend": "Повторная отправка запроса",
    "buffer_request.delete": "Удаление запроса",
    "buffer_request.force_send": "Принудительная отправка запроса",
    "buffer_request.send_to_ferzl": "Отправка данных РСЕРЗ в ФЕРЗЛ",
    "snapshot.view": "Просмотр среза",
    "user.update": "Изменение пользователя",
    "user.set_password": "Смена пароля пользователя",
    "user.bind_certificate": "Привязка сертификата",
    "user.create": "Создание пользователя",
}


def search_audit(
    session: Session, actor: Actor, query: AuditQuery, *, page: int = 1, page_size: int = 100
) -> tuple[list[AuditLog], bool]:
    """One page of the audit log, newest first (ТФОМС only)."""
    from register.roles import AccessDenied, can_review_audit

    if not can_review_audit(actor):
        raise AccessDenied("Журнал аудита доступен оператору ТФОМС")
    stmt = select(AuditLog)
    if query.user_login:
        stmt = stmt.where(AuditLog.user_login == query.user_login.strip().lower())
    if query.action:
        stmt = stmt.where(AuditLog.action == query.action)
    if query.object_type:
        stmt = stmt.where(AuditLog.object_type == query.object_type)
    if query.object_id:
        stmt = stmt.where(AuditLog.object_id == query.object_id)
    if query.date_from:
        stmt = stmt.where(AuditLog.at >= local_day_start(query.date_from))
    if query.date_to:
        stmt = stmt.where(AuditLog.at < local_day_start(query.date_to + dt.timedelta(days=1)))
    stmt = stmt.order_by(AuditLog.id.desc()).offset((max(page, 1) - 1) * page_size)
    found = list(session.scalars(stmt.limit(page_size + 1)))
    return found[:page_size], len(found) > page_size
