"""How a person record is shown: the sections of the card and the value of each field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.documents import DOCUMENT_TYPES
from register.models import Mo, Smo
from register.records import DATE_FIELDS, format_date
from register.reference import (
    BIRTH_DATE_RELIABILITY,
    CLOSURE_REASONS,
    PERSON_CATEGORIES,
    PERSON_STATUSES,
    POLICY_FORMS,
    SEXES,
)
from register.snils import format_snils
from webapp.labels import RECORD_LABELS

CARD_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Персональные данные",
        (
            "enp",
            "surname",
            "name",
            "patronymic",
            "sex",
            "birth_date",
            "birth_date_reliability",
            "birth_place",
            "citizenship",
            "person_category",
            "snils",
        ),
    ),
    (
        "Документ, удостоверяющий личность",
        ("doc_type", "doc_series", "doc_number", "doc_issue_date", "doc_issuer", "doc_expiry"),
    ),
    (
        "Страхование",
        (
            "status",
            "smo_code",
            "insurance_start",
            "insurance_end",
            "policy_form",
            "policy_number",
            "mo_code",
            "attach_date",
            "working",
            "closure_date",
            "closure_reason",
            "death_date",
        ),
    ),
    (
        "Адреса и контакты",
        ("reg_okato", "reg_address", "res_okato", "res_address", "homeless", "phone", "email"),
    ),
)

#: Columns of the history table with short titles (other changes are named in «Изменено»).
HISTORY_COLUMNS: dict[str, str] = {
    "snils": "СНИЛС",
    "doc_number": "Номер ДУЛ",
    "smo_code": "СМО",
    "policy_number": "Полис",
    "mo_code": "МО",
    "status": "Статус",
}

_EMPTY = "—"


@dataclass(frozen=True)
class References:
    """Names of the codes a card shows; the СМО and МО come from the database."""

    smo: Mapping[str, str]
    mo: Mapping[str, str]

    @classmethod
    def load(cls, session: Session) -> References:
        return cls(
            smo={code: name for code, name in session.execute(select(Smo.code, Smo.short_name))},
            mo={code: name for code, name in session.execute(select(Mo.code, Mo.short_name))},
        )


def _coded(code: Any, names: Mapping[Any, str]) -> str:
    name = names.get(code)
    return f"{code} — {name}" if name else str(code)


def show(field: str, value: Any, refs: References) -> str:
    """The value of a record field as an operator reads it (codes with their names)."""
    if value is None or value == "":
        return _EMPTY
    if field in DATE_FIELDS and isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    match field:
        case "sex":
            return SEXES.get(value, str(value))
        case "birth_date_reliability":
            return BIRTH_DATE_RELIABILITY.get(value, str(value))
        case "person_category":
            return PERSON_CATEGORIES.get(value, str(value))
        case "snils":
            try:
                return format_snils(value)
            except ValueError:
                return str(value)
        case "doc_type":
            doc = DOCUMENT_TYPES.get(value)
            return _coded(value, {value: doc.name} if doc else {})
        case "smo_code":
            return _coded(value, refs.smo)
        case "mo_code":
            return _coded(value, refs.mo)
        case "policy_form":
            return _coded(value, POLICY_FORMS)
        case "status":
            return PERSON_STATUSES.get(value, str(value))
        case "closure_reason":
            return _coded(value, CLOSURE_REASONS)
    return str(value)


def changed_fields(newer: Any, older: Any | None, fields: tuple[str, ...]) -> list[str]:
    """The labels of the fields that differ between two versions (none for the first one)."""
    if older is None:
        return []
    return [RECORD_LABELS.get(f, f) for f in fields if getattr(newer, f) != getattr(older, f)]
