"""A buffer request as an HL7 change message (FORMATS.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferzl.codec.batch import Address, ChangeMessage, Insurance, PersonDocument
from register.buffer import record_from_json
from register.clock import local_date
from register.models import BufferRequest

MODE = "P"
TEMPORARY_CERTIFICATE_FORMS = frozenset({"В", "Е"})


def change_message(
    request: BufferRequest,
    *,
    smo_ogrn: Mapping[str, str],
    region_okato: str,
    mode: str = MODE,
    message_id: str | None = None,
) -> ChangeMessage:
    """The message that carries a request; ValueError when the data cannot be expressed.

    ``message_id``: the id the message is about to get (default: the request's own).
    """
    message_id = message_id or request.message_id
    if not message_id:
        raise ValueError("запросу не присвоен идентификатор сообщения")
    record: dict[str, Any] = record_from_json(request.proposed)
    return ChangeMessage(
        message_id=message_id,
        mode=mode,
        event=request.event_code,
        application_date=local_date(request.created_at),
        surname=record["surname"],
        name=record["name"],
        patronymic=record.get("patronymic") or None,
        birth_date=record["birth_date"],
        sex=int(record["sex"]),
        documents=_documents(record),
        enp=record.get("enp") or None,
        snils=record.get("snils") or None,
        addresses=_addresses(record),
        birth_place=record.get("birth_place") or None,
        citizenships=_citizenships(record.get("citizenship")),
        death_date=record.get("death_date"),
        insurance=_insurance(record, smo_ogrn, region_okato),
        zdr_reason=record.get("closure_reason") if request.event_code == "П02" else None,
        zdr_date=record.get("closure_date") if request.event_code == "П02" else None,
    )


def _documents(record: Mapping[str, Any]) -> tuple[PersonDocument, ...]:
    if record.get("doc_type") is None or not record.get("doc_number"):
        return ()
    return (
        PersonDocument(
            doc_type=str(record["doc_type"]),
            series=record.get("doc_series") or "",
            number=record["doc_number"],
            issued=record.get("doc_issue_date"),
            expires=record.get("doc_expiry"),
        ),
    )


def _addresses(record: Mapping[str, Any]) -> tuple[Address, ...]:
    found = []
    if record.get("reg_okato"):
        found.append(Address("L", record["reg_okato"]))
    if record.get("res_okato"):
        found.append(Address("H", record["res_okato"]))
    return tuple(found)


def _citizenships(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in (value or "").split(",") if c.strip())


def _insurance(
    record: Mapping[str, Any], smo_ogrn: Mapping[str, str], region_okato: str
) -> Insurance | None:
    smo = record.get("smo_code")
    if not smo or not record.get("insurance_start"):
        return None
    if smo not in smo_ogrn:
        raise ValueError(f"СМО {smo} нет в справочнике (нет ОГРН)")
    form = record.get("policy_form") or ""
    number = record.get("policy_number")
    if not number and form not in TEMPORARY_CERTIFICATE_FORMS:
        number = record.get("enp")  # a policy of the single form is numbered by the ЕНП
    return Insurance(
        smo_ogrn=smo_ogrn[smo],
        start=record["insurance_start"],
        end=record.get("insurance_end"),
        region_okato=region_okato,
        policy_form=form,
        policy_number=number or "",
        employed=bool(record.get("working")),
    )
