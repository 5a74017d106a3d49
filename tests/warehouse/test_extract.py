"""Incremental extract of register changes into the warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from register.db import upgrade
from register.models import Person
from tests.factories import add_person, seed_region
from tests.warehouse.register_history import add_version
from warehouse import extract as extract_module
from warehouse.connection import open_warehouse
from warehouse.extract import ExtractError, extract_register_changes

D = dt.date
RegisterSession = Callable[[str], AbstractContextManager[Session]]


def _seed(register_session: RegisterSession, url: str) -> None:
    """Two persons, three versions: person 1 changed surname on 15.04.2024."""
    with register_session(url) as session:
        seed_region(session)
        first = add_person(session, insurance_start=D(2020, 1, 1))
        add_version(session, first, D(2024, 4, 15), surname="ПЕТРОВ")
        add_person(session, name="МАРИЯ", sex=2, patronymic=None, working=None)


def test_extract_is_incremental_and_idempotent(
    sqlite_url: str,
    warehouse_path: Path,
    register_session: RegisterSession,
    query: Callable[..., list[tuple]],
) -> None:
    _seed(register_session, sqlite_url)
    first = extract_register_changes(sqlite_url, warehouse_path)
    assert (first.versions_added, first.high_water_mark_before, first.high_water_mark_after) == (
        3,
        0,
        3,
    )
    assert first.reference_rows == {"raw.smo": 2, "raw.mo": 2}

    again = extract_register_changes(sqlite_url, warehouse_path)
    assert again.versions_added == 0
    assert again.high_water_mark_before == again.high_water_mark_after == 3

    # The service closes person 1's current version (valid_to updated, no new
    # change_seq) and adds a new one: only the new one reaches the warehouse.
    with register_session(sqlite_url) as session:
        first_person = session.get(Person, 1)
        assert first_person is not None
        add_version(session, first_person, D(2024, 5, 15), surname="СИДОРОВ")
    third = extract_register_changes(sqlite_url, warehouse_path)
    assert (third.versions_added, third.high_water_mark_after) == (1, 4)

    assert query(
        "select change_seq, person_id, surname, valid_from, valid_to "
        "from raw.register_person_version order by change_seq"
    ) == [
        (1, 1, "ИВАНОВ", D(2020, 1, 1), D(2024, 4, 15)),
        # Copied while it was current: its valid_to stays stale in the warehouse,
        # which is why the dbt models derive validity themselves.
        (2, 1, "ПЕТРОВ", D(2024, 4, 15), None),
        (3, 2, "ИВАНОВ", D(2011, 5, 1), None),
        (4, 1, "СИДОРОВ", D(2024, 5, 15), None),
    ]


def test_extract_types_are_explicit(
    sqlite_url: str,
    warehouse_path: Path,
    register_session: RegisterSession,
    query: Callable[..., list[tuple]],
) -> None:
    _seed(register_session, sqlite_url)
    extract_register_changes(sqlite_url, warehouse_path)
    types = dict(
        query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'register_person_version'"
        )
    )
    assert types["change_seq"] == "BIGINT"
    assert types["person_id"] == "INTEGER"
    assert types["sex"] == types["doc_type"] == "SMALLINT"
    assert types["birth_date"] == types["valid_to"] == types["closure_date"] == "DATE"
    assert types["homeless"] == types["working"] == "BOOLEAN"
    assert types["recorded_at"] == types["extracted_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["surname"] == "VARCHAR"
    assert query(
        "select working, patronymic, homeless from raw.register_person_version where person_id = 2"
    ) == [(None, None, False)]


def test_extract_reads_in_batches(
    sqlite_url: str,
    warehouse_path: Path,
    register_session: RegisterSession,
    query: Callable[..., list[tuple]],
) -> None:
    with register_session(sqlite_url) as session:
        for _ in range(7):
            add_person(session)
    assert extract_register_changes(sqlite_url, warehouse_path, batch_size=3).versions_added == 7
    assert query("select count(distinct change_seq) from raw.register_person_version") == [(7,)]


def test_extract_writes_all_or_nothing(
    sqlite_url: str,
    warehouse_path: Path,
    register_session: RegisterSession,
    query: Callable[..., list[tuple]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(register_session, sqlite_url)

    def lost_connection(*args: object) -> int:
        raise ConnectionError("connection lost")

    monkeypatch.setattr(extract_module, "_replace_reference", lost_connection)
    with pytest.raises(ConnectionError):
        extract_register_changes(sqlite_url, warehouse_path)
    assert query("select count(*) from raw.register_person_version") == [(0,)]

    monkeypatch.undo()
    assert extract_register_changes(sqlite_url, warehouse_path).versions_added == 3


def test_extract_refuses_a_replaced_operational_database(
    sqlite_url: str, tmp_path: Path, warehouse_path: Path, register_session: RegisterSession
) -> None:
    _seed(register_session, sqlite_url)
    extract_register_changes(sqlite_url, warehouse_path)

    fresh_url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    upgrade(fresh_url)
    with pytest.raises(ExtractError, match="Пересоздайте хранилище"):
        extract_register_changes(fresh_url, warehouse_path)


def test_extract_from_each_backend(
    db_url: str,
    warehouse_path: Path,
    register_session: RegisterSession,
    query: Callable[..., list[tuple]],
) -> None:
    _seed(register_session, db_url)
    assert extract_register_changes(db_url, warehouse_path).versions_added == 3
    assert extract_register_changes(db_url, warehouse_path).versions_added == 0
    assert query(
        "select person_id, surname, name, sex, birth_date, homeless, working, valid_from "
        "from raw.register_person_version order by change_seq"
    ) == [
        (1, "ИВАНОВ", "ИВАН", 1, D(1985, 7, 15), False, None, D(2020, 1, 1)),
        (1, "ПЕТРОВ", "ИВАН", 1, D(1985, 7, 15), False, None, D(2024, 4, 15)),
        (2, "ИВАНОВ", "МАРИЯ", 2, D(1985, 7, 15), False, None, D(2011, 5, 1)),
    ]
    ((recorded_at,),) = query("select min(recorded_at) from raw.register_person_version")
    assert recorded_at.tzinfo is not None


def test_extract_adds_columns_the_register_gained(
    sqlite_url: str,
    warehouse_path: Path,
    register_session: RegisterSession,
    query: Callable[..., list[tuple]],
) -> None:
    _seed(register_session, sqlite_url)
    extract_register_changes(sqlite_url, warehouse_path)
    # A warehouse made before person_version had an e-mail column.
    with open_warehouse(warehouse_path) as con:
        con.execute("alter table raw.register_person_version drop column email")
    with register_session(sqlite_url) as session:
        add_person(session, email="ivanov@example.ru")
    assert extract_register_changes(sqlite_url, warehouse_path).versions_added == 1
    assert query("select email from raw.register_person_version order by change_seq") == [
        (None,),
        (None,),
        (None,),
        ("ivanov@example.ru",),
    ]
