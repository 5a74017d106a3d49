"""Fixtures of the warehouse tests: temporary warehouse and marts, the operational database."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import duckdb
import pytest
from sqlalchemy.orm import Session

from register.db import make_engine, make_session_factory, transaction
from warehouse.connection import open_warehouse


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def marts_dir(tmp_path: Path) -> Path:
    return tmp_path / "marts"


@pytest.fixture
def register_session() -> Iterator[Callable[[str], AbstractContextManager[Session]]]:
    """``register_session(url)``: one committed transaction on that operational database."""
    engines = []

    def open_transaction(url: str) -> AbstractContextManager[Session]:
        engine = make_engine(url)
        engines.append(engine)
        return transaction(make_session_factory(engine))

    yield open_transaction
    for engine in engines:
        engine.dispose()


@pytest.fixture
def query(warehouse_path: Path) -> Callable[..., list[tuple]]:
    """Runs a query on the warehouse file (read-only; only while no writer has it open)."""

    def run(sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    return run


MartRow = tuple[dt.date, int, str, str, str | None, dt.date, str]


@pytest.fixture
def fill_snapshot_mart(warehouse_path: Path) -> Callable[[Iterable[MartRow]], None]:
    """Adds rows (snapshot_date, person_id, surname, name, patronymic, birth_date, smo_code)
    to a minimal ``marts.snapshot_month`` — enough for publishing without running dbt."""

    def fill(rows: Iterable[MartRow]) -> None:
        with open_warehouse(warehouse_path) as con:
            con.execute("create schema if not exists marts")
            con.execute(
                "create table if not exists marts.snapshot_month (snapshot_date date, "
                "person_id bigint, surname varchar, name varchar, patronymic varchar, "
                "birth_date date, smo_code varchar)"
            )
            con.executemany("insert into marts.snapshot_month values (?, ?, ?, ?, ?, ?, ?)", rows)

    return fill


_HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # a writer, as a Dagster run or the CLI would be
con.execute("create table if not exists held (x integer)")
print("ready", flush=True)
sys.stdin.read()  # hold the file until the test closes our stdin
"""


@pytest.fixture
def warehouse_held_by_another_process(
    warehouse_path: Path,
) -> Callable[[], AbstractContextManager[subprocess.Popen[str]]]:
    """``with warehouse_held_by_another_process():`` — another process has the file open."""

    @contextmanager
    def hold() -> Iterator[subprocess.Popen[str]]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(warehouse_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            yield proc
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    return hold
