"""The web app of РС ЕРЗ: operators' screens over the operational database and published marts.

``create_app`` is the factory (``flask --app webapp:create_app run``; gunicorn uses
``webapp.wsgi:app``). One blueprint package per screen: ``auth``, ``main``,
``persons``, ``ferzl_state``, ``buffer``, ``snapshots``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from register.db import make_engine, make_session_factory
from webapp.config import Config, secret_key_from_file
from webapp.extensions import (
    DB_EXTENSION,
    Database,
    bootstrap,
    close_db_session,
    csrf,
    db_session,
    db_transaction,
    login_manager,
)

__all__ = [
    "bootstrap",
    "create_app",
    "csrf",
    "db_session",
    "db_transaction",
    "login_manager",
]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    ``config`` overrides Flask settings; its ``RSERZ_*`` string values act as the
    environment variables of register.settings (``RSERZ_DATA_DIR``,
    ``RSERZ_DATABASE_URL``, …), so a test or the CLI can point the app elsewhere.
    """
    config = dict(config or {})
    env_overrides = {
        k: str(v) for k, v in config.items() if k.startswith("RSERZ_") and isinstance(v, str | Path)
    }
    app = Flask(__name__)
    app.config.from_object(Config({**os.environ, **env_overrides}))
    app.config.update(config)
    settings = app.config["RSERZ_SETTINGS"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_file(settings.data_dir)

    engine = make_engine(settings.database_url)
    app.extensions[DB_EXTENSION] = Database(engine, make_session_factory(engine))
    app.teardown_appcontext(close_db_session)

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)

    from webapp import errors, filters, security
    from webapp.admin import bp as admin_bp
    from webapp.audit import bp as audit_bp
    from webapp.auth import bp as auth_bp
    from webapp.buffer import bp as buffer_bp
    from webapp.ferzl_state import bp as ferzl_state_bp
    from webapp.main import bp as main_bp
    from webapp.persons import bp as persons_bp
    from webapp.snapshots import bp as snapshots_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(persons_bp)
    app.register_blueprint(ferzl_state_bp)
    app.register_blueprint(buffer_bp)
    app.register_blueprint(snapshots_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_bp)
    errors.init_app(app)
    filters.init_app(app)
    security.init_app(app)
    return app
