"""The messages exchanged with ФЕРЗЛ about a person's requests, as the tab «Запросы к ФЕРЗЛ»
of the register screen (and the card) shows them: coloured like the buffer.

Imports nothing of webapp.persons: the register screen imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from register.buffer import TRANSPORT_ERROR, colour
from register.exchange import BATCH_STATE_LABELS, MessageView
from webapp.filters import BUFFER_ROW_CLASSES


def message_colour(view: MessageView) -> str:
    """The buffer's colour of the status the message's answer means (white: no answer yet)."""
    return colour(view.status)


def _error_text(error: Mapping[str, Any]) -> str:
    text = str(error.get("message") or "")
    code = error.get("code")
    prefix = "Предупреждение" if error.get("warning") else None
    parts = [p for p in (prefix, f"код {code}" if code else None) if p]
    return f"{text} ({', '.join(parts)})" if parts else text


@dataclass(frozen=True)
class MessageRow:
    sent_at: dt.datetime | None
    file_name: str
    request_id: int | None
    event_code: str | None
    message_id: str
    state: str
    answer_code: str | None
    answer: str
    answered_at: dt.datetime | None
    repeats: int
    errors: list[str]
    colour: str

    @property
    def row_class(self) -> str:
        return BUFFER_ROW_CLASSES.get(self.colour, "")


def message_rows(views: Iterable[MessageView]) -> list[MessageRow]:
    rows = []
    for view in views:
        message, batch = view.message, view.batch
        errors = [_error_text(e) for e in message.answer_errors or []]
        if not errors and view.status == TRANSPORT_ERROR:
            errors = [_error_text(e) for e in batch.transport_errors or []] or [
                "Пакет не принят ФЕРЗЛ"
            ]
        answer = view.answer_label
        if message.answer_code:
            answer = f"{message.answer_code} — {answer}"
        elif view.status == TRANSPORT_ERROR:
            answer = f"{batch.transport_code} — пакет не принят"
        rows.append(
            MessageRow(
                sent_at=batch.sent_at or message.created_at,
                file_name=batch.file_name,
                request_id=message.buffer_request_id,
                event_code=message.event_code,
                message_id=message.message_id,
                state=BATCH_STATE_LABELS.get(batch.state, batch.state),
                answer_code=message.answer_code,
                answer=answer,
                answered_at=message.answered_at,
                repeats=max(message.answer_count - 1, 0),
                errors=errors,
                colour=message_colour(view),
            )
        )
    return rows
