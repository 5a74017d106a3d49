"""Seeding the emulator's store from the region's operational database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from ferzl.emulator import seed as seed_module
from ferzl.emulator import store
from ferzl.emulator.regions import okato_of, other_regions, region_of_okato
from ferzl.emulator.seed import SPECIALS, SeedError, seed_store, special_enp
from register.db import make_engine, make_session_factory, transaction
from register.settings import REGION_OKATO, load_settings
from tests.factories import add_person, seed_region


def _region(tmp_path: Path, url: str, persons: int) -> list[str]:
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        seed_region(session)
        enps = [add_person(session, smo_code="50002").enp for _ in range(persons)]
        # ДУЛ keys built in SQL and in Python must agree: a Cyrillic series, no series.
        child = add_person(
            session, birth_date=dt.date(2015, 3, 3), doc_type=3, doc_series="IV-мю",
            doc_number="123456", snils=None,
        )  # fmt: skip
        foreigner = add_person(session, doc_type=9, doc_series=None, doc_number="AB 1234567")
        enps += [child.enp, foreigner.enp]
        closed = add_person(session, status="closed", closure_date=dt.date(2020, 1, 31))
        enps.append(closed.enp)
    engine.dispose()
    return enps


def _rows(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        conn.close()


def _dicts(path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM federal_person WHERE region_code != '50'").fetchall()
    finally:
        conn.close()


def test_seeding_copies_the_region_adds_other_regions_and_is_idempotent(
    tmp_path: Path, sqlite_url: str
) -> None:
    enps = _region(tmp_path, sqlite_url, persons=6)
    settings = load_settings(
        {"RSERZ_DATA_DIR": str(tmp_path / "data"), "RSERZ_DATABASE_URL": sqlite_url}
    )
    summary = seed_store(settings, other_regions_count=100)
    assert (summary.region_persons, summary.region_versions) == (9, 9)
    assert summary.other_persons == 100 + len(SPECIALS)
    assert "заполнено" in str(summary)
    path = store.store_path(settings.data_dir)
    conn = store.connect(path)
    try:
        region = store.persons_where(conn, "region_code = '50'", ())
        assert sorted(r["enp"] for r in region) == sorted(enps)
        first = store.person_by_enp(conn, enps[0])
        assert first is not None
        assert (first["smo_ogrn"], first["surname_norm"], first["doc_key"]) == (
            "1027700005678", "ИВАНОВ", f"14|4512|{first['doc_number']}",
        )  # fmt: skip
        keys = {r["doc_key"] for r in region}
        assert {"3|IVМЮ|123456", "9||AB 1234567"} <= keys
        closed = store.person_by_enp(conn, enps[-1])
        assert closed is not None
        assert (closed["status"], closed["insurance_end"]) == ("closed", "2020-01-31")
        others = store.count_persons(conn, "region_code != '50'")
        assert others == 100 + len(SPECIALS)
        statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM federal_person")}
        assert statuses == {"insured", "closed", "deceased"}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Every identifier unique across the store: no accidental 43/67/68.
        for column in ("enp", "snils", "doc_key"):
            dup = conn.execute(
                f"SELECT {column}, count(*) FROM federal_person WHERE {column} IS NOT NULL "
                f"GROUP BY 1 HAVING count(*) > 1"
            ).fetchall()
            assert not dup, column
    finally:
        conn.close()
    before = (_rows(path, "federal_person"), _rows(path, "federal_version"))

    again = seed_store(settings, other_regions_count=100)
    assert again.skipped and "пропущено" in str(again)
    assert (_rows(path, "federal_person"), _rows(path, "federal_version")) == before


def test_the_streamed_copy_equals_the_attached_one(tmp_path: Path, sqlite_url: str) -> None:
    _region(tmp_path, sqlite_url, persons=4)
    fast = load_settings({"RSERZ_DATA_DIR": str(tmp_path / "a"), "RSERZ_DATABASE_URL": sqlite_url})
    slow = load_settings({"RSERZ_DATA_DIR": str(tmp_path / "b"), "RSERZ_DATABASE_URL": sqlite_url})
    seed_store(fast, other_regions_count=20)
    seed_store(slow, other_regions_count=20, fast=False)
    for table in ("federal_person", "federal_version"):
        assert _rows(store.store_path(fast.data_dir), table) == _rows(
            store.store_path(slow.data_dir), table
        )


class _Later(dt.date):
    """``date`` whose today() is years away: the seeding must not look at the calendar."""

    @classmethod
    def today(cls) -> _Later:
        return cls(2031, 6, 1)


def test_other_regions_are_deterministic_by_seed(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _region(tmp_path, sqlite_url, persons=1)
    paths = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        settings = load_settings(
            {"RSERZ_DATA_DIR": str(tmp_path / name), "RSERZ_DATABASE_URL": sqlite_url}
        )
        if name == "b":  # the same seed on another day
            monkeypatch.setattr(seed_module, "date", _Later)
        seed_store(settings, other_regions_count=300, seed=seed)
        paths.append(store.store_path(settings.data_dir))
    a, b, c = (_rows(p, "federal_person") for p in paths)
    assert a == b and a != c
    assert special_enp(0) in {row[1] for row in c}  # the specials do not depend on the seed
    # Ages and dates count from the reference date, which a caller may choose.
    settings = load_settings(
        {"RSERZ_DATA_DIR": str(tmp_path / "d"), "RSERZ_DATABASE_URL": sqlite_url}
    )
    seed_store(settings, other_regions_count=300, reference_date=dt.date(2018, 1, 1))
    latest = _rows(store.store_path(settings.data_dir), "federal_person")
    assert latest != a
    assert max(r["insurance_start"] for r in _dicts(store.store_path(settings.data_dir))) <= (
        "2018-01-01"
    )


def test_a_missing_region_database_is_explained(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "RSERZ_DATA_DIR": str(tmp_path / "data"),
            "RSERZ_DATABASE_URL": f"sqlite:///{tmp_path / 'absent.sqlite'}",
        }
    )
    with pytest.raises(SeedError, match="rserz init"):
        seed_store(settings, other_regions_count=10)
    assert not store.store_path(settings.data_dir).exists()


def test_seeding_reads_either_backend(tmp_path: Path, db_url: str) -> None:
    enps = _region(tmp_path, db_url, persons=3)
    settings = load_settings(
        {"RSERZ_DATA_DIR": str(tmp_path / "data"), "RSERZ_DATABASE_URL": db_url}
    )
    summary = seed_store(settings, other_regions_count=10)
    assert (summary.region_persons, summary.region_versions) == (6, 6)
    conn = store.connect(store.store_path(settings.data_dir))
    try:
        row = store.person_by_enp(conn, enps[0])
        assert row is not None
        person = store.person_dict(row)
        assert (person["birth_date"], person["insurance_start"], person["smo_ogrn"]) == (
            "1985-07-15", "2011-05-01", "1027700005678",
        )  # fmt: skip
        assert (person["doc_type"], person["region_code"], person["status"]) == (
            14,
            "50",
            "insured",
        )
        version = conn.execute(
            "SELECT valid_from, event_code, doc_number FROM federal_version WHERE person_id = ?",
            (row["id"],),
        ).fetchone()
        assert tuple(version) == ("2011-05-01", "П01", row["doc_number"])
    finally:
        conn.close()


@pytest.mark.parametrize("fast", [True, False])
def test_document_keys_are_the_registers_written_form(
    tmp_path: Path, sqlite_url: str, fast: bool
) -> None:
    engine = make_engine(sqlite_url)
    with transaction(make_session_factory(engine)) as session:
        seed_region(session)
        spaced = add_person(session, doc_series="4512", doc_number="100 001").enp
        yo = add_person(session, doc_type=18, doc_series="Ёж", doc_number="7 7").enp
    engine.dispose()
    settings = load_settings(
        {"RSERZ_DATA_DIR": str(tmp_path / "data"), "RSERZ_DATABASE_URL": sqlite_url}
    )
    seed_store(settings, other_regions_count=0, fast=fast)
    conn = store.connect(store.store_path(settings.data_dir))
    try:
        keys = {
            enp: store.person_by_enp(conn, enp)["doc_key"]  # type: ignore[index]
            for enp in (spaced, yo)
        }
    finally:
        conn.close()
    assert keys == {spaced: "14|4512|100001", yo: "18|ЁЖ|7 7"}
    assert store.doc_key("14", "45 12", "100001") == keys[spaced]
    assert store.doc_key(14, "4512", "100 001") == keys[spaced]


def test_regions_extend_the_registers_table() -> None:
    for code, okato in REGION_OKATO.items():
        assert (okato_of(code), region_of_okato(okato + "000000")) == (okato, code)
    assert okato_of("47") == "41000"  # Ленинградская область, missing before
    assert [r.code for r in other_regions("50")][:4] == ["02", "16", "23", "24"]  # specials
