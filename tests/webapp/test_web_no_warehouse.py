"""Invariant 1 of ARCHITECTURE.md: the web app never opens the warehouse DuckDB file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support import LOGIN_OF_ROLE


def test_no_page_opens_the_warehouse_file(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    published: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse = Path(app.config["RSERZ_SETTINGS"].warehouse_path).resolve()
    assert warehouse.exists()  # the publisher wrote it: there is something to stay away from
    opened: list[str] = []
    real_connect = duckdb.connect

    def recording_connect(database: Any = ":memory:", *args: Any, **kwargs: Any) -> Any:
        opened.append(str(database))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", recording_connect)

    day = published.isoformat()
    pages = [
        "/",
        "/rserz",
        "/persons/",
        "/persons/?surname=Ёлкин&count=1",
        f"/persons/{persons['yolkin']}",
        "/buffer/",
        "/buffer/?buffer_type=2&hide_finished=y",
        "/snapshots/",
        f"/snapshots/{day}",
        f"/snapshots/{day}?page=2",
        "/snapshots/2000-01-01",
        "/no-such-page",
    ]
    for login in LOGIN_OF_ROLE.values():
        client = login_as(login)
        for url in pages:
            assert client.get(url).status_code in (200, 403, 404), (login, url)

    # The snapshot pages did read through DuckDB — in memory, not the warehouse file.
    assert opened
    for database in opened:
        assert database == ":memory:" or Path(database).resolve() != warehouse, opened
