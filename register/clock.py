"""The region's local time: operators filter by their calendar day, the database keeps UTC."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

#: The time zone of the region's operators (``RSERZ_TIMEZONE``, default Europe/Moscow).
LOCAL_ZONE = ZoneInfo(os.environ.get("RSERZ_TIMEZONE", "Europe/Moscow"))


def local_day_start(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in the region, as a UTC datetime (how the database stores times)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite gives stored UTC back without a zone)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def local_date(moment: dt.datetime) -> dt.date:
    """The operators' calendar day of a stored time."""
    return as_utc(moment).astimezone(LOCAL_ZONE).date()
