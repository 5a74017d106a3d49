"""Jinja filters and globals: how register values are shown on screens."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from register.buffer import BUFFER_TYPES, OPERATION_LABELS, STATUS_LABELS, colour
from register.clock import LOCAL_ZONE
from register.records import format_date
from register.reference import PERSON_STATUSES, SEXES
from register.snils import format_snils

PRODUCT_NAME = "РС ЕРЗ — Регистр застрахованных лиц"

#: Bootstrap row classes for the colours of register.buffer.colour().
BUFFER_ROW_CLASSES: dict[str, str] = {
    "green": "table-success",
    "red": "table-danger",
    "yellow": "table-warning",
    "white": "",
}

#: Row classes of the persons table, one per status (legend in the template).
PERSON_ROW_CLASSES: dict[str, str] = {
    "insured": "row-insured",
    "closed": "row-closed",
    "deceased": "row-deceased",
}


def screen_zone() -> ZoneInfo:
    """The operators' time zone: the app's RSERZ_TIMEZONE, else the region's (register.clock)."""
    if has_app_context():
        zone = current_app.config.get("RSERZ_TIMEZONE")
        if isinstance(zone, ZoneInfo):
            return zone
    return LOCAL_ZONE


def date_ru(value: dt.date | dt.datetime | None) -> str:
    """ДД.ММ.ГГГГ for a date; ДД.ММ.ГГГГ ЧЧ:ММ in the operators' zone for a date and time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # Stored in UTC; SQLite gives it back without the zone.
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(screen_zone()).strftime("%d.%m.%Y %H:%M")
    return format_date(value)


def snils(value: str | None) -> str:
    """XXX-XXX-XXX YY; a malformed value is shown as it is rather than hidden."""
    if not value:
        return ""
    try:
        return format_snils(value)
    except ValueError:
        return value


def thousands(value: int | None) -> str:
    """12 345 678 (thin no-break spaces, as Russian texts write numbers)."""
    return "" if value is None else f"{value:,}".replace(",", "\u202f")


def init_app(app: Flask) -> None:
    app.add_template_filter(date_ru, "date_ru")
    app.add_template_filter(snils, "snils")
    app.add_template_filter(thousands, "thousands")
    app.add_template_filter(lambda code: SEXES.get(code, code or ""), "sex")
    app.add_template_filter(lambda s: PERSON_STATUSES.get(s, s or ""), "person_status")
    app.add_template_filter(lambda s: PERSON_ROW_CLASSES.get(s, ""), "person_row_class")
    app.add_template_filter(lambda s: STATUS_LABELS.get(s, s or ""), "buffer_status")
    app.add_template_filter(lambda s: BUFFER_ROW_CLASSES.get(colour(s), ""), "buffer_row_class")
    app.add_template_filter(lambda t: BUFFER_TYPES.get(t, t), "buffer_type")
    app.add_template_filter(lambda op: OPERATION_LABELS.get(op, op), "operation")

    app.jinja_env.globals["PRODUCT_NAME"] = PRODUCT_NAME
