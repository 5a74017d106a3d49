"""Forms of the buffer screen: the filter (GET, bookmarkable) and the correction of a request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wtforms import BooleanField, Form, HiddenField, SelectChoice, SelectField, StringField

from register import flk
from register.buffer import BUFFER_TYPES, STATUS_LABELS, BufferQuery
from register.documents import DOCUMENT_TYPES
from register.records import DATE_FIELDS, FIELD_LABELS, format_date, parse_date
from register.reference import (
    BIRTH_DATE_RELIABILITY,
    CLOSURE_REASONS,
    PERSON_CATEGORIES,
    POLICY_FORMS,
    SEXES,
)

DEFAULT_BUFFER_TYPE = 1
TYPE_REQUIRED = "Выберите тип буфера: " + ", ".join(
    f"{code} – {name}" for code, name in BUFFER_TYPES.items()
)
_TEXT = {"maxlength": 40, "autocomplete": "off", "spellcheck": "false"}
_DATE = {
    "placeholder": "ДД.ММ.ГГГГ",
    "maxlength": 10,
    "autocomplete": "off",
    "inputmode": "numeric",
}


class BufferFilterForm(Form):
    buffer_type = SelectField(
        "Тип буфера",
        choices=[
            SelectChoice(str(code), f"{code} – {name}") for code, name in BUFFER_TYPES.items()
        ],
        default=str(DEFAULT_BUFFER_TYPE),
        validate_choice=False,
        render_kw={"required": True},
    )
    status = SelectField(
        "Статус",
        choices=[SelectChoice("", "Любой")]
        + [SelectChoice(code, label) for code, label in STATUS_LABELS.items()],
        validate_choice=False,
    )
    created_from = StringField("Создан с", render_kw=_DATE)
    created_to = StringField("по", render_kw=_DATE)
    author = StringField("Автор (логин)", render_kw=_TEXT)
    surname = StringField("ФИО", render_kw={**_TEXT, "placeholder": "Фамилия или её начало"})
    hide_finished = BooleanField("Скрыть успешно завершённые")
    person_id = HiddenField()
    request_id = HiddenField()


#: Titles of the filter fields for the summary of errors.
FILTER_LABELS: dict[str, str] = {
    "buffer_type": "Тип буфера",
    "status": "Статус",
    "created_from": "Создан с",
    "created_to": "Создан по",
    "author": "Автор",
    "surname": "ФИО",
    "person_id": "Застрахованное лицо",
    "request_id": "Номер запроса",
}


@dataclass(frozen=True)
class BufferFilter:
    """The filter read from the query string."""

    query: BufferQuery | None  # None when something must be corrected first
    errors: dict[str, str]
    args: dict[str, str]  # the valid conditions, as they go into links


def _number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def parse_filter(args: Mapping[str, str]) -> BufferFilter:
    """The conditions of the buffer screen; messages in Russian.

    An absent type means the default one (a first visit, a link from the register
    screen); a type given empty or unknown must be chosen.
    """
    errors: dict[str, str] = {}
    kept: dict[str, str] = {}
    raw_type = args.get("buffer_type")
    raw_type = str(DEFAULT_BUFFER_TYPE) if raw_type is None else raw_type.strip()
    buffer_type = int(raw_type) if raw_type.isdigit() else None
    if buffer_type not in BUFFER_TYPES:
        errors["buffer_type"] = TYPE_REQUIRED
    else:
        kept["buffer_type"] = raw_type

    status = args.get("status", "").strip() or None
    if status is not None and status not in STATUS_LABELS:
        errors["status"] = "Неизвестный статус запроса"
    elif status:
        kept["status"] = status

    created_from = _date(args, "created_from", errors)
    created_to = _date(args, "created_to", errors)
    if created_from and created_to and created_from > created_to:
        errors["created_to"] = "Дата «по» раньше даты «с»"
    for name, day in (("created_from", created_from), ("created_to", created_to)):
        if day and name not in errors:
            kept[name] = format_date(day)

    author = args.get("author", "").strip()[:60] or None
    surname = " ".join(args.get("surname", "").split())[:40] or None
    if author:
        kept["author"] = author
    if surname:
        kept["surname"] = surname

    ids: dict[str, int | None] = {}
    for name in ("person_id", "request_id"):
        raw = args.get(name, "").strip()
        ids[name] = _number(raw) if raw else None
        if raw and ids[name] is None:
            errors[name] = "Ожидается номер (целое число)"
        elif ids[name]:
            kept[name] = str(ids[name])

    hide_finished = args.get("hide_finished", "") in ("y", "1", "on", "true")
    if hide_finished:
        kept["hide_finished"] = "y"

    if errors:
        return BufferFilter(None, errors, kept)
    assert buffer_type is not None
    query = BufferQuery(
        buffer_type=buffer_type,
        status=status,
        hide_finished=hide_finished,
        created_from=created_from,
        created_to=created_to,
        author_login=author,
        surname=surname,
        person_id=ids["person_id"],
        request_id=ids["request_id"],
    )
    return BufferFilter(query, errors, kept)


# --- correcting a request --------------------------------------------------------

_YES_NO = {"1": "Да", "0": "Нет"}


@dataclass(frozen=True)
class CorrectionField:
    """One input of the correction form; ``choices`` make it a drop-down list."""

    name: str
    width: str = "col-6 col-md-4 col-xl-3"
    choices: Mapping[str, str] | None = None
    maxlength: int | None = None

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name)

    @property
    def is_date(self) -> bool:
        return self.name in DATE_FIELDS


def correction_sections(
    operation: str, smo: Mapping[str, str], mo: Mapping[str, str]
) -> list[tuple[str, list[CorrectionField]]]:
    """The inputs an operator corrects, by section, for the request's operation.

    A closure proposes only the closure; a registration may correct the ЕНП (a person
    from another region keeps theirs), an edit may not (the ЕНП is the register's key).
    """
    if operation == flk.CLOSE:
        return [
            (
                "Снятие с учёта",
                [
                    CorrectionField("closure_date"),
                    CorrectionField("closure_reason", "col-12 col-md-8 col-xl-6", CLOSURE_REASONS),
                    CorrectionField("death_date"),
                ],
            )
        ]
    wide = "col-12 col-xl-6"
    personal = [
        CorrectionField("surname", maxlength=40),
        CorrectionField("name", maxlength=40),
        CorrectionField("patronymic", maxlength=40),
        CorrectionField("sex", choices={str(k): v for k, v in SEXES.items()}),
        CorrectionField("birth_date"),
        CorrectionField(
            "birth_date_reliability",
            choices={str(k): v for k, v in BIRTH_DATE_RELIABILITY.items()},
        ),
        CorrectionField("birth_place", wide, maxlength=200),
        CorrectionField("citizenship", maxlength=20),
        CorrectionField(
            "person_category",
            "col-12 col-md-8 col-xl-6",
            {str(k): v for k, v in PERSON_CATEGORIES.items()},
        ),
        CorrectionField("snils", maxlength=14),
    ]
    if operation == flk.REGISTER:
        personal.insert(0, CorrectionField("enp", maxlength=16))
    return [
        ("Персональные данные", personal),
        (
            "Документ, удостоверяющий личность",
            [
                CorrectionField(
                    "doc_type",
                    "col-12 col-md-8 col-xl-6",
                    {str(code): f"{code} — {t.name}" for code, t in DOCUMENT_TYPES.items()},
                ),
                CorrectionField("doc_series", maxlength=20),
                CorrectionField("doc_number", maxlength=30),
                CorrectionField("doc_issue_date"),
                CorrectionField("doc_expiry"),
                CorrectionField("doc_issuer", wide, maxlength=200),
            ],
        ),
        (
            "Страхование",
            [
                CorrectionField(
                    "smo_code", choices={c: f"{n} ({c})" for c, n in sorted(smo.items())}
                ),
                CorrectionField("insurance_start"),
                CorrectionField("insurance_end"),
                CorrectionField(
                    "policy_form",
                    "col-12 col-md-8 col-xl-6",
                    {c: f"{c} — {n}" for c, n in POLICY_FORMS.items()},
                ),
                CorrectionField("policy_number", maxlength=20),
                CorrectionField(
                    "mo_code", choices={c: f"{n} ({c})" for c, n in sorted(mo.items())}
                ),
                CorrectionField("attach_date"),
                CorrectionField("working", choices=_YES_NO),
            ],
        ),
        (
            "Адреса и контакты",
            [
                CorrectionField("reg_okato", maxlength=11),
                CorrectionField("reg_address", wide, maxlength=300),
                CorrectionField("res_okato", maxlength=11),
                CorrectionField("res_address", wide, maxlength=300),
                CorrectionField("homeless", choices=_YES_NO),
                CorrectionField("phone", maxlength=20),
                CorrectionField("email", maxlength=100),
            ],
        ),
    ]


def form_value(field: str, value: Any) -> str:
    """A value of the proposed record (JSON) as the input shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if field in DATE_FIELDS and isinstance(value, str):
        try:
            return format_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
