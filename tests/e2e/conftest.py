"""Browser tests: Debian's Chromium driven by Playwright against the real web app.

One gunicorn server per test session on a small synthetic region; each test gets
a fresh browser context (its own cookies). Screenshots of every screen go to
``test-output/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from register.db import make_engine, make_session_factory
from register.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "demo-rserz"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
PROXY_ADDRESS = "127.0.0.1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this directory is slow (real processes and a browser).

    A ``pytestmark`` in a conftest marks nothing, hence this hook.
    """
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.slow)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    database_url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The web app under gunicorn on a 3 000-person region with the demo users."""
    data = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = {
        **os.environ,
        "RSERZ_DATA_DIR": str(data),
        "RSERZ_WEB_PORT": str(port),
        # The tests play the TLS proxy: certificate headers are trusted from loopback.
        "RSERZ_CERT_PROXIES": PROXY_ADDRESS,
    }
    for var in ("DAGSTER_HOME", "RSERZ_DATABASE_URL", "RSERZ_WAREHOUSE_PATH"):
        env.pop(var, None)
    subprocess.run(
        [sys.executable, "-m", "rserz.cli", "generate-region", "--persons", "3000", "--seed", "3"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = open(data / "web.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "webapp.wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/auth/login", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("the web app did not start:\n" + (data / "web.log").read_text())
            time.sleep(0.3)
    yield LiveServer(url, data, f"sqlite:///{data / 'rserz.sqlite'}")
    server.terminate()
    server.wait(20)
    log.close()


@pytest.fixture(scope="session")
def db(live_server: LiveServer) -> Iterator[sessionmaker[Session]]:
    """Sessions on the live server's database: to pick test data and to play the central
    segment (its answers change buffer requests directly)."""
    engine = make_engine(live_server.database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def new_page(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    """A page factory: each call is a fresh browser context (own cookies, own headers)."""
    contexts = []

    def make(extra_headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        context = browser.new_context(  # type: ignore[attr-defined]
            base_url=live_server.url,
            viewport={"width": 1440, "height": 900},
            locale="ru-RU",
            extra_http_headers=extra_headers or {},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # Pages the app opens itself (the print card opens in a new tab) report here too.
        context.on(
            "weberror",
            lambda err: (
                errors.append(f"{err.page.url if err.page else '?'}: {err.error}")
                if err.page is not page
                else None
            ),
        )
        page.js_errors = errors

        def ours(url: str) -> bool:
            return url.startswith(live_server.url) or url.startswith("data:")

        # Operators' networks are closed: the pages must load nothing from elsewhere.
        # Routed for the whole context, so that a page opened in a new tab is held too.
        context.route(
            "**/*",
            lambda route: route.continue_() if ours(route.request.url) else route.abort(),
        )
        page.foreign_requests = []
        context.on(
            "request",
            lambda req: None if ours(req.url) else page.foreign_requests.append(req.url),
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login_as(new_page) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """Log in through the login form as a demo user; returns the page."""

    def login(login: str):  # type: ignore[no-untyped-def]
        page = new_page()
        page.goto("/auth/login")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/auth/login" not in page.url, f"{login} could not log in"
        return page

    return login


@pytest.fixture
def shot() -> Callable[[object, str], Path]:
    """Save a full-page screenshot under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: object, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take


def today_ru() -> str:
    return dt.date.today().strftime("%d.%m.%Y")
