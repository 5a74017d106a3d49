"""Turning raw input (form fields, file values) into a typed person record.

Parsing never raises on bad input: every field that cannot be read becomes a
Russian message for that field, so the operator sees all problems at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from register.validation import FieldError

FIELD_LABELS: dict[str, str] = {
    "enp": "ЕНП",
    "surname": "Фамилия",
    "name": "Имя",
    "patronymic": "Отчество",
    "sex": "Пол",
    "birth_date": "Дата рождения",
    "birth_date_reliability": "Достоверность даты рождения",
    "birth_place": "Место рождения",
    "citizenship": "Гражданство",
    "person_category": "Категория",
    "snils": "СНИЛС",
    "doc_type": "Вид ДУЛ",
    "doc_series": "Серия ДУЛ",
    "doc_number": "Номер ДУЛ",
    "doc_issue_date": "Дата выдачи ДУЛ",
    "doc_issuer": "Кем выдан ДУЛ",
    "doc_expiry": "Срок действия ДУЛ",
    "reg_okato": "ОКАТО адреса регистрации",
    "reg_address": "Адрес регистрации",
    "res_okato": "ОКАТО адреса проживания",
    "res_address": "Адрес проживания",
    "homeless": "Без определённого места жительства",
    "smo_code": "СМО",
    "insurance_start": "Дата начала страхования",
    "insurance_end": "Дата окончания страхования",
    "policy_form": "Форма полиса",
    "policy_number": "Номер полиса / временного свидетельства",
    "mo_code": "МО прикрепления",
    "attach_date": "Дата прикрепления",
    "working": "Работающий",
    "closure_date": "Дата снятия с учёта",
    "closure_reason": "Причина снятия с учёта",
    "death_date": "Дата смерти",
    "phone": "Телефон",
    "email": "Электронная почта",
}

DATE_FIELDS = frozenset(
    {
        "birth_date",
        "doc_issue_date",
        "doc_expiry",
        "insurance_start",
        "insurance_end",
        "attach_date",
        "closure_date",
        "death_date",
    }
)
INT_FIELDS = frozenset({"sex", "birth_date_reliability", "person_category", "doc_type"})
BOOL_FIELDS = frozenset({"homeless", "working"})

_RU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(value: str) -> dt.date:
    """``ДД.ММ.ГГГГ`` or ``ГГГГ-ММ-ДД``; ValueError with a Russian message otherwise."""
    value = value.strip()
    if m := _RU_DATE.match(value):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO_DATE.match(value):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise ValueError("Дата должна быть в формате ДД.ММ.ГГГГ")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Несуществующая дата: {value}") from None


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def parse_record(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Typed values for the known fields of ``raw``; unknown keys are ignored."""
    record: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in FIELD_LABELS:
        if field not in raw:
            continue
        value = raw[field]
        if field in BOOL_FIELDS:
            record[field] = _parse_bool(value)
            continue
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                value = None
        if value is None:
            record[field] = None
            continue
        if field in DATE_FIELDS and not isinstance(value, dt.date):
            try:
                value = parse_date(str(value))
            except ValueError as exc:
                errors.append(FieldError(field, str(exc)))
                continue
        elif field in INT_FIELDS and not isinstance(value, int):
            try:
                value = int(str(value))
            except ValueError:
                errors.append(FieldError(field, "Ожидается число"))
                continue
        elif isinstance(value, str) and field in ("surname", "name", "patronymic"):
            value = " ".join(value.split())
        record[field] = value
    return record, errors


def _parse_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes", "да", "y")


def normalize_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical written form of identifiers: СНИЛС digits, ДУЛ series/number masks,
    upper-case citizenship codes. Values that do not fit a mask are left for the ФЛК."""
    from register.documents import normalize_number, normalize_series
    from register.snils import normalize_snils

    out = dict(record)
    if out.get("snils") is not None:
        out["snils"] = normalize_snils(out["snils"])
    doc_type = out.get("doc_type")
    if isinstance(doc_type, int):
        if out.get("doc_series"):
            out["doc_series"] = normalize_series(doc_type, out["doc_series"])
        if out.get("doc_number"):
            out["doc_number"] = normalize_number(doc_type, out["doc_number"])
    if out.get("citizenship"):
        codes = [c.strip().upper() for c in str(out["citizenship"]).split(",") if c.strip()]
        out["citizenship"] = ",".join(codes)
    return out
