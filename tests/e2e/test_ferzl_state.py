"""«Просмотр состояния в ФЕРЗЛ» in a real browser, against a real emulator of the central segment.

This module runs its own small region: the web app (gunicorn) and the emulator
(``rserz ferzl-emulator``, seeded from the region's database at its first start) on free
ports of their own — the session's shared server knows no emulator. ``live_server`` is
overridden here, so the browser fixtures of conftest.py (``login_as``, ``shot``) use it.

Differences between the segments are made the way they arise in life: the register's row
changed without the central segment hearing of it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from register.db import make_engine, make_session_factory, transaction
from register.enp import make_enp
from register.models import BufferRequest, Person
from register.settings import PROJECT_ROOT
from tests.e2e.conftest import LiveServer, _free_port
from tests.e2e.support import assert_clean, pick_person

#: The demo СМО operator is bound to the region's first СМО.
SMO_LOGIN, SMO_CODE = "smo", "50001"


class Processes:
    """The emulator and the web app of this module, restartable (the emulator goes away once)."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.data = data
        self.env = env
        self.emulator: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        self.logs: list[object] = []

    def _log(self, name: str):  # type: ignore[no-untyped-def]
        log = open(self.data / name, "ab")  # noqa: SIM115 - open for the process's lifetime
        self.logs.append(log)
        return log

    def start_emulator(self) -> None:
        self.emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rserz.cli",
                "ferzl-emulator",
                "--other-regions",
                "100",
                "--poll",
                "0.2",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log("ferzl-emulator.log"),
            stderr=subprocess.STDOUT,
        )
        _wait(f"{self.ferzl_url}/health", self.emulator, self.data / "ferzl-emulator.log")

    def stop_emulator(self) -> None:
        if self.emulator is not None and self.emulator.poll() is None:
            self.emulator.terminate()
            self.emulator.wait(20)

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.env['RSERZ_WEB_PORT']}",
                "--workers",
                "1",
                "--threads",
                "4",
                "webapp.wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log("web.log"),
            stderr=subprocess.STDOUT,
        )
        _wait(f"{self.web_url}/auth/login", self.web, self.data / "web.log")

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RSERZ_WEB_PORT']}"

    @property
    def ferzl_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RSERZ_FERZL_PORT']}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "rserz.cli", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        return done.stdout.decode()

    def stop(self) -> None:
        self.stop_emulator()
        if self.web is not None:
            self.web.terminate()
            self.web.wait(20)
        for log in self.logs:
            log.close()  # type: ignore[attr-defined]


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{url} did not come up:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    data = tmp_path_factory.mktemp("e2e-ferzl")
    env = {
        **os.environ,
        "RSERZ_DATA_DIR": str(data),
        "RSERZ_WEB_PORT": str(_free_port()),
        "RSERZ_FERZL_PORT": str(_free_port()),
        "RSERZ_SEND_DELAY": "0",
    }
    for var in ("DAGSTER_HOME", "RSERZ_DATABASE_URL", "RSERZ_WAREHOUSE_PATH", "RSERZ_FERZL_FAULTS"):
        env.pop(var, None)
    running = Processes(data, env)
    running.cli("generate-region", "--persons", "400", "--seed", "11")
    try:
        running.start_emulator()  # seeds its store from the region's database
        running.start_web()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def live_server(processes: Processes) -> LiveServer:
    """This module's web app (the browser fixtures of conftest.py go to it)."""
    return LiveServer(
        processes.web_url, processes.data, f"sqlite:///{processes.data / 'rserz.sqlite'}"
    )


@pytest.fixture(scope="module")
def region_db(live_server: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live_server.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _diverge(db: sessionmaker[Session], person: Person, **changes: object) -> None:
    """The register's row changed behind the central segment's back."""
    with transaction(db) as s:
        row = s.get(Person, person.id)
        assert row is not None
        for field, value in changes.items():
            setattr(row, field, value)


def _open_state(page: Page, person: Person) -> None:
    """From the register screen: find by ЕНП, select the row, «Состояние в ФЕРЗЛ»."""
    page.goto("/persons/")
    page.get_by_test_id("person-filter").locator("#enp").fill(person.enp)
    page.get_by_test_id("btn-find").click()
    page.locator(f"#person-{person.id} td").nth(2).click()
    expect(page.get_by_test_id("selection")).to_have_attribute("data-person-id", str(person.id))
    page.get_by_test_id("btn-state").click()
    expect(page).to_have_url(re.compile(rf"/persons/{person.id}/ferzl$"))


def test_differences_history_print_and_refresh(login_as, shot, region_db) -> None:
    person = pick_person(region_db, Person.patronymic.is_not(None), editable=True)
    central_patronymic = person.patronymic
    _diverge(region_db, person, patronymic="Аристархович", phone="+7 916 000-11-22")

    page = login_as("tfoms")
    _open_state(page, person)
    differs = page.locator("[data-testid=compare-row][data-differs]")
    expect(differs).to_have_count(1)
    row = page.locator("[data-testid=compare-row][data-field=patronymic]")
    expect(row).to_have_class("row-differs")
    expect(row.locator("td[data-side=rserz]")).to_have_text("Аристархович")
    expect(row.locator("td[data-side=ferzl]")).to_have_text(central_patronymic or "")
    expect(row.locator("td.c-mark")).to_contain_text("≠")
    # The phone is the region's own: shown, never compared.
    phone = page.locator("[data-testid=compare-row][data-field=phone]")
    expect(phone.locator("td[data-side=ferzl]")).to_have_text("не ведётся в ФЕРЗЛ")
    expect(page.get_by_test_id("diff-summary")).to_contain_text("Различий: 1 (Отчество)")
    shot(page, "ferzl-state-differs")

    page.get_by_test_id("btn-history").click()
    expect(page.get_by_test_id("histories")).to_be_visible()
    expect(page.get_by_test_id("history-rserz-row").first).to_be_visible()
    expect(page.get_by_test_id("history-ferzl-row").first).to_be_visible()
    # Side by side, within the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    shot(page, "ferzl-state-history")

    with page.context.expect_page() as opened:
        page.get_by_test_id("btn-print-ferzl").click()
    printed = opened.value
    expect(printed.get_by_test_id("print-ferzl")).to_contain_text(central_patronymic or "")
    expect(printed.get_by_test_id("print-ferzl")).to_contain_text("≠ — значение отличается")
    shot(printed, "ferzl-state-print-ferzl")
    printed.close()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("btn-refresh").click()
    flash = page.get_by_test_id("flash")
    expect(flash).to_contain_text("Данные РСЕРЗ обновлены из ФЕРЗЛ (Отчество)")
    expect(page.get_by_test_id("diff-summary")).to_have_text("Данные РСЕРЗ и ФЕРЗЛ совпадают.")
    expect(page.get_by_test_id("btn-refresh")).to_be_disabled()
    shot(page, "ferzl-state-refreshed")
    request_id = int(page.get_by_test_id("flash-request").get_attribute("data-request-id") or 0)
    with region_db() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None and request.status == "accepted"
        current = s.get(Person, person.id)
        assert current is not None
        assert (current.patronymic, current.phone) == (central_patronymic, "+7 916 000-11-22")
    assert_clean(page)


def test_send_to_ferzl_then_the_answer_in_the_requests_tab(
    login_as, shot, region_db, processes
) -> None:
    person = pick_person(region_db, Person.smo_code == SMO_CODE, editable=True)
    _diverge(region_db, person, doc_issuer="ОВД района Тестовый")  # the region's own field
    page = login_as(SMO_LOGIN)
    _open_state(page, person)
    expect(page.get_by_test_id("btn-refresh")).to_have_count(0)  # the ТФОМС's
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("btn-send").click()
    expect(page.get_by_test_id("flash")).to_contain_text("поставлен на отправку в ФЕРЗЛ")
    expect(page.get_by_test_id("btn-send")).to_be_disabled()
    expect(page.get_by_test_id("pending-note")).to_be_visible()

    # The platform's sender and answer ingest (what Dagster runs), the emulator in between.
    processes.cli("send-batches")
    inbound = processes.data / "exchange" / "inbound"
    deadline = time.monotonic() + 30
    while not list(inbound.glob("*.uprak2")) and time.monotonic() < deadline:
        time.sleep(0.2)
    processes.cli("ingest-answers")

    page.goto(f"/persons/?enp={person.enp}&selected={person.id}&tab=requests")
    pane = page.get_by_test_id("pane-requests")
    expect(pane).to_be_visible()
    message = pane.get_by_test_id("message-row").first
    expect(message).to_have_attribute("data-colour", "green")
    expect(message).to_contain_text("AA — Принято")
    expect(message).to_contain_text("П04")
    expect(pane.get_by_test_id("request-row").first).to_contain_text("Принят")
    shot(page, "register-requests-tab-messages")
    assert_clean(page)


def test_no_such_enp_in_ferzl_offers_candidates(login_as, shot, region_db) -> None:
    person = pick_person(region_db)
    central_enp = person.enp
    # A ЕНП the central segment never heard of (as after a wrong manual entry).
    unknown = make_enp("50", person.birth_date, person.sex, 99_000 + person.id % 900)
    _diverge(region_db, person, enp=unknown)
    person.enp = unknown
    page = login_as("tfoms")
    _open_state(page, person)
    expect(page.get_by_test_id("ferzl-not-found")).to_contain_text(unknown)
    expect(page.get_by_test_id("candidates-count")).to_contain_text("Найдено в ФЕРЗЛ")
    candidate = page.locator(f"[data-testid=candidate][data-enp='{central_enp}']")
    expect(candidate).to_have_count(1)
    shot(page, "ferzl-state-not-found")
    candidate.get_by_test_id("candidate-compare").click()
    expect(page.get_by_test_id("other-enp-note")).to_contain_text(central_enp)
    expect(page.locator("[data-testid=compare-row][data-field=enp]")).to_have_attribute(
        "data-differs", "1"
    )
    expect(page.get_by_test_id("btn-refresh")).to_be_disabled()
    shot(page, "ferzl-state-candidate")
    assert_clean(page)


def test_mo_operator_has_no_ferzl_state(login_as, region_db) -> None:
    person = pick_person(region_db)
    page = login_as("mo")
    page.goto(f"/persons/?enp={person.enp}&selected={person.id}")
    expect(page.get_by_test_id("selection")).to_be_visible()
    expect(page.get_by_test_id("btn-state")).to_have_count(0)
    response = page.goto(f"/persons/{person.id}/ferzl")
    assert response is not None and response.status == 403
    assert_clean(page)


def test_ferzl_unavailable_leaves_the_register_side(login_as, shot, region_db, processes) -> None:
    person = pick_person(region_db)
    processes.stop_emulator()
    try:
        page = login_as("tfoms")
        response = page.goto(f"/persons/{person.id}/ferzl?history=1")
        assert response is not None and response.status == 200
        expect(page.get_by_test_id("ferzl-unavailable")).to_contain_text("ФЕРЗЛ недоступен")
        expect(page.get_by_test_id("rserz-record")).to_contain_text(person.enp)
        expect(page.get_by_test_id("history-rserz-row").first).to_be_visible()
        expect(page.get_by_test_id("btn-refresh")).to_be_disabled()
        shot(page, "ferzl-state-unavailable")
        assert_clean(page)
    finally:
        processes.start_emulator()
