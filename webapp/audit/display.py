"""How audit rows are shown: times in the region's zone, the details readable."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

from register.clock import LOCAL_ZONE

TIMEZONE_KEY = "RSERZ_TIMEZONE"

#: What the audit rows are about (object_type), as the screen names it.
OBJECT_TYPE_LABELS: dict[str, str] = {
    "person": "Застрахованное лицо",
    "buffer_request": "Запрос буфера",
    "user": "Пользователь",
    "snapshot": "Срез",
}


def init_app(app: Flask) -> None:
    """The zone from the app's config or the environment; an unknown zone stops the start-up."""
    name = app.config.get(TIMEZONE_KEY) or LOCAL_ZONE.key
    try:
        app.config[TIMEZONE_KEY] = ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{TIMEZONE_KEY}: unknown time zone {name!r}") from None


def zone() -> ZoneInfo:
    return current_app.config[TIMEZONE_KEY]


def zone_caption(tz: ZoneInfo, at: dt.datetime | None = None) -> str:
    """«Europe/Moscow, UTC+03:00»: the zone's name and its offset now."""
    offset = (at or dt.datetime.now(dt.UTC)).astimezone(tz).strftime("%z")
    return f"{tz.key}, UTC{offset[:3]}:{offset[3:]}"


def local_time(value: dt.datetime | None, tz: ZoneInfo) -> str:
    """ДД.ММ.ГГГГ ЧЧ:ММ:СС in the zone (stored in UTC; SQLite returns it without the zone)."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S")


def utc_iso(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class DetailItem:
    """One key of an audit row's details: a short value inline, a structure as indented JSON."""

    key: str
    text: str | None = None
    block: str | None = None


def detail_items(details: Any) -> list[DetailItem]:
    if details is None or details == {}:
        return []
    if not isinstance(details, dict):
        return [DetailItem("", block=_pretty(details))]
    items = []
    for key, value in details.items():
        if isinstance(value, dict | list):
            items.append(DetailItem(str(key), block=_pretty(value)))
        else:
            items.append(DetailItem(str(key), text="—" if value is None else _scalar(value)))
    return items


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    return str(value)


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)
