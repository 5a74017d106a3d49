"""One demo platform (`rserz demo`) for every test that runs the real processes.

Session-scoped: the exchange tests use it first, the walking skeleton's last test
stops it with Ctrl-C (files run in name order).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from register.settings import PROJECT_ROOT
from tests.integration.support import _free_port


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    data = tmp_path_factory.mktemp("platform-data")
    ports = {"web": _free_port(), "dagster": _free_port(), "ferzl": _free_port()}
    env = {
        **os.environ,
        "RSERZ_DATA_DIR": str(data),
        "RSERZ_WEB_PORT": str(ports["web"]),
        "RSERZ_DAGSTER_PORT": str(ports["dagster"]),
        "RSERZ_FERZL_PORT": str(ports["ferzl"]),
        # Requests go out a second after they are queued (the default waits for a fuller batch).
        "RSERZ_SEND_DELAY": "1",
    }
    for var in ("DAGSTER_HOME", "RSERZ_DATABASE_URL", "RSERZ_WAREHOUSE_PATH"):
        env.pop(var, None)
    log = data / "demo-console.log"
    out = open(log, "w+")  # noqa: SIM115 - stays open for the life of the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "rserz.cli", "demo", "--persons", "3000"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 600
    while "Остановить: Ctrl-C" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the demo did not come up:\n" + log.read_text()[-5000:])
        time.sleep(1)
    yield {"proc": proc, "ports": ports, "data": data, "log": log, "env": env}
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    out.close()
