"""How a person record is shown: the sections of the card, the value of each field,
the history table with its changed cells, the detail panel and the compact summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.documents import DOCUMENT_TYPES
from register.models import RECORD_FIELDS, Mo, Smo
from register.records import DATE_FIELDS, format_date
from register.reference import (
    BIRTH_DATE_RELIABILITY,
    CLOSURE_REASONS,
    EVENT_CODES,
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

#: Columns of the history table: title and the record fields shown together in the cell.
HISTORY_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ФИО", ("surname", "name", "patronymic")),
    ("Рождение, пол", ("birth_date", "sex")),
    ("СНИЛС", ("snils",)),
    ("ДУЛ", ("doc_type", "doc_series", "doc_number")),
    ("СМО", ("smo_code",)),
    ("Полис", ("policy_form", "policy_number")),
    ("МО", ("mo_code",)),
    ("Статус", ("status", "closure_reason", "closure_date", "death_date")),
)

#: Columns of the history table whose text may wrap (the others stay on one line).
WRAPPING_COLUMNS = frozenset({"ФИО", "МО"})

EMPTY = "—"


@dataclass(frozen=True)
class References:
    """Names of the codes a card shows; the СМО and МО come from the database (by name)."""

    smo: Mapping[str, str]
    mo: Mapping[str, str]

    @classmethod
    def load(cls, session: Session) -> References:
        return cls(
            smo={
                c: n
                for c, n in session.execute(
                    select(Smo.code, Smo.short_name).order_by(Smo.short_name)
                )
            },
            mo={
                c: n
                for c, n in session.execute(select(Mo.code, Mo.short_name).order_by(Mo.short_name))
            },
        )


def _coded(code: Any, names: Mapping[Any, str]) -> str:
    name = names.get(code)
    return f"{code} — {name}" if name else str(code)


def show(field: str, value: Any, refs: References) -> str:
    """The value of a record field as an operator reads it (codes with their names)."""
    if value is None or value == "":
        return EMPTY
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


def full_name(record: Any) -> str:
    return " ".join(p for p in (record.surname, record.name, record.patronymic) if p)


def document(record: Any) -> str:
    """«14: 45 12 № 123456»: the F011 type code, the series and the number of the ДУЛ."""
    if record.doc_type is None and not record.doc_number:
        return EMPTY
    number = " ".join(p for p in (record.doc_series, f"№ {record.doc_number or ''}") if p)
    return f"{record.doc_type}: {number}" if record.doc_type is not None else number


def _cell(title: str, record: Any, refs: References) -> str:
    """The short text of one history column (the full values are in the detail panel)."""
    match title:
        case "ФИО":
            return full_name(record)
        case "Рождение, пол":
            sex = {1: "муж.", 2: "жен."}.get(record.sex, "")
            return f"{show('birth_date', record.birth_date, refs)} {sex}".strip()
        case "ДУЛ":
            return document(record)
        case "СМО":
            return refs.smo.get(record.smo_code, record.smo_code or EMPTY)
        case "МО":
            return refs.mo.get(record.mo_code, record.mo_code or EMPTY)
        case "Полис":
            number = record.policy_number or ""
            return f"{record.policy_form or ''} {number}".strip() or EMPTY
        case "Статус":
            text = PERSON_STATUSES.get(record.status, record.status or EMPTY)
            return f"{text} ({record.closure_reason})" if record.closure_reason else text
    (field,) = dict(HISTORY_COLUMNS)[title]
    return show(field, getattr(record, field), refs)


def changed_fields(
    newer: Any, older: Any | None, fields: Sequence[str] = RECORD_FIELDS
) -> list[str]:
    """The fields that differ between two versions (none for the first one)."""
    if older is None:
        return []
    return [f for f in fields if getattr(newer, f) != getattr(older, f)]


@dataclass(frozen=True)
class HistoryCell:
    text: str
    changed: bool
    wraps: bool = False


@dataclass(frozen=True)
class HistoryRow:
    """One version in the history table; ``key`` names its detail section."""

    key: str
    version: Any
    event_name: str
    cells: list[HistoryCell]
    changed: frozenset[str]

    @property
    def changed_labels(self) -> list[str]:
        return [RECORD_LABELS.get(f, f) for f in RECORD_FIELDS if f in self.changed]


def history_rows(versions: Sequence[Any], refs: References) -> list[HistoryRow]:
    """The versions (newest first) with the cells that changed against the version before."""
    rows = []
    for i, version in enumerate(versions):
        older = versions[i + 1] if i + 1 < len(versions) else None
        changed = frozenset(changed_fields(version, older))
        rows.append(
            HistoryRow(
                key=f"v{version.id}",
                version=version,
                event_name=EVENT_CODES.get(version.event_code or "", ""),
                cells=[
                    HistoryCell(
                        _cell(title, version, refs),
                        bool(changed & set(fields)),
                        title in WRAPPING_COLUMNS,
                    )
                    for title, fields in HISTORY_COLUMNS
                ],
                changed=changed,
            )
        )
    return rows


@dataclass(frozen=True)
class DetailField:
    label: str
    text: str
    changed: bool


@dataclass(frozen=True)
class Detail:
    """All fields of one state of the person (the current record or a version)."""

    key: str
    title: str
    sections: list[tuple[str, list[DetailField]]]


def detail(key: str, title: str, record: Any, refs: References, changed: frozenset[str]) -> Detail:
    return Detail(
        key,
        title,
        [
            (
                section,
                [
                    DetailField(
                        RECORD_LABELS.get(f, f), show(f, getattr(record, f), refs), f in changed
                    )
                    for f in fields
                ],
            )
            for section, fields in CARD_SECTIONS
        ],
    )


def version_title(version: Any) -> str:
    until = f" по {format_date(version.valid_to)}" if version.valid_to else " (действует)"
    event = f", {version.event_code}" if version.event_code else ""
    return f"Версия с {format_date(version.valid_from)}{until}{event}"


def _named(code: Any, names: Mapping[Any, str]) -> str:
    """«Капитал МС (50002)»: the name first, the code after it (for narrow places)."""
    name = names.get(code)
    return f"{name} ({code})" if name else str(code)


def summary(person: Any, refs: References) -> list[tuple[str, str, str]]:
    """The compact record of the tab «Данные в РСЕРЗ»: (label, short text, title with more)."""
    birth = show("birth_date", person.birth_date, refs)
    if person.birth_date_reliability not in (None, 1):
        birth += f" ({show('birth_date_reliability', person.birth_date_reliability, refs).lower()})"
    insurance = f"с {show('insurance_start', person.insurance_start, refs)}"
    if person.insurance_end:
        insurance += f" по {show('insurance_end', person.insurance_end, refs)}"
    attach = _named(person.mo_code, refs.mo) if person.mo_code else EMPTY
    if person.attach_date:
        attach += f", с {format_date(person.attach_date)}"
    status = show("status", person.status, refs)
    if person.closure_date:
        status += f" {format_date(person.closure_date)}"
    if person.closure_reason:
        status += f", {person.closure_reason}"
    if person.death_date:
        status += f"; дата смерти {format_date(person.death_date)}"
    doc_name = show("doc_type", person.doc_type, refs)
    doc = document(person)
    policy = " ".join(str(p) for p in (person.policy_form, person.policy_number) if p) or EMPTY
    smo = _named(person.smo_code, refs.smo) if person.smo_code else EMPTY
    return [
        ("ЕНП", person.enp, ""),
        ("ФИО", full_name(person), ""),
        ("Дата рождения", birth, ""),
        ("Пол", show("sex", person.sex, refs), ""),
        ("СНИЛС", show("snils", person.snils, refs), ""),
        ("ДУЛ", doc, doc_name),
        ("Гражданство", show("citizenship", person.citizenship, refs), ""),
        ("Категория", show("person_category", person.person_category, refs), ""),
        ("СМО", smo, show("smo_code", person.smo_code, refs)),
        ("Полис", policy, show("policy_form", person.policy_form, refs)),
        ("Страхование", insurance, ""),
        ("МО", attach, ""),
        (
            "Статус",
            status,
            show("closure_reason", person.closure_reason, refs) if person.closure_reason else "",
        ),
        ("Адрес регистрации", show("reg_address", person.reg_address, refs), ""),
        ("Телефон", show("phone", person.phone, refs), ""),
        ("Эл. почта", show("email", person.email, refs), ""),
    ]
