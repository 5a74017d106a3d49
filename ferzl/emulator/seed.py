"""First start of the emulator: copy the region's persons, add persons of other regions.

The region's operational database is only read. From SQLite the copy is one
``INSERT … SELECT`` over an attached read-only database (a million persons in
seconds); from PostgreSQL the rows are streamed in chunks. The store is built in
a temporary file and renamed into place, so a seeding cut short leaves no half
store behind and the next start simply seeds again.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ferzl.emulator import store
from ferzl.emulator.regions import KnownRegion, other_regions
from register.db import make_engine
from register.enp import make_enp
from register.snils import has_digit_triple, make_snils
from synthetic import names as data
from synthetic.reference import ogrn_with_check

DEFAULT_OTHER_REGIONS = 5_000
CHUNK = 20_000
SEEDED_KEY = "seeded_at"
#: The "today" of the generated persons of other regions (their ages, insurance dates).
REFERENCE_DATE = date(2026, 1, 1)


class SeedError(RuntimeError):
    """The region's database cannot be read (missing, not migrated); the text is Russian."""


@dataclass(frozen=True)
class SeedSummary:
    region_persons: int
    region_versions: int
    other_persons: int
    seconds: float
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "Хранилище ФЕРЗЛ уже заполнено — заполнение пропущено"
        return (
            f"Хранилище ФЕРЗЛ заполнено за {self.seconds:.1f} с: лиц региона "
            f"{self.region_persons} (версий {self.region_versions}), "
            f"других регионов {self.other_persons}"
        )


def is_seeded(path: Path) -> bool:
    if not path.exists():
        return False
    conn = store.connect(path)
    try:
        return store.get_meta(conn, SEEDED_KEY) is not None
    finally:
        conn.close()


def seed_store(
    settings: Any,
    *,
    other_regions_count: int = DEFAULT_OTHER_REGIONS,
    seed: int = 1,
    fast: bool = True,
    reference_date: date = REFERENCE_DATE,
) -> SeedSummary:
    """Seed ``<data>/ferzl/federal.sqlite`` unless it is seeded already (idempotent).

    ``fast=False`` streams the region's rows even from SQLite (the PostgreSQL path).
    The persons of other regions depend only on ``seed`` and ``reference_date`` (the
    "today" of their ages and insurance dates), never on the day the seeding runs.
    """
    path = store.store_path(settings.data_dir)
    if is_seeded(path):
        return SeedSummary(0, 0, 0, 0.0, skipped=True)
    started = time.monotonic()
    tmp = path.with_name(path.name + ".seeding")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None, uri=True)
    conn.row_factory = sqlite3.Row
    try:
        # A fresh file that is renamed into place only when complete needs no journal.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.executescript(store.SCHEMA)
        conn.execute("BEGIN")
        region_code = str(settings.region_code)
        url = settings.database_url
        try:
            if fast and url.startswith("sqlite") and _sqlite_file(url) is not None:
                persons, versions = _copy_region_sqlite(conn, _sqlite_file(url), region_code)
            else:
                persons, versions = _copy_region_streamed(conn, url, region_code)
        except (sqlite3.Error, SQLAlchemyError) as exc:
            raise SeedError(
                f"База данных региона не готова ({exc.__class__.__name__}: {exc}); "
                "выполните «rserz init» или «rserz generate-region»"
            ) from exc
        store.create_indexes(conn)
        others = _add_other_regions(conn, region_code, other_regions_count, seed, reference_date)
        store.set_meta(conn, SEEDED_KEY, time.strftime("%Y-%m-%dT%H:%M:%S"))
        store.set_meta(conn, "region_code", region_code)
        conn.execute("COMMIT")
        conn.execute("PRAGMA analysis_limit=1000")  # sampled statistics: enough for the planner
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    # An unseeded store left by an earlier start (answering only) is replaced whole.
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(tmp, path)
    return SeedSummary(persons, versions, others, time.monotonic() - started)


# --------------------------------------------------------------------------- the region

# Columns of the register's ``person`` / ``person_version`` copied as they are.
_SAME = (
    "enp",
    "surname",
    "name",
    "patronymic",
    "sex",
    "birth_date",
    "birth_place",
    "citizenship",
    "snils",
    "doc_type",
    "doc_series",
    "doc_number",
    "doc_issue_date",
    "doc_expiry",
    "reg_okato",
    "res_okato",
    "status",
    "death_date",
    "insurance_start",
    "policy_form",
    "policy_number",
    "working",
)
# The federal columns filled from a register row: the same ones, then the derived ones.
_VERSION_TARGET = (*_SAME, "smo_ogrn", "region_code", "insurance_end")
_TARGET = (*_SAME, "surname_norm", "name_norm", "patronymic_norm", *_VERSION_TARGET[-3:], "doc_key")


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def _copy_region_sqlite(
    conn: sqlite3.Connection, source: str | None, region: str
) -> tuple[int, int]:
    assert source is not None
    conn.execute("ATTACH DATABASE ? AS src", (f"file:{Path(source).resolve()}?mode=ro",))
    conn.create_function("doc_key", 3, store.doc_key, deterministic=True)
    same = ", ".join(f"p.{c}" for c in _SAME)
    # The register keeps the same normalised names (register.names.normalize_name); the
    # ДУЛ key is store.doc_key itself, called from SQL (about 1 µs a row).
    conn.execute(
        f"INSERT INTO federal_person (id, {', '.join(_TARGET)}) "
        f"SELECT p.id, {same}, p.surname_norm, p.name_norm, COALESCE(p.patronymic_norm, ''), "
        "s.ogrn, ?, COALESCE(p.insurance_end, p.closure_date), "
        "doc_key(p.doc_type, p.doc_series, p.doc_number) "
        "FROM src.person p LEFT JOIN src.smo s ON s.code = p.smo_code",
        (region,),
    )
    conn.execute(
        f"INSERT INTO federal_version (person_id, valid_from, valid_to, event_code, "
        f"{', '.join(_VERSION_TARGET)}) "
        f"SELECT p.person_id, p.valid_from, p.valid_to, p.event_code, {same}, "
        "s.ogrn, ?, COALESCE(p.insurance_end, p.closure_date) "
        "FROM src.person_version p LEFT JOIN src.smo s ON s.code = p.smo_code ORDER BY p.id",
        (region,),
    )
    conn.execute("COMMIT")  # DETACH is not allowed inside a transaction
    conn.execute("DETACH DATABASE src")
    conn.execute("BEGIN")
    persons = store.count_persons(conn)
    versions = int(conn.execute("SELECT count(*) FROM federal_version").fetchone()[0])
    return persons, versions


def _copy_region_streamed(conn: sqlite3.Connection, url: str, region: str) -> tuple[int, int]:
    engine = make_engine(url)
    persons = versions = 0
    same = ", ".join(f"p.{c}" for c in _SAME)
    try:
        with engine.connect() as src:
            ogrn = {str(k): str(v) for k, v in src.execute(text("SELECT code, ogrn FROM smo"))}
            person_sql = (
                f"SELECT p.id, {same}, p.smo_code, p.insurance_end, p.closure_date "
                "FROM person p ORDER BY p.id"
            )
            version_sql = (
                f"SELECT p.person_id, p.valid_from, p.valid_to, p.event_code, {same}, "
                "p.smo_code, p.insurance_end, p.closure_date "
                "FROM person_version p ORDER BY p.id"
            )
            insert_person = (
                f"INSERT INTO federal_person (id, {', '.join(_TARGET)}) "
                f"VALUES ({', '.join('?' * (len(_TARGET) + 1))})"
            )
            insert_version = (
                "INSERT INTO federal_version (person_id, valid_from, valid_to, event_code, "
                f"{', '.join(_VERSION_TARGET)}) "
                f"VALUES ({', '.join('?' * (len(_VERSION_TARGET) + 4))})"
            )
            for rows in _chunks(src, person_sql):
                conn.executemany(insert_person, [_row(r, 1, ogrn, region) for r in rows])
                persons += len(rows)
            for rows in _chunks(src, version_sql):
                conn.executemany(
                    insert_version, [_row(r, 4, ogrn, region, derived=False) for r in rows]
                )
                versions += len(rows)
    finally:
        engine.dispose()
    return persons, versions


def _chunks(src: Any, sql: str) -> Iterator[Sequence[Any]]:
    result = src.execution_options(stream_results=True, yield_per=CHUNK).execute(text(sql))
    yield from result.partitions(CHUNK)


def _row(
    r: Sequence[Any], lead: int, ogrn: dict[str, str], region: str, *, derived: bool = True
) -> tuple[Any, ...]:
    """A streamed register row → the federal columns (dates as ISO text, names normalised)."""
    values = [store.iso(v) if isinstance(v, date) else v for v in r]
    head, body = values[:lead], values[lead : lead + len(_SAME)]
    smo_code, insurance_end, closure_date = values[lead + len(_SAME) :]
    rec = dict(zip(_SAME, body, strict=True))
    if rec["working"] is not None:
        rec["working"] = int(bool(rec["working"]))
    insurance = (
        ogrn.get(str(smo_code)) if smo_code else None,
        region,
        insurance_end or closure_date,
    )
    if not derived:
        return (*head, *(rec[c] for c in _SAME), *insurance)
    keys = store.with_derived(rec)
    return (
        *head,
        *(rec[c] for c in _SAME),
        keys["surname_norm"],
        keys["name_norm"],
        keys["patronymic_norm"],
        *insurance,
        keys["doc_key"],
    )


# --------------------------------------------------------------------------- other regions


@dataclass(frozen=True)
class _Special:
    """A person seeded for tests and the demo (see docs/exchange.md)."""

    surname: str
    name: str
    patronymic: str
    birth: date
    sex: int
    region_index: int  # into other_regions(own)
    status: str
    passport: tuple[str, str]
    snils_body: str


SPECIALS: tuple[_Special, ...] = (
    # Two federal persons with the same ФИО + birth date: a registration → AR 69.
    _Special("ДВОЙНИКОВ", "ИВАН", "ПЕТРОВИЧ", date(1980, 5, 5), 1, 0, store.INSURED,
             ("01 01", "990001"), "001100101"),
    _Special("ДВОЙНИКОВ", "ИВАН", "ПЕТРОВИЧ", date(1980, 5, 5), 1, 1, store.INSURED,
             ("01 02", "990002"), "001100202"),
    # Insured in another region: a registration here → AE (insurance there ended).
    _Special("ПЕРЕЕЗЖИН", "СЕРГЕЙ", "АНДРЕЕВИЧ", date(1975, 3, 12), 1, 2, store.INSURED,
             ("01 03", "990003"), "001100303"),
    # Insurance closed in another region: a registration here → AA.
    _Special("ЗАКРЫТОВА", "АННА", "ПАВЛОВНА", date(1990, 8, 20), 2, 3, store.CLOSED,
             ("01 04", "990004"), "001100404"),
)  # fmt: skip
SPECIAL_SEQUENCE = 99_990  # ЕНП sequences of the specials (generated persons stay below)
SPECIAL_START = date(2015, 1, 1)
SPECIAL_END = date(2022, 6, 30)


def special_enp(index: int, own_region: str = "50") -> str:
    """The ЕНП of ``SPECIALS[index]`` for a store seeded for ``own_region``."""
    s = SPECIALS[index]
    region = other_regions(own_region)[s.region_index]
    return make_enp(region.code, s.birth, s.sex, SPECIAL_SEQUENCE + index)


def _smo_ogrn(region: KnownRegion, k: int) -> str:
    return ogrn_with_check(f"10{region.code}{k:08d}")


def _record(
    *,
    region: KnownRegion,
    enp: str,
    surname: str,
    name: str,
    patronymic: str | None,
    birth: date,
    sex: int,
    snils: str | None,
    passport: tuple[str, str] | None,
    status: str,
    start: date,
    end: date | None,
    death: date | None,
    working: bool | None,
    smo_k: int,
) -> dict[str, Any]:
    adult = passport is not None
    return {
        "enp": enp,
        "surname": surname,
        "name": name,
        "patronymic": patronymic,
        "sex": sex,
        "birth_date": birth.isoformat(),
        "birth_place": region.town,
        "citizenship": "RUS",
        "snils": snils,
        "doc_type": 14 if adult else None,
        "doc_series": passport[0] if passport else None,
        "doc_number": passport[1] if passport else None,
        "doc_issue_date": (birth + timedelta(days=365 * 20 + 30)).isoformat() if adult else None,
        "doc_expiry": None,
        "reg_okato": region.okato + "000000",
        "res_okato": None,
        "status": status,
        "death_date": death.isoformat() if death else None,
        "smo_ogrn": _smo_ogrn(region, smo_k),
        "region_code": region.code,
        "insurance_start": start.isoformat(),
        "insurance_end": end.isoformat() if end else None,
        "policy_form": "Э" if start.year >= 2023 else "П",
        "policy_number": enp,
        "working": None if working is None else int(working),
    }


def _add(conn: sqlite3.Connection, rec: dict[str, Any]) -> None:
    start = str(rec["insurance_start"])
    if rec["status"] == store.INSURED:
        store.insert_person(conn, rec, valid_from=start, event="П01")
        return
    # A closed person gets two versions: insured from the start, closed from the end.
    opened = {**rec, "status": store.INSURED, "insurance_end": None, "death_date": None}
    person_id = store.insert_person(conn, opened, valid_from=start, event="П01")
    store.update_person(conn, person_id, rec, valid_from=str(rec["insurance_end"]), event="П02")


def _taken(conn: sqlite3.Connection, rec: dict[str, Any]) -> bool:
    """Would the record share an identifier with a person already in the store?"""
    key = store.doc_key(rec["doc_type"], rec["doc_series"], rec["doc_number"])
    row = conn.execute(
        "SELECT 1 FROM federal_person WHERE enp = ? OR (? IS NOT NULL AND snils = ?) "
        "OR (? IS NOT NULL AND doc_key = ?) LIMIT 1",
        (rec["enp"], rec["snils"], rec["snils"], key, key),
    ).fetchone()
    return row is not None


def _add_other_regions(
    conn: sqlite3.Connection, own: str, count: int, seed: int, today: date
) -> int:
    regions = other_regions(own)
    added = 0
    for i, s in enumerate(SPECIALS):
        region = regions[s.region_index]
        closed = s.status != store.INSURED
        rec = _record(
            region=region,
            enp=special_enp(i, own),
            surname=s.surname,
            name=s.name,
            patronymic=s.patronymic,
            birth=s.birth,
            sex=s.sex,
            snils=make_snils(s.snils_body),
            passport=s.passport,
            status=s.status,
            start=SPECIAL_START,
            end=SPECIAL_END if closed else None,
            death=None,
            working=True,
            smo_k=1,
        )
        if not _taken(conn, rec):
            _add(conn, rec)
            added += 1

    rng = random.Random(f"ferzl-other-regions:{seed}")
    sequences: dict[tuple[str, date, int], int] = {}
    snils_k = 0
    for _ in range(count):
        for _attempt in range(20):
            region = regions[rng.randrange(len(regions))]
            sex = 1 if rng.random() < 0.47 else 2
            birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 83))
            era = data.era_of(birth.year)
            names = data.MALE_NAMES if sex == 1 else data.FEMALE_NAMES
            first = rng.choices(names, weights=[n.weights[era] for n in names])[0].name
            father = rng.choices(data.MALE_NAMES, weights=[n.weights[era] for n in data.MALE_NAMES])
            patronymic = father[0].son if sex == 1 else father[0].daughter
            surname = data.SURNAMES[rng.randrange(len(data.SURNAMES))]
            key = (region.code, birth, sex)
            sequences[key] = sequences.get(key, 0) + 1
            enp = make_enp(region.code, birth, sex, sequences[key])
            snils = None
            if birth.year < 2015:
                # Bodies 001-002-000…001-999-999: below every body the synthetic region uses.
                while True:
                    body = f"{1_002_000 + (snils_k * 7_919 + seed * 104_729) % 997_999:09d}"
                    snils_k += 1
                    if not has_digit_triple(body):
                        break
                snils = make_snils(body)
            age = (today - birth).days // 365
            passport = None
            if age >= 14:
                issued = birth.year + 20 if age >= 20 else birth.year + 14
                passport = (f"{region.okato[:2]} {issued % 100:02d}", f"{rng.randrange(10**6):06d}")
            start = max(date(2011, 5, 1), birth) + timedelta(days=rng.randrange(3000))
            start = min(start, today)
            draw = rng.random()
            status = (
                store.INSURED if draw < 0.85 else store.CLOSED if draw < 0.95 else store.DECEASED
            )
            end = death = None
            if status != store.INSURED:
                end = min(start + timedelta(days=30 + rng.randrange(2500)), today)
                death = end if status == store.DECEASED else None
            rec = _record(
                region=region,
                enp=enp,
                surname=surname.male if sex == 1 else surname.female,
                name=first,
                patronymic=patronymic,
                birth=birth,
                sex=sex,
                snils=snils,
                passport=passport,
                status=status,
                start=start,
                end=end,
                death=death,
                working=(rng.random() < 0.65) if 18 <= age <= 65 else False,
                smo_k=1 + rng.randrange(3),
            )
            if not _taken(conn, rec):
                _add(conn, rec)
                added += 1
                break
    return added
