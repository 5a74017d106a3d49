"""The single-writer rule: a bounded wait, then a clear message."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from warehouse.connection import BUSY_MESSAGE, WarehouseBusyError, open_warehouse


def test_open_warehouse_gives_up_with_a_russian_message(
    warehouse_path: Path, warehouse_held_by_another_process: Callable[[], AbstractContextManager]
) -> None:
    with warehouse_held_by_another_process():
        started = time.monotonic()
        with (
            pytest.raises(WarehouseBusyError) as caught,
            open_warehouse(warehouse_path, wait_seconds=1.0, retry_interval=0.2),
        ):
            pass
        waited = time.monotonic() - started
    assert str(caught.value) == BUSY_MESSAGE == "Хранилище занято другим процессом, повторите позже"
    assert 1.0 <= waited < 5
    assert "Could not set lock" in caught.value.cause


def test_open_warehouse_waits_for_the_other_writer(
    warehouse_path: Path, warehouse_held_by_another_process: Callable[[], AbstractContextManager]
) -> None:
    with warehouse_held_by_another_process() as holder:
        # The other process lets go after a moment; the wait must outlast it.
        threading.Timer(1.0, holder.stdin.close).start()
        with open_warehouse(warehouse_path, wait_seconds=30, retry_interval=0.2) as con:
            assert con.execute("select count(*) from held").fetchone() == (0,)


def test_open_warehouse_closes_the_file(warehouse_path: Path) -> None:
    with open_warehouse(warehouse_path) as con:
        con.execute("create table t as select 1 as x")
    with open_warehouse(warehouse_path, wait_seconds=0) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]
