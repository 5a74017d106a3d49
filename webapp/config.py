"""Configuration of the web app, read from the environment through register.settings."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from register.settings import load_settings

SECRET_KEY_FILE = "secret_key"


class Config:
    """Flask settings. Environment-dependent values are filled in by the constructor."""

    SESSION_COOKIE_NAME = "rserz_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The session cookie is signed with a timestamp: Flask refuses it after this much
    # inactivity (it is refreshed on every request), so this is the idle timeout.
    PERMANENT_SESSION_LIFETIME = dt.timedelta(minutes=30)
    REMEMBER_COOKIE_HTTPONLY = True
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_SIZE = "sm"
    WTF_CSRF_ENABLED = True
    PAGE_SIZE = 50

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        self.RSERZ_SETTINGS = load_settings(env)
        # Behind HTTPS (production) the cookie must never travel in clear text.
        self.SESSION_COOKIE_SECURE = env.get("RSERZ_SECURE_COOKIES", "") == "1"
        self.SECRET_KEY = env.get("RSERZ_SECRET_KEY") or None
        # How many reverse proxies (nginx …) stand in front of the app: their
        # X-Forwarded-For gives the client's address for the audit log. 0: none.
        self.TRUSTED_PROXIES = int(env.get("RSERZ_TRUSTED_PROXIES", "0"))


def secret_key_from_file(data_dir: Path) -> str:
    """The key kept in ``<data_dir>/secret_key``, created once.

    Written to a temporary file and linked into place, so that gunicorn workers
    starting together agree on one key and never read a half-written file.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{SECRET_KEY_FILE}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker was first: use its key
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip()
