"""The month partitions of snapshots (срезы)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

#: Time zone of the schedule and of "the current month". The snapshot itself is
#: date-based (as of 00:00 on the partition's date), so this only decides when
#: a new month's partition appears and when the schedule fires.
SNAPSHOT_TIMEZONE = "Europe/Moscow"

#: One partition per month, keyed by its 1st day (YYYY-MM-DD) — the snapshot date.
#: end_offset=1 makes the current month's partition available from its 1st day on.
monthly_snapshot_partitions = dg.MonthlyPartitionsDefinition(
    start_date="2024-01-01", end_offset=1, timezone=SNAPSHOT_TIMEZONE
)


def current_snapshot_date() -> dt.date:
    """The 1st of the current month in the snapshot time zone: the newest partition."""
    return dt.datetime.now(ZoneInfo(SNAPSHOT_TIMEZONE)).date().replace(day=1)


def snapshot_date_of(partition_key: str) -> dt.date:
    return dt.date.fromisoformat(partition_key)


def partition_key_of(snapshot_date: dt.date) -> str:
    """The month partition of a snapshot date; raises ValueError (in Russian) if there is none."""
    if snapshot_date.day != 1:
        raise ValueError(
            f"Ежемесячный срез строится на 1-е число месяца, а не на {snapshot_date:%d.%m.%Y}."
        )
    key = snapshot_date.isoformat()
    if not monthly_snapshot_partitions.has_partition_key(key):
        raise ValueError(
            f"Срез на {snapshot_date:%d.%m.%Y} построить нельзя: доступны месяцы "
            f"с {monthly_snapshot_partitions.start:%m.%Y} по текущий."
        )
    return key
