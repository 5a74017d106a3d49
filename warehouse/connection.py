"""The one way code opens the warehouse DuckDB file for writing.

DuckDB allows one writing process per file, and a read-only open takes the same
file lock, so a second process cannot even look. Writers (Dagster assets, the
CLI) open the file through :func:`open_warehouse`, which waits a bounded time
for the lock and then gives up with a message an operator can act on. The web
app never opens this file: it reads published Parquet (``warehouse.marts``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

#: Shown to the operator (CLI) and in the Dagster run log when the file stays locked.
BUSY_MESSAGE = "Хранилище занято другим процессом, повторите позже"

_LOCK_ERROR_MARKER = "Could not set lock on file"


class WarehouseBusyError(RuntimeError):
    """The warehouse file stayed locked by another process for the whole wait."""

    def __init__(self, path: Path, waited_seconds: float, cause: str):
        self.path = path
        self.waited_seconds = waited_seconds
        self.cause = cause
        super().__init__(BUSY_MESSAGE)


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return isinstance(exc, duckdb.IOException) and _LOCK_ERROR_MARKER in str(exc)


@contextmanager
def open_warehouse(
    path: Path | str,
    *,
    wait_seconds: float = 60.0,
    retry_interval: float = 0.5,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file for writing; close it on exit.

    While another process holds the file, retry every ``retry_interval`` seconds
    for up to ``wait_seconds``, then raise :class:`WarehouseBusyError` (message in
    Russian). Transactions are the caller's: DuckDB autocommits each statement
    unless the caller runs ``begin``/``commit``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise WarehouseBusyError(path, waited, str(exc)) from exc
            time.sleep(min(retry_interval, max(wait_seconds - waited, 0.0)))
    try:
        yield con
    finally:
        con.close()
