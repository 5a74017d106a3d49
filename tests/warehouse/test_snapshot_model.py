"""The dbt models: SCD2 history and the monthly snapshot, built by dbt on a real extract."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.dbt_project import DBT_EXECUTABLE, DBT_PROJECT_DIR
from register.db import make_engine, make_session_factory, transaction
from register.models import Person
from tests.factories import add_person, seed_region
from tests.warehouse.register_history import add_version
from warehouse.extract import extract_register_changes

D = dt.date
MAY, MID_APRIL = D(2024, 5, 1), D(2024, 4, 15)


def _dbt(workdir: Path, warehouse_path: Path, *args: str) -> None:
    """Run dbt on the project against ``warehouse_path``; artifacts stay in ``workdir``."""
    completed = subprocess.run(
        [
            DBT_EXECUTABLE,
            "--no-use-colors",
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
        ],
        env={**os.environ, "RSERZ_WAREHOUSE_PATH": str(warehouse_path)},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]


class Region:
    """The warehouse built from a small register; person ids by name."""

    def __init__(self, workdir: Path, url: str):
        self.workdir = workdir
        self.url = url
        self.warehouse_path = workdir / "warehouse.duckdb"
        self.ids: dict[str, int] = {}
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def snapshot(self, on: dt.date) -> dict[str, tuple]:
        with duckdb.connect(str(self.warehouse_path), read_only=True) as con:
            rows = con.execute(
                "select person_id, surname, age, person_version_change_seq "
                "from marts.snapshot_month where snapshot_date = ?",
                [on],
            ).fetchall()
        names = {person_id: name for name, person_id in self.ids.items()}
        return {names[person_id]: rest for person_id, *rest in rows}


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Region:
    workdir = tmp_path_factory.mktemp("dbt")
    shutil.copy(sqlite_template, workdir / "rserz.sqlite")
    built = Region(workdir, f"sqlite:///{workdir / 'rserz.sqlite'}")
    with transaction(built.sessions) as s:
        seed_region(s)

        def person(key: str, **record: object) -> Person:
            p = add_person(s, **record)
            built.ids[key] = p.id
            return p

        renamed = person("renamed", insurance_start=D(2020, 1, 1))
        add_version(s, renamed, D(2024, 4, 15), surname="ПЕТРОВ")
        add_version(s, renamed, D(2024, 5, 15), surname="СИДОРОВ")
        closed_before = person("closed_before", insurance_start=D(2019, 3, 1))
        add_version(s, closed_before, D(2024, 3, 20), status="closed", closure_date=D(2024, 3, 20),
                    closure_reason="П021", insurance_end=D(2024, 3, 20))  # fmt: skip
        closed_after = person("closed_after", insurance_start=D(2021, 1, 1))
        add_version(s, closed_after, D(2024, 5, 10), status="closed", closure_date=D(2024, 5, 10),
                    closure_reason="П021", insurance_end=D(2024, 5, 10))  # fmt: skip
        person("registered_later", insurance_start=D(2024, 5, 2))
        person("ends_on_the_date", insurance_end=D(2024, 5, 1))
        person("ends_next_day", insurance_end=D(2024, 5, 2))
        # Died on 10.04, registered after a later address change: a back-dated version.
        died = person("died_backdated", insurance_start=D(2020, 1, 1))
        add_version(s, died, D(2024, 4, 25), reg_address="Московская обл., г. Подольск")
        add_version(s, died, D(2024, 4, 10), status="deceased", death_date=D(2024, 4, 10),
                    closure_date=D(2024, 4, 10), closure_reason="П022")  # fmt: skip
        person("birthday_on_the_date", birth_date=D(2000, 5, 1), sex=2, name="АННА",
               insurance_start=D(2022, 1, 1))  # fmt: skip
        person("registered_on_the_date", insurance_start=MAY)
        person("death_date_before", death_date=D(2024, 4, 30))
    extract_register_changes(built.url, built.warehouse_path)
    _dbt(workdir, built.warehouse_path, "build", "--vars",
         json.dumps({"snapshot_date": [MAY.isoformat(), MID_APRIL.isoformat()]}))  # fmt: skip
    return built


def test_snapshot_has_exactly_the_persons_insured_at_the_date(region: Region) -> None:
    assert set(region.snapshot(MAY)) == {
        "renamed",
        "closed_after",
        "ends_next_day",
        "birthday_on_the_date",
        "registered_on_the_date",
    }
    assert set(region.snapshot(MID_APRIL)) == {
        "renamed",
        "closed_after",
        "ends_on_the_date",
        "ends_next_day",
        "birthday_on_the_date",
        "death_date_before",
    }


def test_snapshot_takes_the_attributes_valid_at_the_date(region: Region) -> None:
    may, april = region.snapshot(MAY), region.snapshot(MID_APRIL)
    # Renamed on 15.04 (valid from 00:00 that day) and again on 15.05.
    assert may["renamed"][0] == april["renamed"][0] == "ПЕТРОВ"
    assert may["closed_after"][0] == "ИВАНОВ"
    # Age in full years on the snapshot date; 1 May 2000 turns 24 on 1 May 2024.
    assert may["birthday_on_the_date"][1] == 24
    assert april["birthday_on_the_date"][1] == 23
    assert may["renamed"][1] == 38


def test_history_derives_validity_from_later_versions(region: Region) -> None:
    with duckdb.connect(str(region.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select valid_from, valid_to, is_current, is_effective, status "
            "from intermediate.int_person_history where person_id = ? order by change_seq",
            [region.ids["died_backdated"]],
        ).fetchall()
    assert rows == [
        # Ends where the back-dated death begins, not where the next version begins.
        (D(2020, 1, 1), D(2024, 4, 10), False, True, "insured"),
        # Superseded entirely by the back-dated death.
        (D(2024, 4, 25), D(2024, 4, 10), False, False, "insured"),
        (D(2024, 4, 10), None, True, True, "deceased"),
    ]


def test_rebuilding_a_month_replaces_only_that_month(region: Region) -> None:
    april_before = region.snapshot(MID_APRIL)
    with transaction(region.sessions) as s:
        region.ids["new_in_may"] = add_person(s, insurance_start=D(2024, 2, 1)).id
        ends_next_day = s.get(Person, region.ids["ends_next_day"])
        assert ends_next_day is not None
        add_version(s, ends_next_day, D(2024, 4, 20), surname="КУЗНЕЦОВА")
    extract_register_changes(region.url, region.warehouse_path)
    _dbt(region.workdir, region.warehouse_path, "build", "--select", "+snapshot_month",
         "--vars", json.dumps({"snapshot_date": MAY.isoformat()}))  # fmt: skip

    may = region.snapshot(MAY)
    assert set(may) == {
        "renamed",
        "closed_after",
        "ends_next_day",
        "birthday_on_the_date",
        "registered_on_the_date",
        "new_in_may",
    }
    assert may["ends_next_day"][0] == "КУЗНЕЦОВА"
    # The April snapshot stays as it was taken.
    assert region.snapshot(MID_APRIL) == april_before


def test_snapshot_date_var_is_validated(region: Region) -> None:
    with pytest.raises(AssertionError, match="must be YYYY-MM-DD"):
        _dbt(region.workdir, region.warehouse_path, "compile", "--select", "snapshot_month",
             "--vars", json.dumps({"snapshot_date": "01.05.2024"}))  # fmt: skip
