"""Flask extensions (created once, ``init_app``'d by the factory) and the request's DB session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.settings import Settings

login_manager = LoginManager()
# A session cookie replayed from another address or browser is dropped.
login_manager.session_protection = "strong"
csrf = CSRFProtect()
bootstrap = Bootstrap5()

DB_EXTENSION = "rserz_db"


@dataclass(frozen=True)
class Database:
    """The operational database as the app sees it: one engine, one session factory."""

    engine: Engine
    session_factory: sessionmaker[Session]


def database() -> Database:
    return current_app.extensions[DB_EXTENSION]


def settings() -> Settings:
    """The platform settings the app was created with."""
    return current_app.config["RSERZ_SETTINGS"]


def db_session() -> Session:
    """The request's session for reading; closed (rolled back) when the request ends.

    Writes go through :func:`db_transaction` instead, so that each is one short transaction.
    """
    if "db_session" not in g:
        g.db_session = database().session_factory()
    return g.db_session


@contextmanager
def db_transaction() -> Iterator[Session]:
    """One short transaction of its own (register.db.transaction): commit, or roll back on error."""
    with transaction(database().session_factory) as session:
        yield session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
