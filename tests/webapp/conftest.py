"""Fixtures of the web app tests: an app on a seeded SQLite database, clients, logging in.

The app under test keeps CSRF protection ON: every POST takes the token from the
form it was served with, as a browser would. Test data and helpers: support.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from tests.webapp.support import build_and_publish_snapshot, login, seed_region
from webapp import create_app


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "RSERZ_DATA_DIR": str(tmp_path / "data"),
            "RSERZ_DATABASE_URL": sqlite_url,
        }
    )
    with transaction(app.extensions["rserz_db"].session_factory) as s:
        app.config["TEST_PERSONS"] = seed_region(s)
    yield app
    app.extensions["rserz_db"].engine.dispose()


@pytest.fixture
def session_factory(app: Flask) -> sessionmaker[Session]:
    """The app's own session factory, for seeding and checking what a request wrote."""
    return app.extensions["rserz_db"].session_factory


@pytest.fixture
def persons(app: Flask) -> dict[str, int]:
    """Ids of the seeded persons: ``yolkin`` (insured), ``closed``, ``deceased``."""
    return app.config["TEST_PERSONS"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(app: Flask) -> Callable[[str], FlaskClient]:
    """A new client logged in as the user with this login."""

    def make(user_login: str) -> FlaskClient:
        c = app.test_client()
        response = login(c, user_login)
        assert response.status_code == 302, response.text
        return c

    return make


@pytest.fixture
def published(app: Flask) -> dt.date:
    """A snapshot of 60 persons on 01.05.2024, published by the warehouse's own publisher."""
    pytest.importorskip("warehouse.publish", reason="warehouse.publish is not written yet")
    settings = app.config["RSERZ_SETTINGS"]
    day = dt.date(2024, 5, 1)
    build_and_publish_snapshot(settings.warehouse_path, settings.marts_dir, day, rows=60)
    return day
