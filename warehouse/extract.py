"""Incremental extract of register changes from the operational database into DuckDB.

``person_version`` is the register's history: every confirmed state of a person,
numbered by ``change_seq``, which is monotonic across the register and becomes
visible in commit order (see ``register.models.ChangeCounter``). The extract
copies the versions with ``change_seq`` above the highest one already in the
warehouse, so it is incremental and idempotent: a second run adds nothing.

One thing in ``person_version`` does change after the fact: the operational
service closes the previous version by updating its ``valid_to``, and that update
gets no new ``change_seq``. The copy in ``raw.register_person_version`` therefore
keeps the ``valid_to`` as of the extract, and the dbt models derive validity
themselves (``int_person_history``).

The reference books (СМО, МО) are small and copied whole on every run.
Everything a run writes is one DuckDB transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    select,
)

from register.db import make_engine
from register.models import Mo, PersonVersion, Smo
from warehouse.connection import open_warehouse

RAW_SCHEMA = "raw"
PERSON_VERSION_TABLE = f"{RAW_SCHEMA}.register_person_version"

#: Operational table -> raw table replaced whole on every extract.
REFERENCE_TABLES: dict[str, Table] = {
    f"{RAW_SCHEMA}.smo": Smo.__table__,  # type: ignore[dict-item]
    f"{RAW_SCHEMA}.mo": Mo.__table__,  # type: ignore[dict-item]
}


class ExtractError(RuntimeError):
    """The warehouse and the operational database disagree; nothing was written."""


@dataclass(frozen=True)
class ExtractResult:
    """What one extract run did."""

    versions_added: int
    high_water_mark_before: int
    high_water_mark_after: int
    reference_rows: dict[str, int]


def arrow_type(column_type: object) -> pa.DataType:
    """The Arrow type a column of the operational database is copied as.

    Explicit, so that an empty batch, a batch of nulls and SQLite's loose typing
    all give the same warehouse columns.
    """
    # Order matters: BigInteger and SmallInteger are subclasses of Integer.
    if isinstance(column_type, Boolean):
        return pa.bool_()
    if isinstance(column_type, BigInteger):
        return pa.int64()
    if isinstance(column_type, SmallInteger):
        return pa.int16()
    if isinstance(column_type, Integer):
        return pa.int32()
    if isinstance(column_type, DateTime):
        # Naive values (SQLite drops the offset) are UTC: the register writes UTC.
        return pa.timestamp("us", tz="UTC")
    if isinstance(column_type, Date):
        return pa.date32()
    if isinstance(column_type, String | Text):
        return pa.string()
    raise TypeError(f"no warehouse type for column type {column_type!r}")


def arrow_schema(table: Table) -> pa.Schema:
    """Arrow schema of an operational table, column by column."""
    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in table.c])


def _to_arrow(rows: Sequence[Sequence[object]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.Table.from_arrays(
        [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema) -> None:
    """Create the raw table from the Arrow schema; add columns the register gained since."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.register("_empty_batch", schema.empty_table())
    try:
        con.execute(
            f"create table if not exists {name} as "
            "select *, cast(null as timestamptz) as extracted_at from _empty_batch limit 0"
        )
        schema_name, table_name = name.split(".")
        existing = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema_name, table_name],
            ).fetchall()
        }
        wanted = con.execute("describe select * from _empty_batch").fetchall()
        for column_name, column_type, *_ in wanted:
            if column_name not in existing:
                con.execute(f'alter table {name} add column "{column_name}" {column_type}')
    finally:
        con.unregister("_empty_batch")


def _high_water_mark(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"select coalesce(max(change_seq), 0) from {PERSON_VERSION_TABLE}").fetchone()
    return int(row[0]) if row else 0


def _append_versions(
    con: duckdb.DuckDBPyConnection, batch: pa.Table, extracted_at: dt.datetime
) -> int:
    con.register("_batch", batch)
    try:
        con.execute(
            f"insert into {PERSON_VERSION_TABLE} by name select *, ? as extracted_at from _batch",
            [extracted_at],
        )
    finally:
        con.unregister("_batch")
    return batch.num_rows


def _replace_reference(
    con: duckdb.DuckDBPyConnection, name: str, source: Connection, table: Table
) -> int:
    rows = source.execute(select(*table.c)).all()
    con.register("_reference", _to_arrow(rows, arrow_schema(table)))
    try:
        con.execute(f"create or replace table {name} as select * from _reference")
    finally:
        con.unregister("_reference")
    return len(rows)


def _version_batches(
    source: Connection, after_change_seq: int, batch_size: int
) -> Iterator[Sequence[Sequence[object]]]:
    table = PersonVersion.__table__
    query = (
        select(*table.c).where(table.c.change_seq > after_change_seq).order_by(table.c.change_seq)
    )
    result = source.execution_options(stream_results=True, yield_per=batch_size).execute(query)
    yield from result.partitions()


def _check_source_not_behind(source: Connection, high_water_mark: int) -> None:
    source_max = source.execute(
        select(func.coalesce(func.max(PersonVersion.change_seq), 0))
    ).scalar_one()
    if source_max < high_water_mark:
        raise ExtractError(
            "В хранилище есть изменения регистра, которых нет в оперативной базе "
            f"(последний номер изменения в хранилище {high_water_mark}, в базе {source_max}). "
            "Оперативная база заменена? Пересоздайте хранилище."
        )


def extract_register_changes(
    database_url: str, warehouse_path: Path, batch_size: int = 100_000
) -> ExtractResult:
    """Copy new person versions (by ``change_seq``) and the reference books into DuckDB.

    Reads the operational database with SQLAlchemy Core in batches ordered by
    ``change_seq`` and appends them, as Arrow, to ``raw.register_person_version``;
    replaces ``raw.smo`` and ``raw.mo``. One DuckDB transaction per run.
    """
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    engine = make_engine(database_url)
    try:
        with open_warehouse(warehouse_path) as con, engine.connect() as source:
            if source.dialect.name == "postgresql":
                # One snapshot for all the reads of the run (SQLite's read transaction is one).
                source.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            return _extract(con, source, batch_size)
    finally:
        engine.dispose()


def _extract(con: duckdb.DuckDBPyConnection, source: Connection, batch_size: int) -> ExtractResult:
    version_schema = arrow_schema(PersonVersion.__table__)  # type: ignore[arg-type]
    extracted_at = dt.datetime.now(dt.UTC)
    _ensure_raw_table(con, PERSON_VERSION_TABLE, version_schema)
    hwm_before = _high_water_mark(con)
    with source.begin():
        _check_source_not_behind(source, hwm_before)
        con.begin()
        try:
            added = sum(
                _append_versions(con, _to_arrow(rows, version_schema), extracted_at)
                for rows in _version_batches(source, hwm_before, batch_size)
            )
            reference_rows = {
                name: _replace_reference(con, name, source, table)
                for name, table in REFERENCE_TABLES.items()
            }
            hwm_after = _high_water_mark(con)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return ExtractResult(
        versions_added=added,
        high_water_mark_before=hwm_before,
        high_water_mark_after=hwm_after,
        reference_rows=reference_rows,
    )
