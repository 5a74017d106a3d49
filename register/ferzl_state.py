"""«Просмотр состояния в ФЕРЗЛ»: the register's person beside the central segment's, and the
two ways of bringing them together.

The web app asks the central segment (``ferzl.client``) and hands the answer — a person
dict with the register's field names and dates as ``datetime.date`` — to this module,
which knows nothing of HTTP:

- :func:`central_to_record` maps the central person into the register's fields (the СМО
  by its ОГРН through the ``smo`` table);
- :func:`compare` lines the two records up field by field;
- :func:`refresh_from_ferzl` («Обновить данные в РСЕРЗ из ФЕРЗЛ», ТФОМС only) takes the
  central values into the register through a buffer request applied at once — the data
  is the central segment's own, so there is nothing for it to confirm (docs/decisions.md);
- :func:`send_to_ferzl` («Отправить в ФЕРЗЛ») queues the register's current data as a П04
  message, marked to be sent at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from register import flk
from register.audit import audit
from register.buffer import (
    ACCEPTED,
    FORMAT_CHECKED,
    RecordConflict,
    apply_request,
    create_request,
    pending_request,
    person_record,
    record_to_json,
)
from register.db import lock_for_write
from register.models import (
    RECORD_FIELDS,
    BufferRequest,
    Mo,
    Person,
    PersonVersion,
    Smo,
    utcnow,
)
from register.names import normalize_name
from register.records import FIELD_LABELS
from register.roles import (
    AccessDenied,
    Actor,
    can_change_person,
    can_change_persons,
    can_manage_buffer,
    can_view_buffer,
)
from register.snils import normalize_snils
from register.validation import FieldError, ValidationFailed, blocking

#: Fields both segments keep, in the register's order: these are compared.
COMPARED_FIELDS: tuple[str, ...] = (
    "enp",
    "surname",
    "name",
    "patronymic",
    "sex",
    "birth_date",
    "birth_place",
    "citizenship",
    "snils",
    "doc_type",
    "doc_series",
    "doc_number",
    "doc_issue_date",
    "doc_expiry",
    "reg_okato",
    "res_okato",
    "smo_code",
    "insurance_start",
    "insurance_end",
    "policy_form",
    "policy_number",
    "working",
    "status",
    "death_date",
)
#: Fields only the regional segment keeps (МО, addresses, phone …): shown, never compared.
REGIONAL_ONLY: tuple[str, ...] = tuple(f for f in RECORD_FIELDS if f not in COMPARED_FIELDS)
#: Central fields that carry the register's name as they are (the СМО comes by its ОГРН).
_SAME_NAME: tuple[str, ...] = tuple(f for f in COMPARED_FIELDS if f != "smo_code")
_NAME_FIELDS = frozenset({"surname", "name", "patronymic"})
_CLOSURE_FIELDS = ("closure_date", "closure_reason")
DEATH_REASON = "П022"
REFRESH_EVENT = "П04"
SEND_EVENT = "П04"

LABELS: dict[str, str] = {**FIELD_LABELS, "status": "Статус"}

# --- messages (the screen greys its buttons with the same words the services refuse with) ---

NOT_TFOMS = "Обновлять данные РСЕРЗ из ФЕРЗЛ может только оператор ТФОМС"
NO_CHANGES_ROLE = "Ваша роль не позволяет изменять сведения о застрахованных"
NOT_YOUR_SMO = (
    "Застрахованный относится к другой СМО: отправить его сведения может только эта СМО или ТФОМС"
)
STALE = "Сведения о застрахованном изменены другим пользователем. Откройте запись заново."
NOTHING_DIFFERS = "Данные РСЕРЗ совпадают с данными ФЕРЗЛ: обновлять нечего"
OTHER_ENP = "В ФЕРЗЛ показана запись с другим ЕНП: обновить из неё данные РСЕРЗ нельзя"
NOT_IN_FERZL = "Застрахованного с этим ЕНП нет в ФЕРЗЛ: обновлять не из чего"
REFRESH_NOTE = "Данные получены из ФЕРЗЛ и применены к регистру без отправки"


def pending_message(request_id: int) -> str:
    return f"По застрахованному есть незавершённый запрос в буфере № {request_id}"


def other_region_message(region_code: str, status: str | None) -> str:
    if status == "insured":
        return (
            f"По данным ФЕРЗЛ застрахованный застрахован в другом субъекте РФ (код {region_code})"
        )
    return f"По данным ФЕРЗЛ последнее страхование — в другом субъекте РФ (код {region_code})"


def unknown_smo_message(ogrn: str) -> str:
    return f"СМО с ОГРН {ogrn} нет в справочнике СМО региона"


# --- who may --------------------------------------------------------------------


def can_look_up_ferzl(actor: Actor) -> bool:
    """The look-up belongs to the exchange with ФЕРЗЛ, which is the buffer's: ТФОМС and СМО.

    An МО operator sees persons and their history in the register, not the exchange.
    """
    return can_view_buffer(actor)


# --- mapping and comparing ------------------------------------------------------------


def smo_codes_by_ogrn(session: Session) -> dict[str, str]:
    """ОГРН → code of the region's СМО (the central segment names an СМО by its ОГРН)."""
    return {ogrn: code for code, ogrn in session.execute(select(Smo.code, Smo.ogrn))}


def central_to_record(
    central: Mapping[str, Any], smo_code_by_ogrn: Mapping[str, str], region_code: str
) -> dict[str, Any]:
    """The central person in the register's field names.

    Only the fields the central segment sent are present (a field it does not keep is
    not compared). The СМО comes by its ОГРН: a person insured in another region gets
    ``smo_code`` None. Beside the record fields the dict carries ``smo_ogrn``,
    ``region_code`` (where the person is insured) and ``note`` (a Russian remark for the
    screen, or None).
    """
    record: dict[str, Any] = {f: central[f] for f in _SAME_NAME if f in central}
    ogrn = central.get("smo_ogrn") or None
    region = central.get("region_code") or None
    note: str | None = None
    if "smo_ogrn" in central:
        record["smo_code"] = smo_code_by_ogrn.get(ogrn) if ogrn else None
    if region is not None and region != region_code:
        record["smo_code"] = None
        note = other_region_message(region, record.get("status"))
        if ogrn:
            note += f", СМО с ОГРН {ogrn}"
    elif ogrn and record.get("smo_code") is None:
        note = unknown_smo_message(ogrn)
    return {**record, "smo_ogrn": ogrn, "region_code": region, "note": note}


def other_region(central_record: Mapping[str, Any], region_code: str) -> str | None:
    """The code of the other region the central segment places the person in, if any."""
    region = central_record.get("region_code")
    return region if region and region != region_code else None


@dataclass(frozen=True)
class FieldDiff:
    """One field of the two records side by side."""

    field: str
    label: str
    left: Any  # the register's value
    right: Any  # the central segment's value (None when it does not keep the field)
    differs: bool
    compared: bool  # False: only the regional segment keeps it; never marked as differing


def _tidy(value: Any) -> Any:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


def comparable(field: str, value: Any) -> Any:
    """The form in which two values of a field are compared (case, spaces, masks aside)."""
    value = _tidy(value)
    if value is None:
        return None
    if field in _NAME_FIELDS:
        return normalize_name(value)
    if field == "snils":
        return normalize_snils(str(value))
    if field in ("doc_series", "doc_number"):
        return "".join(ch for ch in str(value).upper() if ch not in " -")
    if field == "citizenship":
        return ",".join(sorted(c.strip().upper() for c in str(value).split(",") if c.strip()))
    if field in ("sex", "doc_type"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if field == "working":
        return bool(value)
    if isinstance(value, str):
        return value.upper()
    return value


def compare(
    register_record: Mapping[str, Any], central_record: Mapping[str, Any]
) -> list[FieldDiff]:
    """Every register field with the central value beside it, in the register's order.

    A field is compared when the central record carries it; regional-only fields (МО,
    addresses, phone, e-mail …) are listed with no central value and never differ.
    """
    diffs = []
    for field in RECORD_FIELDS:
        left = register_record.get(field)
        compared = field in COMPARED_FIELDS and field in central_record
        right = central_record.get(field) if compared else None
        differs = compared and comparable(field, left) != comparable(field, right)
        diffs.append(FieldDiff(field, LABELS.get(field, field), left, right, differs, compared))
    return diffs


def differing(diffs: list[FieldDiff]) -> list[str]:
    return [d.field for d in diffs if d.differs]


# --- reading the person ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonState:
    """The register's side of the screen: the person, their history, the request pending."""

    person: Person
    versions: list[PersonVersion]  # newest first
    pending: BufferRequest | None

    @property
    def record(self) -> dict[str, Any]:
        return person_record(self.person)


def person_state(session: Session, actor: Actor, person_id: int) -> PersonState | None:
    """The register's data for the screen (rights checked); None when there is no such person.

    The view is audited by :func:`record_view` once the central segment has answered.
    """
    if not can_look_up_ferzl(actor):
        raise AccessDenied("Сведения ФЕРЗЛ доступны операторам ТФОМС и СМО")
    person = session.get(Person, person_id)
    if person is None:
        return None
    versions = list(
        session.scalars(
            select(PersonVersion)
            .where(PersonVersion.person_id == person_id)
            .order_by(PersonVersion.change_seq.desc())
        )
    )
    return PersonState(person, versions, pending_request(session, person_id))


def record_view(
    session: Session,
    actor: Actor,
    person_id: int,
    details: Mapping[str, Any],
    *,
    remote_addr: str | None = None,
) -> None:
    """The audit row of a look-up (152-ФЗ): who saw the person, what was asked of ФЕРЗЛ."""
    audit(session, actor, "person.view_ferzl", "person", person_id, dict(details), remote_addr)


# --- refusals, worded for the buttons and for the services alike ------------------------------


def refresh_refusal(
    actor: Actor,
    state: PersonState,
    central_record: Mapping[str, Any] | None,
    diffs: list[FieldDiff],
    region_code: str,
) -> str | None:
    """Why «Обновить данные в РСЕРЗ из ФЕРЗЛ» cannot be done now, or None."""
    if not can_manage_buffer(actor):
        return NOT_TFOMS
    if central_record is None:
        return NOT_IN_FERZL
    if central_record.get("enp") != state.person.enp:
        return OTHER_ENP
    if state.pending is not None:
        return pending_message(state.pending.id)
    region = other_region(central_record, region_code)
    if region:
        return other_region_message(region, central_record.get("status"))
    ogrn = central_record.get("smo_ogrn")
    if ogrn and central_record.get("smo_code") is None:
        return unknown_smo_message(ogrn) + ": обновление из ФЕРЗЛ невозможно"
    if not differing(diffs):
        return NOTHING_DIFFERS
    return None


def send_refusal(actor: Actor, state: PersonState) -> str | None:
    """Why «Отправить в ФЕРЗЛ» cannot be done now, or None."""
    if not can_change_persons(actor):
        return NO_CHANGES_ROLE
    if not can_change_person(actor, state.person.smo_code):
        return NOT_YOUR_SMO
    if state.pending is not None:
        return pending_message(state.pending.id)
    return None


# --- «Обновить данные в РСЕРЗ из ФЕРЗЛ» ---------------------------------------------------


def _closure_consequences(old: Mapping[str, Any], central: Mapping[str, Any]) -> dict[str, Any]:
    """The register-only closure fields that must follow a status the central segment changed."""
    status = central.get("status")
    if "status" not in central or status == old.get("status"):
        return {}
    if status == "insured":
        return {"closure_date": None, "closure_reason": None}
    if status == "deceased":
        day = central.get("death_date") or central.get("insurance_end") or old.get("closure_date")
        return {"closure_date": day, "closure_reason": DEATH_REASON}
    if status == "closed":
        day = central.get("insurance_end") or old.get("closure_date")
        reason = old.get("closure_reason") if old.get("status") == "closed" else None
        return {"closure_date": day, "closure_reason": reason}
    return {}


@dataclass(frozen=True)
class Refreshed:
    request: BufferRequest
    fields: list[str]  # the fields taken from ФЕРЗЛ


def refresh_from_ferzl(
    session: Session,
    actor: Actor,
    person_id: int,
    central: Mapping[str, Any],
    *,
    base_version: int | None,
    region_code: str,
    remote_addr: str | None = None,
    today: dt.date | None = None,
) -> Refreshed:
    """Take the central segment's values of the differing fields into the register.

    ``central`` is the person as the look-up client returned it. A buffer request (edit,
    event П04) carries the register record overlaid with those values; it goes through
    the ФЛК like any edit (ValidationFailed with its messages) and is applied at once,
    without being sent: the central segment already holds these data. ТФОМС only.

    Refused (RecordConflict) when a request is pending, when the person changed since the
    screen was opened (``base_version``), when ФЕРЗЛ places the person in another region
    or names an unknown СМО; ValidationFailed when nothing differs.
    """
    if not can_manage_buffer(actor):
        raise AccessDenied(NOT_TFOMS)
    lock_for_write(session)
    person = session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise LookupError(person_id)
    if base_version != person.version:  # None: a form without the version — refused too
        raise RecordConflict(STALE)
    waiting = pending_request(session, person_id)
    if waiting is not None:
        raise RecordConflict(pending_message(waiting.id))
    state = PersonState(person, [], None)
    central_record = central_to_record(central, smo_codes_by_ogrn(session), region_code)
    old = person_record(person)
    diffs = compare(old, central_record)
    refusal = refresh_refusal(actor, state, central_record, diffs, region_code)
    if refusal == NOTHING_DIFFERS:
        raise ValidationFailed([FieldError("", NOTHING_DIFFERS)])
    if refusal is not None:
        raise RecordConflict(refusal)

    fields = differing(diffs)
    overlay = {f: central_record[f] for f in fields if f != "status"}
    overlay.update(_closure_consequences(old, central_record))
    request = create_request(
        session,
        actor,
        operation=flk.EDIT,
        raw=overlay,
        region_code=region_code,
        person_id=person_id,
        base_version=person.version,
        today=today,
        remote_addr=remote_addr,
    )
    # The status is not a field of the edit form (create_request keeps the register's);
    # here it is the central segment's.
    if "status" in fields:
        request.proposed = {**request.proposed, "status": central_record["status"]}
    request.event_code = REFRESH_EVENT
    request.errors = [*request.errors, {"field": "", "message": REFRESH_NOTE, "warning": True}]
    request.answered_at = utcnow()
    session.flush()
    apply_request(session, request.id, status=ACCEPTED, actor=actor, forced=True)
    audit(
        session,
        actor,
        "person.refresh_from_ferzl",
        "person",
        person_id,
        {
            "buffer_request_id": request.id,
            "enp": person.enp,
            "fields": fields,
            "values": record_to_json({f: central_record.get(f) for f in fields}),
        },
        remote_addr,
    )
    return Refreshed(request, fields)


# --- «Отправить в ФЕРЗЛ» ----------------------------------------------------------------


def current_data_request(person: Person, actor: Actor) -> BufferRequest:
    """A П04 request carrying the person's current record unchanged, queued to go at once.

    A helper register.buffer does not have (its requests always carry a change).
    """
    now = utcnow()
    return BufferRequest(
        buffer_type=1,
        operation=flk.EDIT,
        event_code=SEND_EVENT,
        person_id=person.id,
        base_person_version=person.version,
        enp=person.enp,
        surname=person.surname,
        surname_norm=normalize_name(person.surname),
        name=person.name,
        patronymic=person.patronymic,
        birth_date=person.birth_date,
        proposed=record_to_json(person_record(person)),
        status=FORMAT_CHECKED,
        errors=[],
        author_id=actor.id,
        author_smo=actor.smo_code,
        created_at=now,
        updated_at=now,
        forced_at=now,
    )


def send_to_ferzl(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    base_version: int | None,
    remote_addr: str | None = None,
    today: dt.date | None = None,
) -> BufferRequest:
    """Queue the register's current data of the person as a П04 message to ФЕРЗЛ.

    Whoever may change the person may do it; refused while a request is pending or when
    the person changed since the screen was opened. The record goes through the ФЛК of an
    edit first (ValidationFailed: correct it with «Изменить»). The request is marked
    to be sent at once; the central segment's answer applies it like any other.
    """
    today = today or dt.date.today()
    if not can_change_persons(actor):
        raise AccessDenied(NO_CHANGES_ROLE)
    lock_for_write(session)
    person = session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise LookupError(person_id)
    if not can_change_person(actor, person.smo_code):
        raise AccessDenied(NOT_YOUR_SMO)
    if base_version != person.version:  # None: a form without the version — refused too
        raise RecordConflict(STALE)
    waiting = pending_request(session, person_id)
    if waiting is not None:
        raise RecordConflict(pending_message(waiting.id))
    errors = flk.check_person(
        person_record(person),
        operation=flk.EDIT,
        today=today,
        smo_codes=set(session.scalars(select(Smo.code))),
        mo_codes=set(session.scalars(select(Mo.code))),
    )
    if blocking(errors):
        raise ValidationFailed(errors)
    request = current_data_request(person, actor)
    request.errors = [
        {"field": e.field, "message": e.message, "warning": True} for e in errors if e.warning
    ]
    session.add(request)
    session.flush()
    audit(
        session,
        actor,
        "buffer_request.send_to_ferzl",
        "buffer_request",
        request.id,
        {"person_id": person_id, "event": SEND_EVENT, "enp": person.enp},
        remote_addr,
    )
    return request
