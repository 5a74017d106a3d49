"""Publishing the monthly snapshot (срез) from the warehouse as Parquet for the web app.

Every publish writes a complete new version of ``marts/snapshot_month/`` (see
``warehouse.mart_folder``): the snapshot date just built, exported from the dbt
mart ``marts.snapshot_month``, plus the files of every other date carried
forward from the current version (hard links, so no copying), and a manifest.
Then the ``CURRENT`` pointer is switched. Readers (``warehouse.marts``) see
either the old or the new version, never a mix.

The Parquet file is sorted for the list screens (surname, name, patronymic,
birth date) and numbered in that order (``row_no``, from 1), so that a page is
a range of ``row_no`` that Parquet's row-group statistics find without sorting.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from warehouse import mart_folder
from warehouse.connection import open_warehouse
from warehouse.marts import SNAPSHOT_MART, snapshot_file_name, snapshot_mart_dir

SOURCE_TABLE = "marts.snapshot_month"
#: Row order of the published file; person_id makes it total.
SORT_ORDER = "surname, name, patronymic nulls first, birth_date, person_id"


class PublishError(RuntimeError):
    """The snapshot cannot be published; nothing was changed (message in Russian)."""


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _export(con: duckdb.DuckDBPyConnection, snapshot_date: dt.date, target: Path) -> None:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'snapshot_month'"
    ).fetchone()
    if not exists or not exists[0]:
        raise PublishError("Витрина срезов ещё не построена: сначала постройте срез (dbt).")
    # COPY takes no bind parameters; the date is a date object, the path is quoted.
    con.execute(
        f"copy (select row_number() over (order by {SORT_ORDER}) as row_no, * "
        f"from {SOURCE_TABLE} where snapshot_date = date '{snapshot_date.isoformat()}' "
        f"order by row_no) to {_sql_string(str(target))} "
        "(format parquet, compression zstd)"
    )


def _describe(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, dict[str, int]]:
    """Row count and persons per СМО of a published file."""
    counts = con.execute(
        "select coalesce(smo_code, ''), count(*) from read_parquet(?) group by 1 order by 1",
        [str(path)],
    ).fetchall()
    by_smo = {smo: int(n) for smo, n in counts}
    return sum(by_smo.values()), by_smo


def publish_snapshot(
    warehouse_path: Path,
    marts_dir: Path,
    snapshot_date: dt.date,
    *,
    source_run_id: str | None = None,
    keep_versions: int = 3,
) -> Path:
    """Publish the snapshot of ``snapshot_date`` from the dbt mart; return its Parquet file.

    Holds the warehouse lock for the whole publish, so publishers never race.
    Raises :class:`PublishError` when the mart has no rows for the date.
    """
    mart_dir = snapshot_mart_dir(marts_dir)
    file_name = snapshot_file_name(snapshot_date)
    with open_warehouse(warehouse_path) as con:
        current = mart_folder.read_pointer(mart_dir)
        # The other dates of the current version, as (file, manifest entry).
        carried: list[tuple[Path, dict[str, Any]]] = []
        if current is not None:
            carried = [
                (current / entry["file"], entry)
                for entry in mart_folder.read_manifest(current)["snapshots"]
                if entry["snapshot_date"] != snapshot_date.isoformat()
            ]
        with mart_folder.building_version(mart_dir) as (version, folder):
            _export(con, snapshot_date, folder / file_name)
            row_count, by_smo = _describe(con, folder / file_name)
            if row_count == 0:
                raise PublishError(
                    f"Срез на {snapshot_date:%d.%m.%Y} пуст или не построен: публиковать нечего."
                )
            for source, entry in carried:
                mart_folder.link_or_copy(source, folder / entry["file"])
            created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            new_entry = {
                "snapshot_date": snapshot_date.isoformat(),
                "file": file_name,
                "row_count": row_count,
                "published_at": created_at,
                "source_run_id": source_run_id,
                "counts_by_smo": by_smo,
            }
            mart_folder.write_manifest(
                folder,
                {
                    "mart": SNAPSHOT_MART,
                    "version": version,
                    "created_at": created_at,
                    "snapshots": sorted(
                        [*(entry for _, entry in carried), new_entry],
                        key=lambda entry: entry["snapshot_date"],
                    ),
                },
            )
        mart_folder.switch_pointer(mart_dir, version)
        mart_folder.prune_versions(mart_dir, keep=keep_versions)
    return mart_dir / version / file_name
