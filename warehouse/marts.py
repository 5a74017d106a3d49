"""Read API of published marts, for the web app.

Reads the pointer and the manifest of the current version and the Parquet files
with an in-memory DuckDB connection per call. It never opens the warehouse
DuckDB file (ARCHITECTURE.md, invariant 1): a Dagster run holding the warehouse
never blocks a web request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse import mart_folder

#: The folder of published snapshots under the marts directory.
SNAPSHOT_MART = "snapshot_month"
#: Upper bound of one page, so that a request cannot pull a whole region.
MAX_PAGE_SIZE = 1000


def snapshot_mart_dir(marts_dir: Path) -> Path:
    return Path(marts_dir) / SNAPSHOT_MART


def snapshot_file_name(snapshot_date: dt.date) -> str:
    """The Parquet file of one snapshot date inside a version folder."""
    return f"snapshot_date={snapshot_date.isoformat()}.parquet"


class SnapshotNotPublished(LookupError):
    """No published snapshot for the date (message in Russian)."""


@dataclass(frozen=True)
class SnapshotInfo:
    """One published snapshot, as listed in the current version's manifest."""

    snapshot_date: dt.date
    row_count: int
    published_at: dt.datetime
    source_run_id: str | None
    counts_by_smo: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SnapshotPage:
    """Rows ``offset + 1 … offset + len(rows)`` of a snapshot, in the published order."""

    snapshot_date: dt.date
    total: int
    offset: int
    limit: int
    columns: list[str]
    rows: list[dict[str, Any]]


def _current_manifest(marts_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    version = mart_folder.read_pointer(snapshot_mart_dir(marts_dir))
    if version is None:
        return None
    return version, mart_folder.read_manifest(version)


def _info(entry: dict[str, Any]) -> SnapshotInfo:
    return SnapshotInfo(
        snapshot_date=dt.date.fromisoformat(entry["snapshot_date"]),
        row_count=int(entry["row_count"]),
        published_at=dt.datetime.fromisoformat(entry["published_at"]),
        source_run_id=entry.get("source_run_id"),
        counts_by_smo=dict(entry.get("counts_by_smo") or {}),
    )


def list_snapshots(marts_dir: Path) -> list[SnapshotInfo]:
    """Published snapshots, newest date first; empty before the first publish."""
    current = _current_manifest(marts_dir)
    if current is None:
        return []
    _, manifest = current
    return sorted(
        (_info(e) for e in manifest["snapshots"]), key=lambda s: s.snapshot_date, reverse=True
    )


def read_snapshot_page(
    marts_dir: Path, snapshot_date: dt.date, offset: int = 0, limit: int = 100
) -> SnapshotPage:
    """A page of a published snapshot, ordered by surname, name, patronymic, birth date."""
    if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"offset must be >= 0 and limit within 1..{MAX_PAGE_SIZE}")
    current = _current_manifest(marts_dir)
    found = None
    if current is not None:
        version, manifest = current
        found = next(
            (
                (version / e["file"], int(e["row_count"]))
                for e in manifest["snapshots"]
                if e["snapshot_date"] == snapshot_date.isoformat()
            ),
            None,
        )
    if found is None:
        raise SnapshotNotPublished(f"Срез на {snapshot_date:%d.%m.%Y} не опубликован.")
    path, total = found
    con = duckdb.connect(":memory:")
    try:
        cursor = con.execute(
            "select * exclude (row_no) from read_parquet(?) "
            "where row_no > ? and row_no <= ? order by row_no",
            [str(path), offset, offset + limit],
        )
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    return SnapshotPage(
        snapshot_date=snapshot_date,
        total=total,
        offset=offset,
        limit=limit,
        columns=columns,
        rows=rows,
    )
