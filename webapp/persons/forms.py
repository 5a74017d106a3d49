"""The filter of the register screen: a GET form (bookmarkable), read by search.parse_query."""

from __future__ import annotations

from wtforms import Form, SelectChoice, SelectField, StringField

from register.reference import PERSON_STATUSES


class PersonFilterForm(Form):
    """Values are checked by parse_query, not here: one place for the rules of a query."""

    surname = StringField(
        "Фамилия", render_kw={"autofocus": True, "maxlength": 40, "autocomplete": "off"}
    )
    name = StringField("Имя", render_kw={"maxlength": 40, "autocomplete": "off"})
    patronymic = StringField("Отчество", render_kw={"maxlength": 40, "autocomplete": "off"})
    birth_date = StringField(
        "Дата рождения",
        render_kw={"placeholder": "ДД.ММ.ГГГГ", "maxlength": 10, "autocomplete": "off"},
    )
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
    status = SelectField(
        "Статус",
        choices=[SelectChoice("", "Любой")]
        + [SelectChoice(code, label) for code, label in PERSON_STATUSES.items()],
        validate_choice=False,
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
    "status",
)
