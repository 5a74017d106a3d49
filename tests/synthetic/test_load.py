"""Loading the synthetic region into SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from register.db import make_engine, make_session_factory
from register.models import ChangeCounter, Mo, Person, PersonVersion, Smo
from register.sequences import PERSON_VERSION
from synthetic import load
from synthetic.load import RegionNotEmptyError, change_seq, generate_region
from synthetic.persons import generate_persons, read_duplicates_truth
from synthetic.reference import mo_list, smo_list

AS_OF = date(2026, 11, 1)
PERSONS = 2000
CHUNK = 500  # four chunks: the pool really interleaves them


def _load(url: str, tmp_path: Path, workers: int = 2) -> load.RegionSummary:
    return generate_region(
        url,
        persons=PERSONS,
        seed=3,
        workers=workers,
        out_dir=tmp_path / "out",
        as_of=AS_OF,
        chunk_size=CHUNK,
    )


def test_load_counts_sequences_and_counter(db_url: str, tmp_path: Path) -> None:
    summary = _load(db_url, tmp_path)
    assert summary.persons == PERSONS + 4 * 8  # 8 duplicates per chunk of 500
    assert summary.duplicates == 32
    assert summary.versions > summary.persons
    truth = read_duplicates_truth(summary.truth_path or Path())
    assert len(truth) == 32
    assert str(summary).startswith("Загружено застрахованных лиц: 2 032 (из них дубликатов 32)")

    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Person)) == summary.persons
            assert session.scalar(select(func.count()).select_from(PersonVersion)) == (
                summary.versions
            )
            assert session.scalar(select(func.count()).select_from(Smo)) == len(smo_list("50"))
            assert session.scalar(select(func.count()).select_from(Mo)) == len(mo_list("50"))
            ids = list(session.scalars(select(Person.id).order_by(Person.id)))
            assert ids == list(range(1, summary.persons + 1))

            versions = session.execute(
                select(PersonVersion.person_id, PersonVersion.valid_from, PersonVersion.change_seq)
            ).all()
            seqs = [v.change_seq for v in versions]
            assert len(set(seqs)) == len(seqs)
            # Increasing in the order (valid_from, person).
            by_time = sorted(versions, key=lambda v: (v.valid_from, v.person_id))
            assert [v.change_seq for v in by_time] == sorted(seqs)
            assert all(v.change_seq == change_seq(v.valid_from, v.person_id) for v in versions)

            last = dict(
                session.execute(
                    select(PersonVersion.person_id, func.max(PersonVersion.change_seq)).group_by(
                        PersonVersion.person_id
                    )
                ).all()
            )
            people = session.execute(select(Person.id, Person.change_seq, Person.version)).all()
            assert all(p.change_seq == last[p.id] and p.version == 1 for p in people)
            counter = session.get(ChangeCounter, PERSON_VERSION)
            assert counter is not None and counter.value == max(seqs)

            # The ORM reads what the loader wrote (dates, booleans, timestamps).
            person = session.get(Person, 1)
            assert person is not None and isinstance(person.birth_date, date)
            assert person.versions[-1].valid_to is None
            assert person.versions[-1].source == "initial_load"
            assert isinstance(person.homeless, bool)
            assert person.created_at is not None

        # The secondary indexes are back, exactly as the models define them.
        inspector = inspect(engine)
        for table in (Person.__table__, PersonVersion.__table__):
            names = {ix["name"] for ix in inspector.get_indexes(table.name)}
            assert {ix.name for ix in table.indexes} <= names
        unique = [ix for ix in inspector.get_indexes("person") if ix["name"] == "uq_person_enp"]
        assert unique and unique[0]["unique"]
    finally:
        engine.dispose()


def test_database_matches_the_generator(sqlite_url: str, tmp_path: Path) -> None:
    _load(sqlite_url, tmp_path)
    generated = [
        p
        for c in generate_persons(PERSONS, seed=3, region_code="50", as_of=AS_OF, chunk_size=CHUNK)
        for p in c.persons
    ]
    engine = make_engine(sqlite_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.scalars(select(Person).order_by(Person.id)).all()
            assert [r.enp for r in rows] == [p["enp"] for p in generated]
            for row, p in zip(rows[::97], generated[::97], strict=True):
                assert {f: getattr(row, f) for f in p} == p
    finally:
        engine.dispose()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the persons and versions, load timestamps left out."""
    stamps = {"created_at", "updated_at", "recorded_at"}
    conn = sqlite3.connect(path)
    try:
        result = {}
        for table in ("person", "person_version", "smo", "mo", "change_counter"):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY 1")
            keep = [i for i, d in enumerate(cursor.description) if d[0] not in stamps]
            result[table] = [tuple(row[i] for i in keep) for row in cursor]
        return result
    finally:
        conn.close()


def test_number_of_workers_does_not_change_the_data(sqlite_template: Path, tmp_path: Path) -> None:
    dumps = []
    for workers in (0, 1, 3):
        path = tmp_path / f"w{workers}.sqlite"
        shutil.copy(sqlite_template, path)
        _load(f"sqlite:///{path}", tmp_path / str(workers), workers=workers)
        dumps.append(_dump(path))
    assert dumps[0] == dumps[1] == dumps[2]
    truths = [
        (tmp_path / str(w) / "out" / load.TRUTH_FILE).read_text(encoding="utf-8") for w in (0, 1, 3)
    ]
    assert truths[0] == truths[1] == truths[2]


def test_second_load_is_refused(db_url: str, tmp_path: Path) -> None:
    generate_region(db_url, persons=50, workers=0, as_of=AS_OF)
    with pytest.raises(RegionNotEmptyError, match="уже есть"):
        generate_region(db_url, persons=50, workers=0, as_of=AS_OF)


def test_failed_load_leaves_the_database_as_it_was(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = load._chunk_rows

    def failing(task: load._Task) -> load._ChunkRows:
        if task.index == 2:
            raise RuntimeError("сбой генерации")
        return real(task)

    monkeypatch.setattr(load, "_chunk_rows", failing)
    with pytest.raises(RuntimeError, match="сбой генерации"):
        generate_region(db_url, persons=PERSONS, workers=0, as_of=AS_OF, chunk_size=CHUNK)

    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Person)) == 0
            assert session.scalar(select(func.count()).select_from(PersonVersion)) == 0
        names = {ix["name"] for ix in inspect(engine).get_indexes("person")}
        assert {ix.name for ix in Person.__table__.indexes} <= names
    finally:
        engine.dispose()
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            conn.close()
    monkeypatch.undo()
    assert _load(db_url, tmp_path).persons == PERSONS + 32


def test_change_seq_rejects_out_of_range() -> None:
    assert change_seq(date(2000, 1, 2), 5) == 100_000_005
    with pytest.raises(ValueError):
        change_seq(date(1999, 12, 31), 1)
    with pytest.raises(ValueError):
        change_seq(date(2020, 1, 1), 100_000_000)
