"""Publishing snapshots: versioned folders, an atomic pointer, complete sets for readers."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from warehouse import mart_folder
from warehouse.marts import list_snapshots, read_snapshot_page
from warehouse.publish import PublishError, publish_snapshot

D = dt.date
APRIL, MAY, JUNE = D(2024, 4, 1), D(2024, 5, 1), D(2024, 6, 1)
BORN = D(1985, 7, 15)


@pytest.fixture
def three_months(fill_snapshot_mart: Callable) -> None:
    fill_snapshot_mart(
        [
            (APRIL, 1, "ИВАНОВ", "ИВАН", None, BORN, "50001"),
            (MAY, 1, "ИВАНОВ", "ИВАН", None, BORN, "50001"),
            (MAY, 2, "АБРАМОВА", "АННА", "ПЕТРОВНА", BORN, "50002"),
            (JUNE, 1, "ИВАНОВ", "ИВАН", None, BORN, "50001"),
            (JUNE, 2, "АБРАМОВА", "АННА", "ПЕТРОВНА", BORN, "50002"),
            (JUNE, 3, "ЯКОВЛЕВ", "ЯКОВ", None, BORN, "50002"),
        ]
    )


def _versions(marts_dir: Path) -> list[str]:
    return sorted(p.name for p in (marts_dir / "snapshot_month").iterdir() if p.is_dir())


@pytest.mark.usefixtures("three_months")
def test_publish_writes_a_versioned_folder_and_switches_the_pointer(
    warehouse_path: Path, marts_dir: Path
) -> None:
    april = publish_snapshot(warehouse_path, marts_dir, APRIL, source_run_id="run-1")
    mart_dir = marts_dir / "snapshot_month"
    assert april.name == "snapshot_date=2024-04-01.parquet"
    assert april.parent.name.startswith("v")
    assert (mart_dir / "CURRENT").read_text().strip() == april.parent.name

    may = publish_snapshot(warehouse_path, marts_dir, MAY, source_run_id="run-2")
    assert may.parent != april.parent
    assert (mart_dir / "CURRENT").read_text().strip() == may.parent.name
    # The new version holds every month: April carried forward (a hard link, not a copy).
    carried = may.parent / april.name
    assert carried.exists() and os.stat(carried).st_ino == os.stat(april).st_ino

    manifest = json.loads((may.parent / "manifest.json").read_text())
    assert manifest["version"] == may.parent.name
    assert [
        (s["snapshot_date"], s["row_count"], s["source_run_id"], s["counts_by_smo"])
        for s in manifest["snapshots"]
    ] == [
        ("2024-04-01", 1, "run-1", {"50001": 1}),
        ("2024-05-01", 2, "run-2", {"50001": 1, "50002": 1}),
    ]
    assert not [p for p in mart_dir.iterdir() if p.name.startswith(".")]


@pytest.mark.usefixtures("three_months")
def test_republishing_a_date_replaces_it_in_a_new_version(
    warehouse_path: Path, marts_dir: Path, fill_snapshot_mart: Callable
) -> None:
    publish_snapshot(warehouse_path, marts_dir, MAY)
    fill_snapshot_mart([(MAY, 9, "НОВИКОВ", "НИКОЛАЙ", None, BORN, "50001")])
    publish_snapshot(warehouse_path, marts_dir, MAY)
    (may,) = list_snapshots(marts_dir)
    assert may.row_count == 3


@pytest.mark.usefixtures("three_months")
def test_readers_see_the_old_complete_version_until_the_switch(
    warehouse_path: Path, marts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_snapshot(warehouse_path, marts_dir, APRIL)
    seen_before_switch = []
    real_switch = mart_folder.switch_pointer

    def switch_after_looking(mart_dir: Path, version: str, pointer: str = "CURRENT") -> None:
        # The new version is complete on disk, yet readers still get the old one.
        assert (mart_dir / version / "manifest.json").exists()
        seen_before_switch.append([s.snapshot_date for s in list_snapshots(marts_dir)])
        seen_before_switch.append(read_snapshot_page(marts_dir, APRIL).total)
        with pytest.raises(LookupError):
            read_snapshot_page(marts_dir, MAY)
        real_switch(mart_dir, version, pointer)

    monkeypatch.setattr(mart_folder, "switch_pointer", switch_after_looking)
    publish_snapshot(warehouse_path, marts_dir, MAY)

    assert seen_before_switch == [[APRIL], 1]
    assert [s.snapshot_date for s in list_snapshots(marts_dir)] == [MAY, APRIL]


@pytest.mark.usefixtures("three_months")
def test_a_failed_publish_changes_nothing(
    warehouse_path: Path, marts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_snapshot(warehouse_path, marts_dir, APRIL)
    pointer_before = (marts_dir / "snapshot_month" / "CURRENT").read_text()
    versions_before = _versions(marts_dir)

    with pytest.raises(PublishError, match=r"Срез на 01\.07\.2024 пуст или не построен"):
        publish_snapshot(warehouse_path, marts_dir, D(2024, 7, 1))

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(mart_folder, "write_manifest", crash)
    with pytest.raises(OSError, match="disk full"):
        publish_snapshot(warehouse_path, marts_dir, MAY)

    assert (marts_dir / "snapshot_month" / "CURRENT").read_text() == pointer_before
    assert _versions(marts_dir) == versions_before
    assert not [p for p in (marts_dir / "snapshot_month").iterdir() if p.name.startswith(".")]


def test_publish_needs_the_mart(warehouse_path: Path, marts_dir: Path) -> None:
    duckdb.connect(str(warehouse_path)).close()
    with pytest.raises(PublishError, match="Витрина срезов ещё не построена"):
        publish_snapshot(warehouse_path, marts_dir, MAY)
    assert list_snapshots(marts_dir) == []


@pytest.mark.usefixtures("three_months")
def test_old_versions_are_pruned_unless_a_pointer_names_them(
    warehouse_path: Path, marts_dir: Path
) -> None:
    mart_dir = marts_dir / "snapshot_month"
    first = publish_snapshot(warehouse_path, marts_dir, APRIL).parent.name
    # An operator pinned the first version (any file in the mart folder is a pointer).
    (mart_dir / "PINNED").write_text(first + "\n")
    second = publish_snapshot(warehouse_path, marts_dir, MAY).parent.name
    later = [publish_snapshot(warehouse_path, marts_dir, JUNE).parent.name for _ in range(3)]

    assert _versions(marts_dir) == sorted([first, *later])
    assert second not in _versions(marts_dir)
    (mart_dir / "PINNED").unlink()
    publish_snapshot(warehouse_path, marts_dir, JUNE)
    assert first not in _versions(marts_dir)
    assert len(_versions(marts_dir)) == 3
    assert [s.snapshot_date for s in list_snapshots(marts_dir)] == [JUNE, MAY, APRIL]
