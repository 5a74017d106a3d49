"""Local format-and-logic check (ФЛК) of a person record before it enters the buffer.

Returns a Russian message per field; warnings do not block saving.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from typing import Any

from register.documents import validate_document
from register.enp import validate_enp
from register.names import validate_person_name
from register.reference import (
    BIRTH_DATE_RELIABILITY,
    CLOSURE_REASONS,
    PERSON_CATEGORIES,
    POLICY_FORMS,
)
from register.snils import validate_snils
from register.validation import FieldError

REGISTER = "register"
EDIT = "edit"
CLOSE = "close"
OPERATIONS = (REGISTER, EDIT, CLOSE)

EARLIEST_BIRTH = dt.date(1900, 1, 1)
REQUIRED = "Поле обязательно для заполнения"
_CITIZENSHIP = re.compile(r"^[A-Z]{3}$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEMP_CERT = re.compile(r"^\d{9}$")
_OKATO = re.compile(r"^\d{11}$")

# Fields an operator must fill for each operation ("*" on the forms).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    REGISTER: (
        "surname",
        "name",
        "sex",
        "birth_date",
        "doc_type",
        "doc_number",
        "smo_code",
        "insurance_start",
        "policy_form",
    ),
    EDIT: ("surname", "name", "sex", "birth_date"),
    CLOSE: ("closure_date", "closure_reason"),
}


def check_person(
    record: Mapping[str, Any],
    *,
    operation: str,
    today: dt.date,
    smo_codes: Collection[str] | None = None,
    mo_codes: Collection[str] | None = None,
) -> list[FieldError]:
    """All ФЛК problems of ``record`` for ``operation`` (register / edit / close)."""
    errors: list[FieldError] = []
    for field in REQUIRED_FIELDS[operation]:
        if record.get(field) in (None, ""):
            errors.append(FieldError(field, REQUIRED))
    missing = {e.field for e in errors}

    errors += _check_identity(record, today, missing, check_enp=operation == REGISTER)
    errors += _check_insurance(record, today, missing, smo_codes, mo_codes)
    if operation == CLOSE:
        errors += _check_closure(record, today)
    return errors


def _check_identity(
    record: Mapping[str, Any], today: dt.date, missing: set[str], *, check_enp: bool
) -> list[FieldError]:
    errors: list[FieldError] = []
    for field, required in (("surname", True), ("name", True), ("patronymic", False)):
        if field in record and field not in missing:
            errors += validate_person_name(record.get(field), field=field, required=required)

    sex = record.get("sex")
    if sex is not None and sex not in (1, 2):
        errors.append(FieldError("sex", "Пол должен быть 1 (мужской) или 2 (женский)"))

    birth: dt.date | None = record.get("birth_date")
    if birth is not None:
        if birth > today:
            errors.append(FieldError("birth_date", "Дата рождения не может быть в будущем"))
            birth = None
        elif birth < EARLIEST_BIRTH:
            errors.append(FieldError("birth_date", "Дата рождения раньше 01.01.1900"))
            birth = None
    reliability = record.get("birth_date_reliability")
    if reliability is not None and reliability not in BIRTH_DATE_RELIABILITY:
        errors.append(FieldError("birth_date_reliability", "Допустимые значения: 1, 2, 3"))

    # A ЕНП is checked when it is assigned; it never changes afterwards, not even
    # when a wrong birth date or sex is corrected, so an edit must not be blocked by it.
    if check_enp and record.get("enp"):
        errors += validate_enp(record["enp"], birth_date=birth, sex=sex if sex in (1, 2) else None)
    if record.get("snils"):
        errors += validate_snils(record["snils"])

    has_document = record.get("doc_type") is not None or bool(record.get("doc_number"))
    if has_document and not ({"doc_type", "doc_number"} & missing):
        errors += validate_document(
            record.get("doc_type"),
            record.get("doc_series"),
            record.get("doc_number"),
            birth_date=birth,
            issue_date=record.get("doc_issue_date"),
            on_date=today,
        )
    expiry = record.get("doc_expiry")
    issued = record.get("doc_issue_date")
    if expiry and issued and expiry <= issued:
        errors.append(FieldError("doc_expiry", "Срок действия раньше даты выдачи документа"))

    category = record.get("person_category")
    if category is not None and category not in PERSON_CATEGORIES:
        errors.append(FieldError("person_category", "Неизвестная категория застрахованного"))
    citizenship = record.get("citizenship")
    if citizenship:
        codes = [c.strip() for c in str(citizenship).upper().split(",") if c.strip()]
        if len(codes) > 2 or any(not _CITIZENSHIP.match(c) for c in codes):
            errors.append(
                FieldError("citizenship", "Гражданство — до двух кодов ОКСМ из трёх букв (RUS)")
            )
    for field in ("reg_okato", "res_okato"):
        if record.get(field) and not _OKATO.match(str(record[field])):
            errors.append(FieldError(field, "Код ОКАТО — 11 цифр"))
    if record.get("phone") and not _PHONE.match(str(record["phone"])):
        errors.append(FieldError("phone", "Телефон: цифры, пробелы, скобки, дефис, «+»"))
    if record.get("email") and not _EMAIL.match(str(record["email"])):
        errors.append(FieldError("email", "Неверный адрес электронной почты"))
    return errors


def _check_insurance(
    record: Mapping[str, Any],
    today: dt.date,
    missing: set[str],
    smo_codes: Collection[str] | None,
    mo_codes: Collection[str] | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    birth = record.get("birth_date")
    start = record.get("insurance_start")
    end = record.get("insurance_end")
    smo = record.get("smo_code")
    if smo and smo_codes is not None and smo not in smo_codes:
        errors.append(FieldError("smo_code", "СМО не найдена в справочнике"))
    mo = record.get("mo_code")
    if mo and mo_codes is not None and mo not in mo_codes:
        errors.append(FieldError("mo_code", "МО не найдена в справочнике"))
    if start:
        if birth and start < birth:
            errors.append(
                FieldError("insurance_start", "Страхование не может начаться до рождения")
            )
        if start > today + dt.timedelta(days=31):
            errors.append(
                FieldError("insurance_start", "Дата начала страхования слишком далеко в будущем")
            )
    if end and start and end < start:
        errors.append(FieldError("insurance_end", "Окончание страхования раньше его начала"))
    attach = record.get("attach_date")
    if attach and birth and attach < birth:
        errors.append(FieldError("attach_date", "Дата прикрепления раньше даты рождения"))
    if attach and attach > today:
        errors.append(FieldError("attach_date", "Дата прикрепления не может быть в будущем"))
    form = record.get("policy_form")
    if form and form not in POLICY_FORMS:
        errors.append(FieldError("policy_form", "Неизвестная форма полиса"))
    number = record.get("policy_number")
    if form in ("В", "Е") and "policy_form" not in missing:
        if not number:
            errors.append(FieldError("policy_number", "Укажите номер временного свидетельства"))
        elif not _TEMP_CERT.match(str(number)):
            errors.append(FieldError("policy_number", "Номер временного свидетельства — 9 цифр"))
    return errors


def _check_closure(record: Mapping[str, Any], today: dt.date) -> list[FieldError]:
    errors: list[FieldError] = []
    closure = record.get("closure_date")
    reason = record.get("closure_reason")
    if reason and reason not in CLOSURE_REASONS:
        errors.append(FieldError("closure_reason", "Неизвестная причина снятия с учёта"))
    if closure and closure > today:
        errors.append(FieldError("closure_date", "Дата снятия с учёта не может быть в будущем"))
    start = record.get("insurance_start")
    if closure and start and closure < start:
        errors.append(FieldError("closure_date", "Дата снятия раньше начала страхования"))
    birth = record.get("birth_date")
    death = record.get("death_date")
    if reason == "П022" and not death:
        errors.append(FieldError("death_date", "Для причины «Смерть» укажите дату смерти"))
    if death:
        if death > today:
            errors.append(FieldError("death_date", "Дата смерти не может быть в будущем"))
        if birth and death < birth:
            errors.append(FieldError("death_date", "Дата смерти раньше даты рождения"))
    return errors
