"""The whole warehouse pipeline materialised with Dagster on a temporary data directory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.materialize_all import materialize_pipeline
from register.db import make_engine, make_session_factory, transaction
from register.settings import load_settings
from tests.factories import add_person, seed_region
from warehouse.marts import list_snapshots, read_snapshot_page

MAY = dt.date(2024, 5, 1)


@pytest.fixture
def data_dir(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("RSERZ_DATA_DIR", str(data_dir))
    monkeypatch.setenv("RSERZ_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RSERZ_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
    engine = make_engine(sqlite_url)
    with transaction(make_session_factory(engine)) as session:
        seed_region(session)
        add_person(session, surname="ЯКОВЛЕВ", insurance_start=dt.date(2020, 1, 1))
        add_person(session, surname="АБРАМОВ", smo_code="50002")
        add_person(session, surname="ПОЗДНЯКОВ", insurance_start=dt.date(2024, 6, 1))
    engine.dispose()
    return data_dir


def test_pipeline_publishes_the_month(data_dir: Path) -> None:
    with dg.instance_for_test() as instance:
        assert materialize_pipeline(MAY, instance=instance)

        published = instance.get_latest_materialization_event(
            dg.AssetKey("published_snapshot_month")
        )
        assert published is not None
        assert published.dagster_event.partition == "2024-05-01"
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.is_success for r in runs)

    marts_dir = load_settings().marts_dir
    assert marts_dir == data_dir / "marts"
    (snapshot,) = list_snapshots(marts_dir)
    assert (snapshot.snapshot_date, snapshot.row_count) == (MAY, 2)
    assert snapshot.counts_by_smo == {"50001": 1, "50002": 1}
    page = read_snapshot_page(marts_dir, MAY)
    assert [row["surname"] for row in page.rows] == ["АБРАМОВ", "ЯКОВЛЕВ"]
    assert {row["age"] for row in page.rows} == {38}
    assert [row["smo_short_name"] for row in page.rows] == ["Бета-Полис", "Альфа-Мед"]

    files = list((marts_dir / "snapshot_month").glob("v*/snapshot_date=2024-05-01.parquet"))
    assert len(files) == 1
    with duckdb.connect(":memory:") as con:
        columns = {c[0] for c in con.execute(f"describe select * from '{files[0]}'").fetchall()}
    assert {"snapshot_date", "enp", "working", "contributions_accrued", "in_fns_data"} <= columns


@pytest.mark.usefixtures("data_dir")
def test_pipeline_rejects_a_date_that_is_not_a_month_partition() -> None:
    with pytest.raises(ValueError, match="1-е число"):
        materialize_pipeline(dt.date(2024, 5, 15))
