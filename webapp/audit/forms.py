"""The filter of the audit journal (GET, bookmarkable: the register screen links to it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wtforms import Form, SelectChoice, SelectField, StringField

from register.audit import ACTION_LABELS, AuditQuery
from register.records import format_date, parse_date
from webapp.audit.display import OBJECT_TYPE_LABELS

_TEXT = {"maxlength": 60, "autocomplete": "off", "spellcheck": "false"}
_DATE = {
    "placeholder": "ДД.ММ.ГГГГ",
    "maxlength": 10,
    "autocomplete": "off",
    "inputmode": "numeric",
}

FILTER_FIELDS = ("user_login", "action", "object_type", "object_id", "date_from", "date_to")
FILTER_LABELS: dict[str, str] = {
    "user_login": "Пользователь",
    "action": "Действие",
    "object_type": "Объект",
    "object_id": "Номер объекта",
    "date_from": "Дата с",
    "date_to": "Дата по",
}


class AuditFilterForm(Form):
    user_login = StringField("Пользователь (логин)", render_kw={**_TEXT, "autofocus": True})
    action = SelectField(
        "Действие",
        choices=[SelectChoice("", "Любое")]
        + [SelectChoice(code, label) for code, label in ACTION_LABELS.items()],
        validate_choice=False,
    )
    object_type = SelectField("Объект", choices=[], validate_choice=False)
    object_id = StringField("Номер объекта", render_kw={**_TEXT, "maxlength": 40})
    date_from = StringField("Дата с", render_kw=_DATE)
    date_to = StringField("по", render_kw=_DATE)

    def fill_object_types(self, current: str | None) -> None:
        """The known object types, and the one asked for if the journal has others."""
        known = dict(OBJECT_TYPE_LABELS)
        if current and current not in known:
            known[current] = current
        self.object_type.choices = [SelectChoice("", "Любой")] + [
            SelectChoice(code, label) for code, label in known.items()
        ]


@dataclass(frozen=True)
class AuditFilter:
    query: AuditQuery | None  # None when something must be corrected first
    errors: dict[str, str]
    args: dict[str, str]  # the valid conditions, as they go into links


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    errors: dict[str, str] = {}
    kept: dict[str, str] = {}
    values = {name: args.get(name, "").strip() for name in FILTER_FIELDS}
    if values["action"] and values["action"] not in ACTION_LABELS:
        errors["action"] = "Неизвестное действие"
    days = {}
    for name in ("date_from", "date_to"):
        days[name] = None
        if values[name]:
            try:
                days[name] = parse_date(values[name])
            except ValueError as exc:
                errors[name] = str(exc)
    if days["date_from"] and days["date_to"] and days["date_from"] > days["date_to"]:
        errors["date_to"] = "Дата «по» раньше даты «с»"
    values["user_login"] = values["user_login"][:60]
    values["object_type"] = values["object_type"][:30]
    values["object_id"] = values["object_id"][:40]
    for name in FILTER_FIELDS:
        if values[name] and name not in errors:
            day = days.get(name)
            kept[name] = format_date(day) if day else values[name]
    if errors:
        return AuditFilter(None, errors, kept)
    query = AuditQuery(
        user_login=values["user_login"] or None,
        action=values["action"] or None,
        object_type=values["object_type"] or None,
        object_id=values["object_id"] or None,
        date_from=days["date_from"],
        date_to=days["date_to"],
    )
    return AuditFilter(query, errors, kept)
