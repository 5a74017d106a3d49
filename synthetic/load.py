"""Load a synthetic region into an empty operational database, fast.

Chunks of persons are generated in a pool of worker processes (each chunk already
turned into database rows there) and written by this process in chunk order, so the
database content does not depend on the number of workers and memory stays flat.
SQLite is written through the stdlib ``sqlite3`` module (``executemany``), PostgreSQL
through ``COPY``; the secondary indexes of ``person`` and ``person_version`` are dropped
for the load and recreated from the SQLAlchemy metadata afterwards, all in one
transaction — a failed load leaves the database as it was.

``change_seq`` of a version is ``days since 2000-01-01 of valid_from × 10⁸ + person id``:
unique, and increasing in the order (valid_from, person), computed without a global sort.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import multiprocessing
import sqlite3
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Date, Index, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex

from register.models import RECORD_FIELDS, ChangeCounter, Mo, Person, PersonVersion, Smo
from register.sequences import PERSON_VERSION
from synthetic.persons import (
    CHUNK_SIZE,
    DuplicateTruth,
    duplicates_for,
    generate_chunk,
    plan_chunks,
    write_duplicates_truth,
)
from synthetic.reference import mo_list, smo_list

TRUTH_FILE = "duplicates_truth.csv"
CHANGE_SEQ_EPOCH = dt.date(2000, 1, 1).toordinal()
CHANGE_SEQ_PERSONS = 100_000_000  # person ids stay below this

PERSON_COLUMNS: tuple[str, ...] = (
    "id",
    *RECORD_FIELDS,
    "surname_norm",
    "name_norm",
    "patronymic_norm",
    "version",
    "change_seq",
    "created_at",
    "updated_at",
)
VERSION_COLUMNS: tuple[str, ...] = (
    "person_id",
    *RECORD_FIELDS,
    "valid_from",
    "valid_to",
    "event_code",
    "source",
    "change_seq",
    "recorded_at",
)


class RegionNotEmptyError(RuntimeError):
    """The database already holds persons; a synthetic region goes only into an empty one."""


@dataclass(frozen=True)
class RegionSummary:
    """What ``generate_region`` wrote."""

    persons: int  # rows of ``person``, duplicates included
    versions: int
    duplicates: int
    seconds: float
    truth_path: Path | None = None

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        def n(value: int) -> str:
            return f"{value:,}".replace(",", " ")

        text = (
            f"Загружено застрахованных лиц: {n(self.persons)} (из них дубликатов "
            f"{n(self.duplicates)}), версий: {n(self.versions)}, за {self.seconds:.1f} с"
        )
        if self.truth_path is not None:
            text += f"; перечень дубликатов: {self.truth_path}"
        return text


@dataclass(frozen=True)
class _Task:
    index: int
    persons: int
    seed: int
    region_code: str
    as_of: dt.date
    chunk_size: int
    first_id: int
    timestamp: str


@dataclass
class _ChunkRows:
    index: int
    persons: list[tuple[Any, ...]]
    versions: list[tuple[Any, ...]]
    duplicates: list[DuplicateTruth]
    max_change_seq: int


def change_seq(valid_from: dt.date, person_id: int) -> int:
    """The change sequence number of a loaded version (see the module docstring)."""
    days = valid_from.toordinal() - CHANGE_SEQ_EPOCH
    if days < 0 or not 0 < person_id < CHANGE_SEQ_PERSONS:
        raise ValueError(f"valid_from {valid_from} or person id {person_id} out of range")
    return days * CHANGE_SEQ_PERSONS + person_id


def _date_positions(table: Table, columns: Sequence[str]) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date))


_PERSON_TABLE: Table = Person.__table__  # type: ignore[assignment]
_VERSION_TABLE: Table = PersonVersion.__table__  # type: ignore[assignment]
_PERSON_DATES = _date_positions(_PERSON_TABLE, PERSON_COLUMNS)
_VERSION_DATES = _date_positions(_VERSION_TABLE, VERSION_COLUMNS)


class _IsoDates(dict[dt.date | None, str | None]):
    """``iso[d]``: the ISO text of a date, computed once per date; None stays None."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, key: dt.date | None) -> str | None:
        value = self[key] = key.isoformat() if key is not None else None
        return value


def _chunk_rows(task: _Task) -> _ChunkRows:
    """Generate one chunk and turn it into rows (runs in a worker process)."""
    chunk = generate_chunk(
        task.index,
        persons=task.persons,
        seed=task.seed,
        region_code=task.region_code,
        as_of=task.as_of,
        chunk_size=task.chunk_size,
    )
    iso = _IsoDates()
    record = itemgetter(*RECORD_FIELDS)
    stamp = task.timestamp
    person_dates = _PERSON_DATES
    version_dates = _VERSION_DATES
    persons: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    max_seq = 0
    for offset, (person, history) in enumerate(zip(chunk.persons, chunk.versions, strict=True)):
        person_id = task.first_id + offset
        seq = 0
        for v in history:
            valid_from = v["valid_from"]
            seq = change_seq(valid_from, person_id)
            row = [person_id, *record(v), valid_from, v["valid_to"], v["event_code"], v["source"]]
            row += (seq, stamp)
            for i in version_dates:
                row[i] = iso[row[i]]
            versions.append(tuple(row))
        max_seq = max(max_seq, seq)
        row = [person_id, *record(person), person["surname_norm"], person["name_norm"]]
        row += (person["patronymic_norm"], 1, seq, stamp, stamp)
        for i in person_dates:
            row[i] = iso[row[i]]
        persons.append(tuple(row))
    return _ChunkRows(task.index, persons, versions, chunk.duplicates, max_seq)


def _tasks(
    persons: int, seed: int, region_code: str, as_of: dt.date, chunk_size: int, timestamp: str
) -> list[_Task]:
    tasks = []
    first_id = 1
    for index, base in enumerate(plan_chunks(persons, chunk_size)):
        tasks.append(
            _Task(index, persons, seed, region_code, as_of, chunk_size, first_id, timestamp)
        )
        first_id += base + duplicates_for(base)
    if first_id >= CHANGE_SEQ_PERSONS:
        raise ValueError(f"не более {CHANGE_SEQ_PERSONS - 1} записей в синтетическом регионе")
    return tasks


def _chunks(tasks: list[_Task], workers: int) -> Iterator[_ChunkRows]:
    """The chunks in order; at most ``workers + 1`` of them in flight (flat memory)."""
    if workers <= 0:
        for task in tasks:
            yield _chunk_rows(task)
        return
    # spawn, not fork: the caller (CLI, Dagster, a web worker) may have threads of its own.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        pending: deque[Any] = deque()
        queue = iter(tasks)
        for task in queue:
            pending.append(pool.apply_async(_chunk_rows, (task,)))
            if len(pending) > workers:
                break
        while pending:
            result = pending.popleft().get()
            following = next(queue, None)
            if following is not None:
                pending.append(pool.apply_async(_chunk_rows, (following,)))
            yield result


# --- the backends ---------------------------------------------------------------


def _indexes(table: Table) -> list[Index]:
    return sorted(table.indexes, key=lambda i: i.name or "")


_LOAD_INDEXES = (*_indexes(_PERSON_TABLE), *_indexes(_VERSION_TABLE))


class _Writer(ABC):
    """One backend: a connection in one transaction for the whole load."""

    timestamp: str  # created_at / recorded_at of the loaded rows, in the backend's text form

    @abstractmethod
    def persons_count(self) -> int: ...

    @abstractmethod
    def begin(self) -> None:
        """Start the transaction and drop the secondary indexes."""

    @abstractmethod
    def write_reference(self, region_code: str) -> None: ...

    @abstractmethod
    def write_chunk(self, rows: _ChunkRows) -> None: ...

    @abstractmethod
    def finish(self, max_change_seq: int) -> None:
        """Recreate the indexes, set the change counter, commit, analyse."""

    @abstractmethod
    def rollback(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


def _smo_rows(region_code: str) -> list[tuple[Any, ...]]:
    return [
        (s.code, s.ogrn, s.name, s.short_name, s.date_begin.isoformat(), _iso(s.date_end))
        for s in smo_list(region_code)
    ]


def _mo_rows(region_code: str) -> list[tuple[Any, ...]]:
    return [(m.code, m.name, m.short_name, m.okato) for m in mo_list(region_code)]


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


_SMO_UPSERT = (
    f"INSERT INTO {Smo.__tablename__} (code, ogrn, name, short_name, date_begin, date_end) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (code) DO UPDATE SET "
    "ogrn = excluded.ogrn, name = excluded.name, short_name = excluded.short_name, "
    "date_begin = excluded.date_begin, date_end = excluded.date_end"
)
_MO_UPSERT = (
    f"INSERT INTO {Mo.__tablename__} (code, name, short_name, okato) "
    "VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (code) DO UPDATE SET "
    "name = excluded.name, short_name = excluded.short_name, okato = excluded.okato"
)
_COUNTER_UPSERT = (
    f"INSERT INTO {ChangeCounter.__tablename__} (name, value) VALUES ({{p}}, {{p}}) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
)


class _SqliteWriter(_Writer):
    """SQLite through the stdlib module: one ``BEGIN IMMEDIATE`` … ``COMMIT`` for the load.

    The load runs in rollback-journal mode, then the database goes back to WAL. In WAL
    mode one transaction of gigabytes would be written twice (WAL, then checkpoint), and
    every page read while the indexes are built would be looked up in an ever larger
    WAL index (the commit alone took 10 s for a million persons). With a rollback journal
    only the few pages the empty database already had are journalled, the rest is
    written once, and a failed load still rolls back. When another connection keeps the
    database in WAL mode the switch is impossible and the load simply runs in WAL.
    """

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.journal_mode = str(self.conn.execute("PRAGMA journal_mode").fetchone()[0])
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.conn.execute("PRAGMA threads=2")  # sorter threads for the index builds
        self.timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        marks = ", ".join("?" * len(PERSON_COLUMNS))
        self.insert_person = f"INSERT INTO person ({', '.join(PERSON_COLUMNS)}) VALUES ({marks})"
        marks = ", ".join("?" * len(VERSION_COLUMNS))
        self.insert_version = (
            f"INSERT INTO person_version ({', '.join(VERSION_COLUMNS)}) VALUES ({marks})"
        )

    def persons_count(self) -> int:
        try:
            return int(self.conn.execute("SELECT count(*) FROM person").fetchone()[0])
        except sqlite3.OperationalError as exc:
            raise RuntimeError(f"База данных не подготовлена (нет таблицы person): {exc}") from exc

    def begin(self) -> None:
        with contextlib.suppress(sqlite3.OperationalError):  # another connection: stay in WAL
            self.conn.execute("PRAGMA journal_mode=TRUNCATE")
        self.conn.execute("BEGIN IMMEDIATE")
        for index in _LOAD_INDEXES:
            self.conn.execute(f'DROP INDEX IF EXISTS "{index.name}"')

    def write_reference(self, region_code: str) -> None:
        self.conn.executemany(_SMO_UPSERT.format(p="?"), _smo_rows(region_code))
        self.conn.executemany(_MO_UPSERT.format(p="?"), _mo_rows(region_code))

    def write_chunk(self, rows: _ChunkRows) -> None:
        self.conn.executemany(self.insert_person, rows.persons)
        self.conn.executemany(self.insert_version, rows.versions)

    def finish(self, max_change_seq: int) -> None:
        dialect = sqlite.dialect()
        for index in _LOAD_INDEXES:
            self.conn.execute(str(CreateIndex(index).compile(dialect=dialect)))
        self.conn.execute(_COUNTER_UPSERT.format(p="?"), (PERSON_VERSION, max_change_seq))
        self.conn.execute("COMMIT")
        self.conn.execute("ANALYZE")
        self._restore_journal_mode()

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._restore_journal_mode()

    def _restore_journal_mode(self) -> None:
        self.conn.execute(f"PRAGMA journal_mode={self.journal_mode}")
        if self.journal_mode.lower() == "wal":
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()


class _PostgresWriter(_Writer):
    def __init__(self, conninfo: str):
        self.conn = psycopg.connect(conninfo)
        self.timestamp = dt.datetime.now(dt.UTC).isoformat(sep=" ")

    def persons_count(self) -> int:
        try:
            row = self.conn.execute("SELECT count(*) FROM person").fetchone()
        except psycopg.errors.UndefinedTable as exc:
            raise RuntimeError(f"База данных не подготовлена (нет таблицы person): {exc}") from exc
        finally:
            self.conn.rollback()
        return int(row[0]) if row else 0

    def begin(self) -> None:
        self.conn.execute("SET LOCAL maintenance_work_mem = '256MB'")  # for the index builds
        for index in _LOAD_INDEXES:
            self.conn.execute(f'DROP INDEX IF EXISTS "{index.name}"')

    def write_reference(self, region_code: str) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_SMO_UPSERT.format(p="%s"), _smo_rows(region_code))
            cur.executemany(_MO_UPSERT.format(p="%s"), _mo_rows(region_code))

    def write_chunk(self, rows: _ChunkRows) -> None:
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY person ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
                for row in rows.persons:
                    copy.write_row(row)
            statement = f"COPY person_version ({', '.join(VERSION_COLUMNS)}) FROM STDIN"
            with cur.copy(statement) as copy:
                for row in rows.versions:
                    copy.write_row(row)

    def finish(self, max_change_seq: int) -> None:
        dialect = postgresql.dialect()
        for index in _LOAD_INDEXES:
            self.conn.execute(str(CreateIndex(index).compile(dialect=dialect)))
        self.conn.execute(_COUNTER_UPSERT.format(p="%s"), (PERSON_VERSION, max_change_seq))
        # Ids were given explicitly: move the sequence past them.
        self.conn.execute(
            "SELECT setval(pg_get_serial_sequence('person', 'id'), "
            "coalesce((SELECT max(id) FROM person), 0) + 1, false)"
        )
        self.conn.commit()
        # VACUUM (outside a transaction) sets the visibility map, so that counts are
        # index-only scans from the start instead of after autovacuum gets round to it.
        self.conn.autocommit = True
        self.conn.execute("VACUUM (ANALYZE) person")
        self.conn.execute("VACUUM (ANALYZE) person_version")
        self.conn.autocommit = False

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


def _writer(database_url: str) -> _Writer:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("Синтетический регион загружается в файл SQLite, не в память")
        return _SqliteWriter(url.database)
    if url.get_backend_name() == "postgresql":
        plain = url.set(drivername="postgresql")
        return _PostgresWriter(plain.render_as_string(hide_password=False))
    raise ValueError(f"Неподдерживаемая СУБД: {url.get_backend_name()}")


# --- the entry point --------------------------------------------------------------


def generate_region(
    database_url: str,
    *,
    persons: int,
    seed: int = 1,
    region_code: str = "50",
    workers: int = 2,
    out_dir: Path | None = None,
    as_of: dt.date | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> RegionSummary:
    """Generate a synthetic region of ``persons`` persons (plus ~1.5 % duplicates) and load it.

    The database must be migrated and hold no persons (``RegionNotEmptyError`` otherwise).
    ``workers`` processes generate the chunks (0: generate in this process). The same
    seed, size, ``as_of`` (default today) and ``chunk_size`` give the same data. With
    ``out_dir`` the ground truth of the duplicates is written to ``duplicates_truth.csv``.
    """
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    writer = _writer(database_url)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the rows of a chunk make no cycles; rescanning them would cost seconds
    try:
        existing = writer.persons_count()
        if existing:
            raise RegionNotEmptyError(
                f"В базе уже есть застрахованные лица ({existing}): синтетический регион "
                "загружается только в пустую базу"
            )
        tasks = _tasks(persons, seed, region_code, as_of, chunk_size, writer.timestamp)
        truths: list[DuplicateTruth] = []
        person_rows = version_rows = max_seq = 0
        try:
            writer.begin()
            writer.write_reference(region_code)
            for rows in _chunks(tasks, workers):
                writer.write_chunk(rows)
                person_rows += len(rows.persons)
                version_rows += len(rows.versions)
                max_seq = max(max_seq, rows.max_change_seq)
                truths.extend(rows.duplicates)
                del rows
            writer.finish(max_seq)
        except BaseException:
            writer.rollback()
            raise
    finally:
        writer.close()
        if gc_was_enabled:
            gc.enable()
    truth_path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        truth_path = out_dir / TRUTH_FILE
        write_duplicates_truth(truth_path, truths)
    return RegionSummary(
        persons=person_rows,
        versions=version_rows,
        duplicates=len(truths),
        seconds=time.perf_counter() - started,
        truth_path=truth_path,
    )
