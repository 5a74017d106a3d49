"""Forms of the register screen: the filter (GET) and the changes (register, edit, close).

The forms only carry what the operator typed: every value is checked by the ФЛК of
register/ when the view calls register.buffer.create_request, so that a rule lives
once. The selects are filled by the views (СМО and МО come from the database).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
)

from register.documents import DOCUMENT_TYPES
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

DATE_HINT = "ДД.ММ.ГГГГ"
# A hint for the browser (and for the eye): the ФЛК of register/ has the last word.
DATE_PATTERN = r"\d{1,2}\.\d{1,2}\.\d{4}"
_DATE_KW = {
    "placeholder": DATE_HINT,
    "pattern": DATE_PATTERN,
    "maxlength": 10,
    "inputmode": "numeric",
    "autocomplete": "off",
}
_TEXT_KW = {"autocomplete": "off"}


def _choices(items: Iterable[tuple[Any, str]], empty: str | None = None) -> list[SelectChoice]:
    found = [SelectChoice(str(code), label) for code, label in items]
    return ([SelectChoice("", empty)] if empty is not None else []) + found


def coded(code: Any, name: str) -> str:
    return f"{code} — {name}"


# --- the filter -------------------------------------------------------------


class PersonFilterForm(Form):
    """Values are checked by parse_query, not here: one place for the rules of a query."""

    surname = StringField(
        "Фамилия",
        render_kw={
            "autofocus": True,
            "maxlength": 40,
            "autocomplete": "off",
            "aria-keyshortcuts": "Alt+Q",
            "title": "Фамилия или её начало (Alt+Q — к условиям поиска)",
        },
    )
    name = StringField("Имя", render_kw={"maxlength": 40, "autocomplete": "off"})
    patronymic = StringField("Отчество", render_kw={"maxlength": 40, "autocomplete": "off"})
    birth_date = StringField("Дата рождения", render_kw=_DATE_KW)
    enp = StringField(
        "ЕНП", render_kw={"maxlength": 16, "inputmode": "numeric", "autocomplete": "off"}
    )
    snils = StringField(
        "СНИЛС",
        render_kw={"placeholder": "XXX-XXX-XXX YY", "maxlength": 14, "autocomplete": "off"},
    )
    doc_series = StringField("Серия ДУЛ", render_kw={"maxlength": 20, "autocomplete": "off"})
    doc_number = StringField("Номер ДУЛ", render_kw={"maxlength": 30, "autocomplete": "off"})
    smo_code = SelectField("СМО", choices=[], validate_choice=False)
    mo_code = SelectField("МО прикрепления", choices=[], validate_choice=False)
    status = SelectField(
        "Статус", choices=_choices(PERSON_STATUSES.items(), "Любой"), validate_choice=False
    )
    insured_on = StringField(
        "Застрахован на дату",
        render_kw={**_DATE_KW, "title": "Застрахован (страхование действует) на эту дату"},
    )


#: The names of the filter fields, in form order (also the query-string keys).
FILTER_FIELDS: tuple[str, ...] = (
    "surname",
    "name",
    "patronymic",
    "birth_date",
    "enp",
    "snils",
    "doc_series",
    "doc_number",
    "smo_code",
    "mo_code",
    "status",
    "insured_on",
)


# --- the person form (register, edit) ---------------------------------------


def _doc_type_choices() -> list[SelectChoice]:
    """F011 types; each option carries the hints of its series and number for the script."""
    return [SelectChoice("", "— выберите —")] + [
        SelectChoice(
            str(code),
            coded(code, doc.name),
            render_kw={"data-series-hint": doc.series_hint, "data-number-hint": doc.number_hint},
        )
        for code, doc in sorted(DOCUMENT_TYPES.items())
    ]


class PersonForm(FlaskForm):
    """Registration (постановка на учёт) and edit of a person: the record fields an operator fills.

    Not here: the status and the closure (a separate form), working status (set from ФНС
    data), the ЕНП of an existing person (never changes).
    """

    enp = StringField(
        "ЕНП",
        render_kw={"maxlength": 16, "inputmode": "numeric", "autocomplete": "off"},
        description="Только для прибывших из другого субъекта; иначе ЕНП присвоится при постановке",
    )
    surname = StringField("Фамилия", render_kw={"maxlength": 40, **_TEXT_KW})
    name = StringField("Имя", render_kw={"maxlength": 40, **_TEXT_KW})
    patronymic = StringField("Отчество", render_kw={"maxlength": 40, **_TEXT_KW})
    sex = SelectField("Пол", choices=_choices(SEXES.items(), "— выберите —"), validate_choice=False)
    birth_date = StringField("Дата рождения", render_kw=_DATE_KW)
    birth_date_reliability = SelectField(
        "Достоверность даты рождения",
        choices=_choices(BIRTH_DATE_RELIABILITY.items()),
        default="1",
        validate_choice=False,
    )
    birth_place = StringField("Место рождения", render_kw={"maxlength": 200, **_TEXT_KW})
    citizenship = StringField(
        "Гражданство",
        default="RUS",
        render_kw={"maxlength": 20, "placeholder": "RUS", **_TEXT_KW},
        description="Код ОКСМ из трёх букв; два — через запятую",
    )
    person_category = SelectField(
        "Категория",
        choices=_choices(PERSON_CATEGORIES.items()),
        default="1",
        validate_choice=False,
    )
    snils = StringField(
        "СНИЛС", render_kw={"maxlength": 14, "placeholder": "XXX-XXX-XXX YY", **_TEXT_KW}
    )
    doc_type = SelectField(
        "Вид ДУЛ",
        choices=_doc_type_choices(),
        validate_choice=False,
        render_kw={"data-doc-hints": "doc"},
    )
    doc_series = StringField("Серия ДУЛ", render_kw={"maxlength": 20, **_TEXT_KW})
    doc_number = StringField("Номер ДУЛ", render_kw={"maxlength": 30, **_TEXT_KW})
    doc_issue_date = StringField("Дата выдачи ДУЛ", render_kw=_DATE_KW)
    doc_issuer = StringField("Кем выдан ДУЛ", render_kw={"maxlength": 200, **_TEXT_KW})
    doc_expiry = StringField(
        "Срок действия ДУЛ", render_kw=_DATE_KW, description="Для документов иностранцев"
    )
    smo_code = SelectField("СМО", choices=[], validate_choice=False)
    insurance_start = StringField("Дата начала страхования", render_kw=_DATE_KW)
    insurance_end = StringField("Дата окончания страхования", render_kw=_DATE_KW)
    policy_form = SelectField(
        "Форма полиса",
        choices=_choices(((c, coded(c, n)) for c, n in POLICY_FORMS.items()), "— выберите —"),
        validate_choice=False,
    )
    policy_number = StringField(
        "Номер полиса / временного свидетельства",
        render_kw={"maxlength": 20, **_TEXT_KW},
        description="Временное свидетельство (В, Е) — 9 цифр",
    )
    mo_code = SelectField("МО прикрепления", choices=[], validate_choice=False)
    attach_date = StringField("Дата прикрепления", render_kw=_DATE_KW)
    reg_okato = StringField(
        "ОКАТО адреса регистрации",
        render_kw={"maxlength": 11, "inputmode": "numeric", **_TEXT_KW},
    )
    reg_address = StringField("Адрес регистрации", render_kw={"maxlength": 300, **_TEXT_KW})
    res_okato = StringField(
        "ОКАТО адреса проживания",
        render_kw={"maxlength": 11, "inputmode": "numeric", **_TEXT_KW},
    )
    res_address = StringField("Адрес проживания", render_kw={"maxlength": 300, **_TEXT_KW})
    homeless = BooleanField("Без определённого места жительства")
    phone = StringField("Телефон", render_kw={"maxlength": 20, "inputmode": "tel", **_TEXT_KW})
    email = StringField(
        "Электронная почта", render_kw={"maxlength": 100, "inputmode": "email", **_TEXT_KW}
    )
    # The person's version the operator saw (edit only): a stale save is refused.
    base_version = HiddenField()

    def fill_choices(
        self, smo: Mapping[str, str], mo: Mapping[str, str], *, only_smo: str | None = None
    ) -> None:
        """СМО and МО of the region; an СМО operator registers only in their own СМО."""
        smo_items = [(c, f"{n} ({c})") for c, n in smo.items() if only_smo in (None, c)]
        self.smo_code.choices = _choices(smo_items, None if only_smo else "— выберите —")
        self.mo_code.choices = _choices(((c, f"{n} ({c})") for c, n in mo.items()), "— нет —")

    def raw_record(self, fields: Iterable[str]) -> dict[str, Any]:
        """The typed-in values of ``fields`` for register.buffer.create_request (it parses them)."""
        return {name: self[name].data for name in fields}


#: Fields of the person form by section: (title, ((field, width classes), …)).
PERSON_FORM_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Персональные данные",
        (
            ("surname", "col-12 col-md-4"),
            ("name", "col-12 col-md-4"),
            ("patronymic", "col-12 col-md-4"),
            ("sex", "col-6 col-md-3"),
            ("birth_date", "col-6 col-md-3"),
            ("birth_date_reliability", "col-12 col-md-6"),
            ("birth_place", "col-12 col-md-6"),
            ("citizenship", "col-6 col-md-3"),
            ("person_category", "col-6 col-md-3"),
            ("snils", "col-12 col-md-6"),
            ("enp", "col-12 col-md-6"),
        ),
    ),
    (
        "Документ, удостоверяющий личность",
        (
            ("doc_type", "col-12"),
            ("doc_series", "col-6 col-md-4"),
            ("doc_number", "col-6 col-md-4"),
            ("doc_issue_date", "col-6 col-md-4"),
            ("doc_issuer", "col-12 col-md-8"),
            ("doc_expiry", "col-6 col-md-4"),
        ),
    ),
    (
        "Страхование",
        (
            ("smo_code", "col-12 col-md-6"),
            ("insurance_start", "col-6 col-md-3"),
            ("insurance_end", "col-6 col-md-3"),
            ("policy_form", "col-12 col-md-6"),
            ("policy_number", "col-12 col-md-6"),
            ("mo_code", "col-12 col-md-8"),
            ("attach_date", "col-6 col-md-4"),
        ),
    ),
    (
        "Адреса и контакты",
        (
            ("reg_okato", "col-6 col-md-3"),
            ("reg_address", "col-12 col-md-9"),
            ("res_okato", "col-6 col-md-3"),
            ("res_address", "col-12 col-md-9"),
            ("homeless", "col-12"),
            ("phone", "col-6 col-md-4"),
            ("email", "col-6 col-md-8"),
        ),
    ),
)

#: The record fields the register form sends; the edit form leaves out the ЕНП.
REGISTER_FIELDS: tuple[str, ...] = tuple(
    name for _, fields in PERSON_FORM_SECTIONS for name, _ in fields
)
EDIT_FIELDS: tuple[str, ...] = tuple(f for f in REGISTER_FIELDS if f != "enp")


def form_values(record: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A stored record as the form shows it: dates ДД.ММ.ГГГГ, codes as strings, blanks empty."""
    values: dict[str, Any] = {}
    for name in fields:
        value = record.get(name)
        if name == "homeless":
            values[name] = bool(value)
        elif value is None:
            values[name] = ""
        elif name in DATE_FIELDS and isinstance(value, dt.date):
            values[name] = format_date(value)
        elif name == "snils":
            values[name] = _snils(value)
        else:
            values[name] = str(value)
    return values


def _snils(value: str) -> str:
    try:
        return format_snils(value)
    except ValueError:
        return value


# --- closing insurance -------------------------------------------------------


class CloseForm(FlaskForm):
    """Снятие с учёта: the reason, the date, the death date (reason П022), a confirmation."""

    closure_reason = SelectField(
        "Причина снятия с учёта",
        choices=_choices(((c, coded(c, n)) for c, n in CLOSURE_REASONS.items()), "— выберите —"),
        validate_choice=False,
    )
    closure_date = StringField("Дата снятия с учёта", render_kw=_DATE_KW)
    death_date = StringField(
        "Дата смерти", render_kw=_DATE_KW, description="Только для причины П022 «Смерть»"
    )
    confirm = BooleanField("Подтверждаю снятие с учёта")
    base_version = HiddenField()

    def raw_record(self) -> dict[str, Any]:
        return {
            "closure_reason": self.closure_reason.data,
            "closure_date": self.closure_date.data,
            "death_date": self.death_date.data,
        }


#: The reason for which the death date is asked.
DEATH_REASON = "П022"
