"""The web app's read API on published marts: never the warehouse file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb
import pytest

from warehouse.connection import WarehouseBusyError, open_warehouse
from warehouse.marts import (
    MAX_PAGE_SIZE,
    SnapshotNotPublished,
    list_snapshots,
    read_snapshot_page,
)
from warehouse.publish import publish_snapshot

MAY = dt.date(2024, 5, 1)
SURNAMES = ["ЯКОВЛЕВ", "АБРАМОВ", "ЖУКОВ", "БОРИСОВ", "ВАСИЛЬЕВ", "ГРИГОРЬЕВ", "ДМИТРИЕВ"]


@pytest.fixture
def published(warehouse_path: Path, marts_dir: Path, fill_snapshot_mart: Callable) -> None:
    fill_snapshot_mart(
        (MAY, n, surname, "ИВАН", None, dt.date(1980, 1, n), "50001" if n % 2 else "50002")
        for n, surname in enumerate(SURNAMES, start=1)
    )
    publish_snapshot(warehouse_path, marts_dir, MAY, source_run_id="run-42")


@pytest.mark.usefixtures("published")
def test_reads_while_another_process_writes_the_warehouse(
    warehouse_path: Path,
    marts_dir: Path,
    warehouse_held_by_another_process: Callable[[], AbstractContextManager],
) -> None:
    with warehouse_held_by_another_process():
        # The file is really locked: a writer of our own would have to wait …
        with (
            pytest.raises(WarehouseBusyError),
            open_warehouse(warehouse_path, wait_seconds=0.3, retry_interval=0.1),
        ):
            pass
        # … but the read API does not touch it.
        (info,) = list_snapshots(marts_dir)
        page = read_snapshot_page(marts_dir, MAY, offset=0, limit=3)
    assert (info.snapshot_date, info.row_count, info.source_run_id) == (MAY, 7, "run-42")
    assert info.counts_by_smo == {"50001": 4, "50002": 3}
    assert [r["surname"] for r in page.rows] == ["АБРАМОВ", "БОРИСОВ", "ВАСИЛЬЕВ"]


@pytest.mark.usefixtures("published")
def test_read_api_connects_only_to_memory(marts_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    databases: list[str] = []
    real_connect = duckdb.connect

    def recording_connect(database: str = ":memory:", *args: object, **kwargs: object):
        databases.append(database)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    list_snapshots(marts_dir)
    read_snapshot_page(marts_dir, MAY, offset=2, limit=2)
    assert databases and set(databases) == {":memory:"}


@pytest.mark.usefixtures("published")
def test_pages_follow_the_published_order(marts_dir: Path) -> None:
    everyone = read_snapshot_page(marts_dir, MAY, offset=0, limit=MAX_PAGE_SIZE)
    assert [r["surname"] for r in everyone.rows] == sorted(SURNAMES)
    assert "row_no" not in everyone.columns and "smo_code" in everyone.columns

    pages = [read_snapshot_page(marts_dir, MAY, offset=o, limit=3) for o in (0, 3, 6, 9)]
    assert [r for p in pages for r in p.rows] == everyone.rows
    assert [len(p.rows) for p in pages] == [3, 3, 1, 0]
    assert {p.total for p in pages} == {7}


def test_missing_snapshot_and_bad_paging(marts_dir: Path) -> None:
    assert list_snapshots(marts_dir) == []
    with pytest.raises(SnapshotNotPublished, match=r"Срез на 01\.05\.2024 не опубликован"):
        read_snapshot_page(marts_dir, MAY)
    with pytest.raises(ValueError):
        read_snapshot_page(marts_dir, MAY, offset=-1)
    with pytest.raises(ValueError):
        read_snapshot_page(marts_dir, MAY, limit=MAX_PAGE_SIZE + 1)
