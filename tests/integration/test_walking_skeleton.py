"""The walking skeleton end to end, through the real processes.

`rserz demo` on a fresh data directory: database, synthetic region, Dagster
pipeline (extract → dbt → publish), then web app, Dagster UI and FERZL emulator.
The test logs in as an operator, searches, opens «Срезы» (read from the published
Parquet), asks the Dagster UI what it materialised, and stops everything with Ctrl-C.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from register.settings import PROJECT_ROOT
from tests.integration.support import PASSWORD, Browser

pytestmark = pytest.mark.slow


def test_banner_names_urls_and_logins(platform: dict) -> None:
    text = Path(platform["log"]).read_text()
    ports = platform["ports"]
    assert f"http://127.0.0.1:{ports['web']}/" in text
    assert f"http://127.0.0.1:{ports['dagster']}/" in text
    for login in ("tfoms", "smo", "mo", "stat", "admin"):
        assert re.search(rf"^\s+{login}\s+/ {PASSWORD}", text, re.M), login


def test_emulator_is_alive(platform: dict) -> None:
    url = f"http://127.0.0.1:{platform['ports']['ferzl']}/health"
    with urllib.request.urlopen(url, timeout=10) as r:
        assert json.loads(r.read())["status"] == "alive"


def test_operator_logs_in_searches_and_sees_the_snapshot(platform: dict) -> None:
    browser = Browser(f"http://127.0.0.1:{platform['ports']['web']}")
    status, page = browser.post_form("/auth/login", {"login": "tfoms", "password": PASSWORD})
    assert status == 200 and "РСЕРЗ" in page
    status, page = browser.get("/rserz")
    assert status == 200
    for tile in ("Регистр застрахованных лиц", "Буфер", "Срезы"):
        assert tile in page
    # Find one person through the screen by the first letters of the surname.
    status, page = browser.get("/persons/?surname=%D0%98%D0%92")  # «ИВ»
    assert status == 200
    enps = re.findall(r"\b(50\d{14})\b", page)
    assert enps, "the search shows persons with their ЕНП"
    status, page = browser.get(f"/persons/?enp={enps[0]}")
    assert status == 200 and enps[0] in page
    status, page = browser.get("/snapshots/")
    first = dt.date.today().replace(day=1)
    assert status == 200 and first.strftime("%d.%m.%Y") in page


def test_dagster_ui_shows_the_materialised_snapshot(platform: dict) -> None:
    query = """
    { assetOrError(assetKey: {path: ["published_snapshot_month"]}) {
        ... on Asset { assetMaterializations(limit: 5) { partition runId } } } }
    """
    req = urllib.request.Request(
        f"http://127.0.0.1:{platform['ports']['dagster']}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        body = json.loads(r.read())
    materialisations = body["data"]["assetOrError"]["assetMaterializations"]
    first = dt.date.today().replace(day=1).isoformat()
    assert any(m["partition"] == first for m in materialisations), body


def test_ctrl_c_stops_every_process(platform: dict) -> None:
    proc: subprocess.Popen = platform["proc"]  # type: ignore[assignment]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(90) == 0 or proc.returncode in (0, 130)
    for port in platform["ports"].values():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    assert "Все процессы остановлены." in Path(platform["log"]).read_text()


def test_second_run_reuses_what_exists(platform: dict) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rserz.cli", "demo", "--no-start"],
        cwd=PROJECT_ROOT,
        env=platform["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "генерация пропущена" in result.stdout
    assert "уже опубликован" in result.stdout
