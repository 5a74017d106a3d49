"""How a buffer request is shown: its errors, the exchange data, the authors' logins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from register.models import BufferRequest, User
from webapp.labels import RECORD_LABELS


@dataclass(frozen=True)
class ErrorLine:
    """One message about a request, as the detail panel and the correction form show it."""

    field: str | None
    label: str
    message: str
    warning: bool


def error_lines(errors: Iterable[Mapping[str, Any]] | None) -> list[ErrorLine]:
    """The request's messages with field titles; errors first, then warnings."""
    lines = [
        ErrorLine(
            field=e.get("field") or None,
            label=RECORD_LABELS.get(e.get("field") or "", e.get("field") or "Запрос в целом"),
            message=str(e.get("message") or ""),
            warning=bool(e.get("warning")),
        )
        for e in errors or []
    ]
    return sorted(lines, key=lambda line: line.warning)


#: The «Ответы ФЕРЗЛ» tab for now: identifiers and times of the exchange.
EXCHANGE_FIELDS: tuple[tuple[str, str], ...] = (
    ("message_id", "Идентификатор сообщения"),
    ("batch_id", "Идентификатор пакета"),
    ("forced_at", "Отмечен для принудительной отправки"),
    ("sent_at", "Отправлен в ФЕРЗЛ"),
    ("answered_at", "Получен ответ"),
    ("applied_at", "Применён к регистру"),
    ("created_at", "Создан"),
    ("updated_at", "Изменён"),
)


def author_logins(session: Session, requests: Iterable[BufferRequest | None]) -> dict[int, str]:
    """Login of each author of these requests (one query for the page)."""
    ids = {r.author_id for r in requests if r is not None and r.author_id is not None}
    if not ids:
        return {}
    found = session.execute(select(User.id, User.login).where(User.id.in_(ids)))
    return {user_id: login for user_id, login in found}


def list_url(back: str | None, *, selected: int | None, buffer_type: int | None = None) -> str:
    """The buffer list to return to: the operator's filter kept, ``selected`` set or dropped.

    ``back`` comes from the browser: only its query string is used, on the buffer's own path.
    """
    base = url_for("buffer.requests")
    args: dict[str, str] = {}
    if back:
        parts = urlsplit(back)
        if not parts.scheme and not parts.netloc and parts.path == base:
            args = dict(parse_qsl(parts.query))
    args.pop("selected", None)
    if buffer_type is not None:
        args.setdefault("buffer_type", str(buffer_type))
    if selected is not None:
        args["selected"] = str(selected)
    return f"{base}?{urlencode(args)}" if args else base
