"""The buffer: change requests waiting for the central segment, and applying them.

A change reaches the register only through a buffer request confirmed by the
central segment (or forced by a ТФОМС operator); applying writes a new person
version and an audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from register import flk
from register.audit import audit
from register.clock import local_date, local_day_start
from register.db import lock_for_write
from register.enp import make_enp, validate_enp
from register.models import (
    RECORD_FIELDS,
    AuditLog,
    BufferRequest,
    Mo,
    Person,
    PersonVersion,
    Smo,
    User,
    utcnow,
)
from register.names import normalize_name
from register.records import DATE_FIELDS, normalize_record, parse_record
from register.roles import (
    SMO,
    TFOMS,
    AccessDenied,
    Actor,
    can_change_person,
    can_change_persons,
    can_manage_buffer,
    can_view_buffer,
)
from register.sequences import next_change_seq, next_enp_sequence
from register.validation import FieldError, ValidationFailed, blocking

# --- states ---------------------------------------------------------------

NEW = "new"
FORMAT_CHECKED = "format_checked"
SENT = "sent"
TRANSPORT_ACCEPTED = "transport_accepted"
TRANSPORT_ERROR = "transport_error"
ACCEPTED = "accepted"
ACCEPTED_WARNINGS = "accepted_warnings"
REJECTED = "rejected"
MULTIPLE = "multiple_identification"

STATUS_LABELS: dict[str, str] = {
    NEW: "Новый",
    FORMAT_CHECKED: "ФЛК пройден",
    SENT: "Отправлен в ФЕРЗЛ",
    TRANSPORT_ACCEPTED: "Принят ФЕРЗЛ (транспорт)",
    TRANSPORT_ERROR: "Ошибка транспорта",
    ACCEPTED: "Принят",
    ACCEPTED_WARNINGS: "Принят с предупреждениями",
    REJECTED: "Отклонён",
    MULTIPLE: "Множественная идентификация",
}
FINISHED_OK = frozenset({ACCEPTED, ACCEPTED_WARNINGS})
FINISHED_ERROR = frozenset({REJECTED, TRANSPORT_ERROR})
FINISHED = FINISHED_OK | FINISHED_ERROR | {MULTIPLE}

BUFFER_TYPES: dict[int, str] = {1: "Страхование ЗЛ", 2: "Военная служба"}
OPERATION_LABELS: dict[str, str] = {
    flk.REGISTER: "Постановка на учёт",
    flk.EDIT: "Изменение данных",
    flk.CLOSE: "Снятие с учёта",
}


def colour(status: str) -> str:
    """Screen colour of a request: green finished, red error, yellow multiple, white otherwise."""
    if status in FINISHED_OK:
        return "green"
    if status in FINISHED_ERROR:
        return "red"
    if status == MULTIPLE:
        return "yellow"
    return "white"


class RecordConflict(Exception):
    """The person changed (or has a request pending) since the operator opened it."""


# --- records <-> JSON -------------------------------------------------------


def person_record(person: Person) -> dict[str, Any]:
    return {f: getattr(person, f) for f in RECORD_FIELDS}


def record_to_json(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in record.items()}


def record_from_json(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: (dt.date.fromisoformat(v) if k in DATE_FIELDS and isinstance(v, str) else v)
        for k, v in data.items()
    }


# --- listing ----------------------------------------------------------------


@dataclass(frozen=True)
class BufferQuery:
    """Filters of the «Буфер» screen; the buffer type is required."""

    buffer_type: int
    status: str | None = None
    hide_finished: bool = False
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    author_login: str | None = None
    surname: str | None = None
    person_id: int | None = None
    request_id: int | None = None


def list_requests(
    session: Session,
    actor: Actor,
    query: BufferQuery,
    *,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[BufferRequest], bool]:
    """One page of the buffer the actor may see (newest first) and whether more follow.

    ТФОМС sees every request, an СМО operator only those of their СМО.
    """
    if not can_view_buffer(actor):
        raise AccessDenied("Ваша роль не даёт доступа к буферу")
    stmt = select(BufferRequest).where(BufferRequest.buffer_type == query.buffer_type)
    if actor.role == SMO:
        stmt = stmt.where(BufferRequest.author_smo == actor.smo_code)
    if query.status:
        stmt = stmt.where(BufferRequest.status == query.status)
    if query.hide_finished:
        stmt = stmt.where(BufferRequest.status.not_in(FINISHED_OK))
    if query.created_from:
        stmt = stmt.where(BufferRequest.created_at >= local_day_start(query.created_from))
    if query.created_to:
        stmt = stmt.where(
            BufferRequest.created_at < local_day_start(query.created_to + dt.timedelta(days=1))
        )
    if query.author_login:
        author_ids = select(User.id).where(User.login == query.author_login.strip().lower())
        stmt = stmt.where(BufferRequest.author_id.in_(author_ids))
    if query.surname and normalize_name(query.surname):
        prefix = normalize_name(query.surname)
        stmt = stmt.where(
            BufferRequest.surname_norm >= prefix, BufferRequest.surname_norm < prefix + "\uffff"
        )
    if query.person_id:
        stmt = stmt.where(BufferRequest.person_id == query.person_id)
    if query.request_id:
        stmt = stmt.where(BufferRequest.id == query.request_id)
    stmt = stmt.order_by(BufferRequest.id.desc())
    stmt = stmt.offset((max(page, 1) - 1) * page_size).limit(page_size + 1)
    found = list(session.scalars(stmt))
    return found[:page_size], len(found) > page_size


def get_request(session: Session, actor: Actor, request_id: int) -> BufferRequest | None:
    """One request, if the actor may see it (None otherwise: a tampered id learns nothing)."""
    if not can_view_buffer(actor):
        raise AccessDenied("Ваша роль не даёт доступа к буферу")
    request = session.get(BufferRequest, request_id)
    if request is None or not _may_see(actor, request):
        return None
    return request


def _may_see(actor: Actor, request: BufferRequest) -> bool:
    return actor.role == TFOMS or (actor.role == SMO and request.author_smo == actor.smo_code)


# --- creating requests ------------------------------------------------------


def pending_request(
    session: Session, person_id: int, *, excluding: int | None = None
) -> BufferRequest | None:
    """The person's request that the central segment has not finished yet, if any."""
    return session.scalar(
        select(BufferRequest)
        .where(
            BufferRequest.person_id == person_id,
            BufferRequest.status.not_in(FINISHED),
            BufferRequest.id != (excluding or 0),
        )
        .order_by(BufferRequest.id.desc())
        .limit(1)
    )


def _refuse_second_pending(session: Session, request: BufferRequest) -> None:
    """A finished request goes out again only while no other change of the person waits:
    two unfinished requests of one person would be applied over each other."""
    if request.person_id is None:
        return
    waiting = pending_request(session, request.person_id, excluding=request.id)
    if waiting is not None:
        raise RecordConflict(
            f"По застрахованному уже есть незавершённый запрос в буфере № {waiting.id}"
        )


def _event_code(operation: str, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    if operation == flk.REGISTER:
        return "П01"
    if operation == flk.CLOSE:
        return "П02"
    assert old is not None
    if new.get("smo_code") != old.get("smo_code"):
        return "П03"
    if (new.get("policy_form"), new.get("policy_number")) != (
        old.get("policy_form"),
        old.get("policy_number"),
    ):
        return "П06"
    if new.get("working") != old.get("working") and all(
        new.get(f) == old.get(f) for f in RECORD_FIELDS if f != "working"
    ):
        return "П05"
    return "П04"


def _duplicate_errors(
    session: Session,
    record: Mapping[str, Any],
    person_id: int | None,
    old: Mapping[str, Any] | None = None,
) -> list[FieldError]:
    """A registration or edit must not give a person the СНИЛС or ДУЛ of another one.

    Only what the change sets is checked: an identifier the person already shares
    with a (duplicate) record is for the duplicates work list, and must not block
    an unrelated edit such as a new phone number.
    """
    old = old or {}
    errors: list[FieldError] = []
    if record.get("snils") and record.get("snils") != old.get("snils"):
        other = session.scalar(
            select(Person.enp).where(Person.snils == record["snils"], Person.id != (person_id or 0))
        )
        if other:
            errors.append(
                FieldError("snils", f"СНИЛС принадлежит другому застрахованному (ЕНП {other})")
            )
    doc_fields = ("doc_type", "doc_series", "doc_number")
    doc_changed = any(record.get(f) != old.get(f) for f in doc_fields)
    if record.get("doc_number") and record.get("doc_type") is not None and doc_changed:
        other = session.scalar(
            select(Person.enp).where(
                Person.doc_type == record["doc_type"],
                Person.doc_number == record["doc_number"],
                Person.doc_series == record.get("doc_series"),
                Person.id != (person_id or 0),
            )
        )
        if other:
            errors.append(
                FieldError("doc_number", f"ДУЛ принадлежит другому застрахованному (ЕНП {other})")
            )
    return errors


def _lock_person_for_change(session: Session, actor: Actor, person_id: int) -> Person:
    """The person row, locked (PostgreSQL) so that two operators cannot both pass the checks."""
    person = session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise LookupError(person_id)
    if not can_change_person(actor, person.smo_code):
        raise AccessDenied("Застрахованный относится к другой СМО: изменять его сведения нельзя")
    return person


def _checked_proposal(
    session: Session,
    actor: Actor,
    operation: str,
    raw: Mapping[str, Any],
    person: Person | None,
    today: dt.date,
) -> tuple[dict[str, Any], list[FieldError]]:
    """The proposed record after the ФЛК; raises ValidationFailed, returns the warnings."""
    parsed, errors = parse_record(raw)
    parsed = normalize_record(parsed)
    if operation != flk.REGISTER:
        parsed.pop("enp", None)  # a ЕНП never changes once assigned
    old = person_record(person) if person else None
    if operation == flk.CLOSE:
        assert old is not None and person is not None
        closure = {k: parsed.get(k) for k in ("closure_date", "closure_reason", "death_date")}
        checked = {
            **closure,
            "birth_date": person.birth_date,
            "insurance_start": person.insurance_start,
        }
        errors += flk.check_person(checked, operation=operation, today=today)
        if old["status"] != "insured":
            errors.append(FieldError("closure_reason", "Страхование уже прекращено"))
        proposed = {**old, **closure, "insurance_end": closure["closure_date"]}
        proposed["status"] = "deceased" if closure["closure_reason"] == "П022" else "closed"
    else:
        proposed = {**(old or {}), **parsed}
        proposed.setdefault("status", "insured")
        if actor.role == SMO and proposed.get("smo_code") != actor.smo_code:
            errors.append(FieldError("smo_code", "Оператор СМО работает только в своей СМО"))
        smo_codes = set(session.scalars(select(Smo.code)))
        mo_codes = set(session.scalars(select(Mo.code)))
        errors += flk.check_person(
            proposed, operation=operation, today=today, smo_codes=smo_codes, mo_codes=mo_codes
        )
        person_id = person.id if person else None
        if not blocking(errors):
            errors += _duplicate_errors(session, proposed, person_id, old)
        if operation == flk.REGISTER and proposed.get("enp") and not blocking(errors):
            other = session.scalar(select(Person.id).where(Person.enp == proposed["enp"]))
            if other is not None:
                errors.append(FieldError("enp", "ЕНП уже есть в регистре"))
    # A field that could not be read already has its message; «обязательно» would repeat it.
    unreadable = {e.field for e in errors if e.message != flk.REQUIRED}
    errors = [e for e in errors if not (e.message == flk.REQUIRED and e.field in unreadable)]
    if blocking(errors):
        raise ValidationFailed(errors)
    return proposed, [e for e in errors if e.warning]


def _new_enp(session: Session, region_code: str, record: Mapping[str, Any]) -> str:
    """A new ЕНП for a person first registered here (a person from another region keeps theirs)."""
    prefix = make_enp(region_code, record["birth_date"], record["sex"], 0)[:10]
    return make_enp(
        region_code, record["birth_date"], record["sex"], next_enp_sequence(session, prefix)
    )


def _warnings_json(warnings: list[FieldError]) -> list[dict[str, Any]]:
    return [{"field": w.field, "message": w.message, "warning": True} for w in warnings]


def create_request(
    session: Session,
    actor: Actor,
    *,
    operation: str,
    raw: Mapping[str, Any],
    region_code: str,
    person_id: int | None = None,
    base_version: int | None = None,
    today: dt.date | None = None,
    remote_addr: str | None = None,
) -> BufferRequest:
    """Check a proposed change (ФЛК, rights, conflicts) and put it into the buffer.

    Raises ValidationFailed (messages per field), AccessDenied or RecordConflict;
    in every such case nothing is written.
    """
    today = today or dt.date.today()
    if operation not in flk.OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    if not can_change_persons(actor):
        raise AccessDenied("Ваша роль не позволяет изменять сведения о застрахованных")

    lock_for_write(session)
    person: Person | None = None
    if operation != flk.REGISTER:
        if person_id is None:
            raise ValueError("person_id is required for edit and close")
        person = _lock_person_for_change(session, actor, person_id)
        if base_version is not None and base_version != person.version:
            raise RecordConflict(
                "Сведения о застрахованном изменены другим пользователем. Откройте запись заново."
            )
        waiting = pending_request(session, person.id)
        if waiting is not None:
            raise RecordConflict(
                f"По застрахованному уже есть незавершённый запрос в буфере № {waiting.id}"
            )
    old = person_record(person) if person else None
    proposed, warnings = _checked_proposal(session, actor, operation, raw, person, today)
    if operation == flk.EDIT and proposed == old:
        # Field "" = the record as a whole.
        raise ValidationFailed([FieldError("", "Изменений нет — запрос не создан")])
    if operation == flk.REGISTER and not proposed.get("enp"):
        proposed["enp"] = _new_enp(session, region_code, proposed)
    event = _event_code(operation, old, proposed)
    reason = proposed.get("closure_reason") if operation == flk.CLOSE else None
    request = BufferRequest(
        buffer_type=2 if reason == "П025" else 1,
        operation=operation,
        event_code=event,
        person_id=person_id,
        base_person_version=person.version if person else None,
        enp=proposed.get("enp"),
        surname=proposed["surname"],
        surname_norm=normalize_name(proposed["surname"]),
        name=proposed["name"],
        patronymic=proposed.get("patronymic"),
        birth_date=proposed["birth_date"],
        proposed=record_to_json({f: proposed.get(f) for f in RECORD_FIELDS}),
        status=FORMAT_CHECKED,
        errors=_warnings_json(warnings),
        author_id=actor.id,
        author_smo=actor.smo_code,
    )
    session.add(request)
    session.flush()
    audit(
        session,
        actor,
        "buffer_request.create",
        "buffer_request",
        request.id,
        {"operation": operation, "event": event, "person_id": person_id},
        remote_addr,
    )
    return request


# --- operator actions on requests -------------------------------------------------

RESENDABLE = FINISHED_ERROR | {MULTIPLE}


def _request_for_action(
    session: Session, actor: Actor, request_id: int, version: int | None
) -> BufferRequest:
    lock_for_write(session)
    request = session.get(BufferRequest, request_id, with_for_update=True)
    if request is None or not _may_see(actor, request):
        raise LookupError(request_id)
    if version is not None and version != request.version:
        raise RecordConflict("Запрос изменён другим пользователем. Откройте его заново.")
    return request


def resend_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    raw: Mapping[str, Any],
    region_code: str,
    version: int | None = None,
    today: dt.date | None = None,
    remote_addr: str | None = None,
) -> BufferRequest:
    """Correct a request that finished with an error and queue it again (ФЛК re-run)."""
    today = today or dt.date.today()
    if not can_change_persons(actor):
        raise AccessDenied("Ваша роль не позволяет изменять сведения о застрахованных")
    request = _request_for_action(session, actor, request_id, version)
    if request.status not in RESENDABLE:
        raise RecordConflict("Повторно отправить можно только запрос, завершённый с ошибкой")
    _refuse_second_pending(session, request)
    person = (
        _lock_person_for_change(session, actor, request.person_id)
        if request.person_id is not None
        else None
    )
    if request.operation == flk.REGISTER:
        # A registration is corrected over what it proposed, not over an empty form. A ЕНП
        # this region assigned is re-derived (the birth date or sex may be what was wrong);
        # one brought from another region stays and must agree with the data.
        earlier = record_from_json(request.proposed)
        if str(earlier.get("enp") or "").startswith(region_code) and "enp" not in raw:
            earlier.pop("enp", None)
        raw = {**earlier, **raw}
    proposed, warnings = _checked_proposal(session, actor, request.operation, raw, person, today)
    if request.operation == flk.REGISTER and not proposed.get("enp"):
        assigned = request.enp
        fits = assigned and not validate_enp(
            assigned, birth_date=proposed["birth_date"], sex=proposed["sex"]
        )
        proposed["enp"] = assigned if fits else _new_enp(session, region_code, proposed)
    old = person_record(person) if person else None
    request.event_code = _event_code(request.operation, old, proposed)
    request.base_person_version = person.version if person else None
    request.enp = proposed.get("enp")
    request.surname = proposed["surname"]
    request.surname_norm = normalize_name(proposed["surname"])
    request.name = proposed["name"]
    request.patronymic = proposed.get("patronymic")
    request.birth_date = proposed["birth_date"]
    request.proposed = record_to_json({f: proposed.get(f) for f in RECORD_FIELDS})
    request.status = FORMAT_CHECKED
    request.errors = _warnings_json(warnings)
    request.message_id = None
    request.batch_id = None
    request.sent_at = request.answered_at = request.forced_at = None
    request.updated_at = utcnow()
    audit(session, actor, "buffer_request.resend", "buffer_request", request.id, None, remote_addr)
    session.flush()
    return request


def delete_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    version: int | None = None,
    remote_addr: str | None = None,
) -> None:
    """Delete a request for good (ТФОМС only); the audit row keeps what it was."""
    if not can_manage_buffer(actor):
        raise AccessDenied("Удалять запросы может только оператор ТФОМС")
    request = _request_for_action(session, actor, request_id, version)
    if request.applied_at is not None:
        raise RecordConflict("Запрос уже применён к регистру: удалить его нельзя")
    snapshot = {
        "status": request.status,
        "operation": request.operation,
        "event": request.event_code,
        "person_id": request.person_id,
        "enp": request.enp,
        "author_id": request.author_id,
        "message_id": request.message_id,
        "proposed": request.proposed,
    }
    audit(
        session, actor, "buffer_request.delete", "buffer_request", request.id, snapshot, remote_addr
    )
    session.delete(request)
    session.flush()


SENDABLE = frozenset({NEW, FORMAT_CHECKED, TRANSPORT_ERROR})


def force_send(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    version: int | None = None,
    remote_addr: str | None = None,
) -> BufferRequest:
    """Mark a request to be sent to ФЕРЗЛ at once (ТФОМС only, audited)."""
    if not can_manage_buffer(actor):
        raise AccessDenied("Принудительная отправка доступна только оператору ТФОМС")
    request = _request_for_action(session, actor, request_id, version)
    if request.status not in SENDABLE:
        raise RecordConflict(
            f"Запрос в состоянии «{STATUS_LABELS[request.status]}» отправить нельзя"
        )
    if request.status == TRANSPORT_ERROR:
        # The central segment took none of that batch: the request goes out anew.
        _refuse_second_pending(session, request)
        request.status = FORMAT_CHECKED
        request.message_id = request.batch_id = None
        request.errors = [e for e in request.errors if e.get("warning")]
        request.sent_at = request.answered_at = None
    request.forced_at = utcnow()
    request.updated_at = request.forced_at
    audit(
        session, actor, "buffer_request.force_send", "buffer_request", request.id, None, remote_addr
    )
    session.flush()
    return request


# --- applying confirmed requests ---------------------------------------------


def apply_request(
    session: Session,
    request_id: int,
    *,
    status: str = ACCEPTED,
    actor: Actor | None = None,
    forced: bool = False,
) -> Person:
    """Apply a request the central segment confirmed (AA/AE) — or a ТФОМС operator forced.

    Idempotent: a request applied already is returned unchanged.
    """
    person_id = apply_requests(session, {request_id: status}, actor=actor, forced=forced)[
        request_id
    ]
    person = session.get(Person, person_id)
    assert person is not None
    return person


_CHUNK = 500  # ids per IN (...) list


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def update_requests(session: Session, rows: list[dict[str, Any]]) -> None:
    """Multi-row update of buffer requests: each row has ``request_pk`` and the columns to set.

    The version is bumped as the ORM would, so an operator's open form still sees the
    request changed. Rows are grouped by the columns they set (one statement each).
    """
    table = BufferRequest.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        session.execute(
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == bindparam("request_pk"))  # type: ignore[attr-defined]
            .values(version=table.c.version + 1),  # type: ignore[attr-defined]
            group,
        )


def _person_row(record: Mapping[str, Any], seq: int, now: dt.datetime) -> dict[str, Any]:
    return {
        **{name: record.get(name) for name in RECORD_FIELDS},
        "surname_norm": normalize_name(record.get("surname")),
        "name_norm": normalize_name(record.get("name")),
        "patronymic_norm": normalize_name(record.get("patronymic")),
        "change_seq": seq,
        "updated_at": now,
    }


def apply_requests(
    session: Session,
    statuses: Mapping[int, str],
    *,
    actor: Actor | None = None,
    forced: bool = False,
    extra: Mapping[int, Mapping[str, Any]] | None = None,
) -> dict[int, int]:
    """Apply many confirmed requests in one go (request id → ACCEPTED / ACCEPTED_WARNINGS).

    ``extra``: more columns to set on a request as it is applied (the answer's time
    and warnings).

    Each applied request writes the person (new, or updated in place with its version
    bumped), closes the person's current version, adds a new version with its own
    change sequence number, and an audit row. Written with multi-row statements, so a
    batch of answers costs a few statements, not a few per request. Idempotent per
    request. Returns request id → person id.
    """
    for status in statuses.values():
        if status not in FINISHED_OK:
            raise ValueError(f"only an accepted request is applied, not {status!r}")
    lock_for_write(session)
    ids = sorted(statuses)
    requests: dict[int, BufferRequest] = {}
    for chunk in _chunks(ids):
        locked = select(BufferRequest).where(BufferRequest.id.in_(chunk)).with_for_update()
        requests.update((r.id, r) for r in session.scalars(locked))
    missing = [i for i in ids if i not in requests]
    if missing:
        raise LookupError(missing[0])
    result: dict[int, int] = {
        r.id: r.person_id or 0 for r in requests.values() if r.applied_at is not None
    }
    todo = [requests[i] for i in ids if requests[i].applied_at is None]
    if not todo:
        return result

    edited_ids = sorted({r.person_id or 0 for r in todo if r.operation != flk.REGISTER} - {0})
    person_versions: dict[int, int] = {}
    current: dict[int, tuple[int, dt.date]] = {}
    for chunk in _chunks(edited_ids):
        locked_persons = session.execute(
            select(Person.id, Person.version).where(Person.id.in_(chunk)).with_for_update()
        )
        person_versions.update((pid, version) for pid, version in locked_persons)
        open_rows = session.execute(
            select(PersonVersion.person_id, PersonVersion.id, PersonVersion.valid_from)
            .where(PersonVersion.person_id.in_(chunk), PersonVersion.valid_to.is_(None))
            .order_by(PersonVersion.change_seq)
        )
        current.update((pid, (vid, start)) for pid, vid, start in open_rows)  # latest wins
    for request in todo:
        if request.operation != flk.REGISTER and request.person_id not in person_versions:
            raise LookupError(request.person_id)

    first_seq = next_change_seq(session, len(todo))
    now = utcnow()
    records = {r.id: record_from_json(r.proposed) for r in todo}
    seqs = {r.id: first_seq + offset for offset, r in enumerate(todo)}
    new = [r for r in todo if r.operation == flk.REGISTER]
    if new:
        rows = [{**_person_row(records[r.id], seqs[r.id], now), "version": 1} for r in new]
        inserted = session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True), rows
        )
        for request, person_id in zip(new, inserted.scalars(), strict=True):
            result[request.id] = person_id
    edits = [r for r in todo if r.operation != flk.REGISTER]
    if edits:
        # Core, not the ORM's bulk update: that one would check the version, not set it.
        table = Person.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("person_pk")),  # type: ignore[attr-defined,arg-type]
            [
                {
                    **_person_row(records[r.id], seqs[r.id], now),
                    "person_pk": r.person_id,
                    "version": person_versions[r.person_id or 0] + 1,
                }
                for r in edits
            ],
        )
        result.update((r.id, r.person_id or 0) for r in edits)

    closed: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for request in todo:
        person_id = result[request.id]
        record = records[request.id]
        effective = _effective_date(request, record)
        if person_id in current:
            version_id, valid_from = current[person_id]
            effective = max(effective, valid_from)
            closed.append({"id": version_id, "valid_to": effective})
        versions.append(
            {
                **{name: record.get(name) for name in RECORD_FIELDS},
                "person_id": person_id,
                "valid_from": effective,
                "valid_to": None,
                "event_code": request.event_code,
                "source": "buffer",
                "buffer_request_id": request.id,
                "change_seq": seqs[request.id],
                "recorded_at": now,
            }
        )
        audits.append(
            {
                "at": now,
                "user_id": getattr(actor, "id", None),
                "user_login": actor.login if actor else "system",
                "action": "person.apply_forced" if forced else "person.apply",
                "object_type": "person",
                "object_id": str(person_id),
                "details": {
                    "buffer_request_id": request.id,
                    "event": request.event_code,
                    "change_seq": seqs[request.id],
                },
            }
        )
        done.append(
            {
                **(extra or {}).get(request.id, {}),
                "request_pk": request.id,
                "person_id": person_id,
                "status": statuses[request.id],
                "applied_at": now,
                "updated_at": now,
            }
        )
    if closed:
        session.execute(update(PersonVersion), closed)
    session.execute(insert(PersonVersion), versions)
    session.execute(insert(AuditLog), audits)
    update_requests(session, done)
    for request in todo:
        session.expire(request)
    session.flush()
    # Persons loaded earlier in this session are stale now.
    for person in [o for o in session.identity_map.values() if isinstance(o, Person)]:
        session.expire(person)
    return result


def _effective_date(request: BufferRequest, record: Mapping[str, Any]) -> dt.date:
    """The date the change takes effect in the person's history."""
    if request.operation == flk.REGISTER and record.get("insurance_start"):
        return record["insurance_start"]
    if request.operation == flk.CLOSE and record.get("closure_date"):
        return record["closure_date"]
    # The operators' day, as EVN.2 of the message (ferzl.outbound) carries it.
    return local_date(request.created_at) if request.created_at else dt.date.today()


def pending_person_ids(session: Session, person_ids: list[int]) -> set[int]:
    """Which of these persons have a request the central segment has not finished yet."""
    if not person_ids:
        return set()
    return set(
        session.scalars(
            select(BufferRequest.person_id).where(
                BufferRequest.person_id.in_(person_ids), BufferRequest.status.not_in(FINISHED)
            )
        )
    )
