"""Bookkeeping of the exchange with the central segment (ФЕРЗЛ): batches, messages, answers.

The protocol (HL7 files) lives in ``ferzl``; this module keeps the rules of what an
answer does to the buffer, so that both the Dagster jobs and the command line call
the same code:

- a batch is first *prepared* — its GUID and the message id of every request are
  committed before the file is written — then *sent* once the file is in the
  outbound folder; a crash between the two is healed by writing the prepared
  batch again with the same ids (the central segment answers a known batch GUID
  again and applies nothing twice);
- every answer is matched by message id; a repeated, late, contradictory or
  unknown answer goes into the journal (``exchange_event``) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from register import buffer
from register.db import lock_for_write
from register.models import (
    BufferRequest,
    ExchangeAnswerFile,
    ExchangeBatch,
    ExchangeEvent,
    ExchangeMessage,
    utcnow,
)
from register.roles import SMO, AccessDenied, Actor, can_view_buffer

# Batch states
PREPARED = "prepared"
SENT = "sent"
TRANSPORT_ACCEPTED = "transport_accepted"
TRANSPORT_ERROR = "transport_error"

BATCH_STATE_LABELS = {
    PREPARED: "Формируется",
    SENT: "Отправлен",
    TRANSPORT_ACCEPTED: "Принят (транспорт)",
    TRANSPORT_ERROR: "Ошибка транспорта",
}
ANSWER_LABELS = {
    "AA": "Принято",
    "AE": "Принято с предупреждениями",
    "AR": "Отклонено",
    "CA": "Пакет принят",
    "CE": "Ошибка в пакете",
    "CR": "Пакет отклонён",
}

CHANGE = "change"
MULTIPLE_IDENTIFICATION_CODE = "69"

# ERR.5 application codes and ERR.2 positions → the register field they concern.
FIELD_BY_APP_CODE = {"43": "enp", "67": "doc_number", "68": "snils"}
FIELD_BY_POSITION = {
    "PID.5": "surname",
    "PID.7": "birth_date",
    "PID.8": "sex",
    "PID.23": "birth_place",
    "PID.26": "citizenship",
    "PID.29": "death_date",
    "IN1.3": "smo_code",
    "IN1.12": "insurance_start",
    "IN1.13": "insurance_end",
    "IN1.35": "policy_form",
    "IN1.36": "policy_number",
}

# Journal levels
INFO, WARNING, ERROR = "info", "warning", "error"
JOURNAL_LEVELS = {INFO: "Сведения", WARNING: "Предупреждение", ERROR: "Ошибка"}


@dataclass(frozen=True)
class AnswerError:
    """One ERR of an answer, already in Russian."""

    text: str
    code: str | None = None  # ERR.5 (application or transport code)
    position: str | None = None  # ERR.2, e.g. "PID.3"
    warning: bool = False

    @property
    def field(self) -> str:
        """The register field the error is about, so the correction form shows it there."""
        return FIELD_BY_APP_CODE.get(self.code or "") or FIELD_BY_POSITION.get(
            self.position or "", ""
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "message": self.text,
            "code": self.code,
            "position": self.position,
            "warning": self.warning,
        }


@dataclass
class AnswerOutcome:
    """What one answer file did: counts by effect, for the journal and the logs."""

    applied: int = 0
    rejected: int = 0
    multiple: int = 0
    repeated: int = 0
    late: int = 0
    unknown: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "rejected": self.rejected,
            "multiple": self.multiple,
            "repeated": self.repeated,
            "late": self.late,
            "unknown": self.unknown,
        }


def journal(
    session: Session,
    level: str,
    kind: str,
    text: str,
    *,
    file_name: str | None = None,
    batch_id: str | None = None,
    message_id: str | None = None,
    buffer_request_id: int | None = None,
) -> None:
    """A row of the exchange journal, in the caller's transaction."""
    session.add(
        ExchangeEvent(
            level=level,
            kind=kind,
            text=text,
            file_name=file_name,
            batch_id=batch_id,
            message_id=message_id,
            buffer_request_id=buffer_request_id,
        )
    )


# --- sending ------------------------------------------------------------------


def _claimable():  # type: ignore[no-untyped-def]
    return select(BufferRequest).where(
        BufferRequest.status == buffer.FORMAT_CHECKED, BufferRequest.batch_id.is_(None)
    )


@dataclass(frozen=True)
class QueueState:
    queued: int
    forced: int
    oldest: dt.datetime | None


def queue_state(session: Session) -> QueueState:
    """How many requests wait to be sent, how many of them are forced, the oldest wait."""
    queued, forced, oldest = session.execute(
        select(
            func.count(BufferRequest.id),
            func.count(BufferRequest.forced_at),
            func.min(BufferRequest.updated_at),
        ).where(BufferRequest.status == buffer.FORMAT_CHECKED, BufferRequest.batch_id.is_(None))
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return QueueState(int(queued), int(forced), oldest)


def sending_due(
    state: QueueState, *, batch_size: int, delay_seconds: int, now: dt.datetime
) -> bool:
    """Send now: a forced request waits, a full batch is ready, or the oldest waited long enough."""
    if state.queued == 0:
        return False
    if state.forced or state.queued >= batch_size:
        return True
    return state.oldest is not None and (now - state.oldest).total_seconds() >= delay_seconds


def claim_requests(session: Session, limit: int) -> list[BufferRequest]:
    """Queued requests for the next batch, forced first, then oldest first (locks the buffer)."""
    lock_for_write(session)
    stmt = (
        _claimable()
        .order_by(BufferRequest.forced_at.is_(None), BufferRequest.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def refuse_unsendable(session: Session, request: BufferRequest, reason: str) -> None:
    """A request the protocol cannot express: rejected locally, with the reason, no batch."""
    request.status = buffer.REJECTED
    request.errors = [AnswerError(f"Запрос не может быть отправлен в ФЕРЗЛ: {reason}").as_json()]
    request.answered_at = request.updated_at = utcnow()
    journal(
        session,
        ERROR,
        "unsendable",
        f"Запрос № {request.id} не отправлен: {reason}",
        buffer_request_id=request.id,
    )


def prepare_batch(
    session: Session,
    requests: Sequence[BufferRequest],
    *,
    batch_id: str,
    file_name: str,
    message_ids: Sequence[str],
    created_at: dt.datetime,
) -> ExchangeBatch:
    """Record a batch and the message id of each request before the file is written."""
    batch = ExchangeBatch(
        id=batch_id,
        file_name=file_name,
        state=PREPARED,
        message_count=len(requests),
        created_at=created_at,
        transport_errors=[],
    )
    session.add(batch)
    session.flush()
    # Multi-row statements: a batch holds up to thousands of requests.
    table = BufferRequest.__table__
    session.execute(
        update(table)  # type: ignore[arg-type]
        .where(table.c.id == bindparam("request_pk"))  # type: ignore[attr-defined]
        .values(version=table.c.version + 1),  # type: ignore[attr-defined]
        [
            {
                "request_pk": r.id,
                "batch_id": batch_id,
                "message_id": m,
                "updated_at": created_at,
            }
            for r, m in zip(requests, message_ids, strict=True)
        ],
    )
    session.execute(
        insert(ExchangeMessage),
        [
            {
                "message_id": m,
                "batch_id": batch_id,
                "kind": CHANGE,
                "buffer_request_id": r.id,
                "person_id": r.person_id,
                "event_code": r.event_code,
                "created_at": created_at,
                "answer_errors": [],
                "answer_count": 0,
            }
            for r, m in zip(requests, message_ids, strict=True)
        ],
    )
    for request in requests:
        session.expire(request)
    return batch


def prepared_batches(session: Session) -> list[ExchangeBatch]:
    """Batches whose file may not have been written (a sender stopped in the middle)."""
    return list(
        session.scalars(
            select(ExchangeBatch)
            .where(ExchangeBatch.state == PREPARED)
            .order_by(ExchangeBatch.created_at)
        )
    )


def batch_requests(session: Session, batch_id: str) -> list[BufferRequest]:
    """The requests of a batch in message order (a request deleted meanwhile is left out)."""
    return list(
        session.scalars(
            select(BufferRequest)
            .join(ExchangeMessage, ExchangeMessage.buffer_request_id == BufferRequest.id)
            .where(
                ExchangeMessage.batch_id == batch_id,
                BufferRequest.message_id == ExchangeMessage.message_id,
            )
            .order_by(ExchangeMessage.id)
        )
    )


def mark_batch_sent(session: Session, batch_id: str, *, sha256: str, message_count: int) -> None:
    """The file is in the outbound folder: its requests are «sent» (idempotent)."""
    lock_for_write(session)
    batch = session.get(ExchangeBatch, batch_id, with_for_update=True)
    if batch is None:
        raise LookupError(batch_id)
    now = utcnow()
    if batch.state == PREPARED:
        batch.state = SENT
        batch.sent_at = now
    batch.file_sha256 = sha256
    batch.message_count = message_count
    # One statement for the whole batch; the version bump keeps operators' optimistic locks.
    session.execute(
        update(BufferRequest)
        .where(BufferRequest.batch_id == batch_id, BufferRequest.status == buffer.FORMAT_CHECKED)
        .values(
            status=buffer.SENT,
            sent_at=now,
            updated_at=now,
            version=BufferRequest.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


# --- answers ------------------------------------------------------------------


def register_answer_file(
    session: Session, *, sha256: str, file_name: str, kind: str, batch_id: str | None
) -> bool:
    """Claim an answer file by its content; False (and a journal row) when it came before."""
    lock_for_write(session)
    earlier = session.get(ExchangeAnswerFile, sha256)
    if earlier is not None:
        journal(
            session,
            INFO,
            "repeat_file",
            f"Файл {file_name} повторяет полученный ранее {earlier.file_name}: пропущен",
            file_name=file_name,
            batch_id=batch_id,
        )
        return False
    row = ExchangeAnswerFile(
        sha256=sha256, file_name=file_name, kind=kind, batch_id=batch_id, outcome="processed"
    )
    if _claim(session, row):
        return True
    journal(
        session,
        INFO,
        "repeat_file",
        f"Файл {file_name} уже читается другим процессом: пропущен",
        file_name=file_name,
        batch_id=batch_id,
    )
    return False


def _claim(session: Session, row: ExchangeAnswerFile) -> bool:
    """Insert the file's row; False when a concurrent reader inserted it first (PostgreSQL
    checks the key only at insert time — SQLite's write lock already serialised them)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def known_answer_file_name(session: Session, sha256: str) -> str | None:
    """The name a file of this content was first read under (None: never read)."""
    row = session.get(ExchangeAnswerFile, sha256)
    return row.file_name if row is not None else None


def record_unreadable_file(
    session: Session, *, sha256: str, file_name: str, kind: str, reason: str
) -> None:
    """An answer file that could not be read: journalled once, nothing else changes."""
    lock_for_write(session)
    row = ExchangeAnswerFile(
        sha256=sha256,
        file_name=file_name,
        kind=kind,
        outcome="unreadable",
        summary={"reason": reason},
    )
    if session.get(ExchangeAnswerFile, sha256) is None and _claim(session, row):
        journal(
            session,
            ERROR,
            "unreadable_file",
            f"Файл {file_name} не прочитан: {reason}",
            file_name=file_name,
        )
    session.flush()


def finish_answer_file(session: Session, sha256: str, outcome: AnswerOutcome) -> None:
    row = session.get(ExchangeAnswerFile, sha256)
    if row is not None:
        row.summary = outcome.as_json()


def record_transport_answer(
    session: Session,
    *,
    batch_id: str,
    code: str,
    errors: Sequence[AnswerError],
    file_name: str,
) -> AnswerOutcome:
    """``.uprak1``: CA — the batch is taken; CE/CR — none of its messages was taken."""
    outcome = AnswerOutcome()
    lock_for_write(session)
    batch = session.get(ExchangeBatch, batch_id, with_for_update=True)
    if batch is None:
        outcome.unknown += 1
        journal(
            session,
            WARNING,
            "unknown_batch",
            f"Квитанция {code} на неизвестный пакет {batch_id}: пропущена",
            file_name=file_name,
            batch_id=batch_id,
        )
        return outcome
    if batch.transport_code is not None:
        outcome.repeated += 1
        same = batch.transport_code == code
        journal(
            session,
            INFO if same else WARNING,
            "repeat_transport",
            f"Повторная транспортная квитанция {code} на пакет {batch.file_name}"
            + ("" if same else f" (первая была {batch.transport_code}, оставлена она)"),
            file_name=file_name,
            batch_id=batch_id,
        )
        return outcome
    now = utcnow()
    batch.transport_code = code
    batch.transport_errors = [e.as_json() for e in errors]
    batch.transport_at = now
    if batch.state in (PREPARED, SENT):
        batch.state = TRANSPORT_ACCEPTED if code == "CA" else TRANSPORT_ERROR
    for request in _live_requests(session, batch_id):
        if request.status not in (buffer.FORMAT_CHECKED, buffer.SENT):
            continue  # the application answer came first (out of order)
        if code == "CA":
            request.status = buffer.TRANSPORT_ACCEPTED
        else:
            request.status = buffer.TRANSPORT_ERROR
            request.errors = [e.as_json() for e in errors] or [
                AnswerError("Пакет не принят ФЕРЗЛ").as_json()
            ]
            request.answered_at = now
            outcome.rejected += 1
        request.updated_at = now
    if code != "CA":
        journal(
            session,
            ERROR,
            "transport_error",
            f"Пакет {batch.file_name} не принят ({code}): " + "; ".join(e.text for e in errors),
            file_name=file_name,
            batch_id=batch_id,
        )
    session.flush()
    return outcome


def _live_requests(session: Session, batch_id: str) -> list[BufferRequest]:
    """Requests still carrying a message of this batch (not resent or deleted since)."""
    return list(
        session.scalars(
            select(BufferRequest).where(BufferRequest.batch_id == batch_id).with_for_update()
        )
    )


def answer_status(code: str, error_codes: Iterable[str | None]) -> str:
    """The buffer status an application answer means: AA/AE accepted, AR rejected — or
    multiple identification when the central segment found several candidates (69)."""
    if code == "AA":
        return buffer.ACCEPTED
    if code == "AE":
        return buffer.ACCEPTED_WARNINGS
    if MULTIPLE_IDENTIFICATION_CODE in error_codes:
        return buffer.MULTIPLE
    return buffer.REJECTED


@dataclass(frozen=True)
class ChangeAnswerIn:
    """One ACK of a ``.uprak2`` as the ingest read it."""

    message_id: str
    code: str  # AA / AE / AR
    errors: Sequence[AnswerError] = ()


def _by_chunks(session: Session, column: Any, values: list[Any], model: Any) -> list[Any]:
    found: list[Any] = []
    for i in range(0, len(values), 500):
        stmt = select(model).where(column.in_(values[i : i + 500])).with_for_update()
        found.extend(session.scalars(stmt))
    return found


def record_change_answers(
    session: Session,
    *,
    batch_id: str,
    answers: Sequence[ChangeAnswerIn],
    file_name: str,
    outcome: AnswerOutcome,
) -> None:
    """The ACKs of a ``.uprak2``: AA/AE apply their requests, AR rejects (69: multiple).

    An answer to an unknown message, a repeat, a late answer to an earlier send of a
    request that was corrected and resent since, or one whose request was deleted,
    is journalled and changes nothing.
    """
    lock_for_write(session)
    # Lock order everywhere: batch → messages → requests → persons (PostgreSQL deadlocks
    # otherwise when the .uprak1 and .uprak2 of one batch are read at the same time).
    batch = session.get(ExchangeBatch, batch_id, with_for_update=True)
    messages = {
        m.message_id: m
        for m in _by_chunks(
            session, ExchangeMessage.message_id, [a.message_id for a in answers], ExchangeMessage
        )
    }
    request_ids = sorted({m.buffer_request_id for m in messages.values() if m.buffer_request_id})
    requests = {r.id: r for r in _by_chunks(session, BufferRequest.id, request_ids, BufferRequest)}
    now = utcnow()
    # Changes are collected and written with multi-row statements at the end; the
    # loaded rows are only read (a repeat inside the same file sees ``answered``).
    answered: dict[str, str] = {
        m.message_id: m.answer_code for m in messages.values() if m.answer_code
    }
    message_rows: dict[str, dict[str, Any]] = {}
    rejected: list[dict[str, Any]] = []
    to_apply: dict[int, str] = {}
    applied_extra: dict[int, dict[str, Any]] = {}
    for answer in answers:
        code, message_id = answer.code, answer.message_id
        where: dict[str, Any] = {
            "file_name": file_name,
            "batch_id": batch_id,
            "message_id": message_id,
        }
        message = messages.get(message_id)
        if message is None or message.batch_id != batch_id:
            outcome.unknown += 1
            journal(
                session,
                WARNING,
                "unknown_message",
                f"Ответ {code} на неизвестное сообщение {message_id}: пропущен",
                **where,
            )
            continue
        row = message_rows.setdefault(
            message_id, {"message_pk": message.id, "answer_count": message.answer_count}
        )
        row["answer_count"] += 1
        where["buffer_request_id"] = message.buffer_request_id
        if message_id in answered:
            outcome.repeated += 1
            first = answered[message_id]
            journal(
                session,
                INFO if first == code else WARNING,
                "repeat_answer",
                f"Повторный ответ {code} на сообщение {message_id}"
                + ("" if first == code else f" (первый был {first}, оставлен он)"),
                **where,
            )
            continue
        answered[message_id] = code
        row.update(
            answer_code=code,
            answer_errors=[e.as_json() for e in answer.errors],
            answered_at=now,
            person_id=message.person_id,
        )
        if batch is not None and batch.state == TRANSPORT_ERROR:
            journal(
                session,
                ERROR,
                "answer_after_transport_error",
                f"Ответ {code} на сообщение пакета, не принятого ФЕРЗЛ ({batch.transport_code}):"
                " запрос не изменён",
                **where,
            )
            continue
        request = requests.get(message.buffer_request_id or 0)
        if request is None:
            outcome.late += 1
            journal(
                session,
                WARNING,
                "request_deleted",
                f"Ответ {code} на сообщение {message_id}: запрос № {message.buffer_request_id}"
                " удалён из буфера — ответ только записан",
                **where,
            )
            continue
        if request.message_id != message_id or request.status in buffer.FINISHED:
            outcome.late += 1
            journal(
                session,
                WARNING,
                "late_answer",
                f"Запоздалый ответ {code} на прежнюю отправку запроса № {request.id}:"
                " запрос не изменён",
                **where,
            )
            continue
        status = answer_status(code, (e.code for e in answer.errors))
        if status in buffer.FINISHED_OK:
            to_apply[request.id] = status
            applied_extra[request.id] = {
                "answered_at": now,
                "errors": [{**e.as_json(), "warning": True} for e in answer.errors],
            }
            continue
        rejected.append(
            {
                "request_pk": request.id,
                "status": status,
                "errors": [e.as_json() for e in answer.errors]
                or [AnswerError("ФЕРЗЛ отклонил запрос без указания причины").as_json()],
                "answered_at": now,
                "updated_at": now,
            }
        )
        if status == buffer.MULTIPLE:
            outcome.multiple += 1
        else:
            outcome.rejected += 1
    if to_apply:
        persons = buffer.apply_requests(session, to_apply, extra=applied_extra)
        for request_id, person_id in persons.items():
            message_rows[requests[request_id].message_id or ""]["person_id"] = person_id
        outcome.applied += len(to_apply)
    buffer.update_requests(session, rejected)
    _update_messages(session, list(message_rows.values()))
    if batch is not None and batch.answered_at is None and answered:
        batch.answered_at = now
    for loaded in [*messages.values(), *requests.values()]:
        session.expire(loaded)
    session.flush()


def _update_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    table = ExchangeMessage.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        session.execute(
            update(table).where(table.c.id == bindparam("message_pk")),  # type: ignore[attr-defined,arg-type]
            group,
        )


# --- what the screens show ------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    """A message exchanged about a person, with its batch and answer."""

    message: ExchangeMessage
    batch: ExchangeBatch

    @property
    def status(self) -> str:
        """Where the message stands, as a buffer status (the screens colour by it)."""
        code = self.message.answer_code
        if code:
            return answer_status(code, (e.get("code") for e in self.message.answer_errors or []))
        if self.batch.transport_code in ("CE", "CR"):
            return buffer.TRANSPORT_ERROR
        return buffer.SENT if self.batch.sent_at else buffer.FORMAT_CHECKED

    @property
    def answer_label(self) -> str:
        code = self.message.answer_code
        return ANSWER_LABELS.get(code, code) if code else "Нет ответа"


def messages_for_person(
    session: Session, actor: Actor, person_id: int, request_ids: Iterable[int] = ()
) -> list[MessageView]:
    """Messages sent about a person (or about the given requests), newest first.

    The exchange belongs to the buffer: an operator who may not see the buffer sees
    none of it; an СМО operator sees only the messages of their СМО's requests.
    """
    if not can_view_buffer(actor):
        raise AccessDenied("Ваша роль не даёт доступа к обмену с ФЕРЗЛ")
    ids = list(request_ids)
    condition = ExchangeMessage.person_id == person_id
    if ids:
        condition = or_(condition, ExchangeMessage.buffer_request_id.in_(ids))
    stmt = (
        select(ExchangeMessage, ExchangeBatch)
        .join(ExchangeBatch, ExchangeBatch.id == ExchangeMessage.batch_id)
        .where(condition)
        .order_by(ExchangeMessage.id.desc())
    )
    if actor.role == SMO:
        own = select(BufferRequest.id).where(BufferRequest.author_smo == actor.smo_code)
        stmt = stmt.where(ExchangeMessage.buffer_request_id.in_(own))
    return [MessageView(m, b) for m, b in session.execute(stmt)]


def recent_events(session: Session, *, limit: int = 100) -> list[ExchangeEvent]:
    return list(
        session.scalars(select(ExchangeEvent).order_by(ExchangeEvent.id.desc()).limit(limit))
    )
