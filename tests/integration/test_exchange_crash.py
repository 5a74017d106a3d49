"""Kill the sender and the answer ingest in the middle (SIGKILL), restart: nothing is lost,
nothing is sent twice, nothing is applied twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ferzl.codec import parse_batch
from register import buffer
from register.db import make_engine, make_session_factory, transaction
from register.models import (
    AuditLog,
    BufferRequest,
    ExchangeBatch,
    Person,
    PersonVersion,
)
from tests.exchange_support import answer_batch_file, queue_registrations
from tests.factories import seed_region

REQUESTS = 3000
BATCH = 50

pytestmark = pytest.mark.slow


def _env(data_dir: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "RSERZ_DATA_DIR": str(data_dir),
        "RSERZ_DATABASE_URL": url,
        "RSERZ_BATCH_SIZE": str(BATCH),
    }


def _kill_when(cmd: list[str], env: dict[str, str], ready) -> None:  # type: ignore[no-untyped-def]
    """Start the command and SIGKILL it as soon as ``ready()`` holds (it must still be running)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, f"finished before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)


def test_killed_sender_and_ingest_lose_and_double_nothing(tmp_path: Path, sqlite_url: str) -> None:
    data_dir = tmp_path / "data"
    env = _env(data_dir, sqlite_url)
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        seed_region(s)
    queue_registrations(factory, REQUESTS)
    rserz = [sys.executable, "-m", "rserz.cli"]
    outbound = data_dir / "exchange" / "outbound"
    inbound = data_dir / "exchange" / "inbound"

    # Sender killed after a few batches.
    _kill_when([*rserz, "send-batches"], env, lambda: len(list(outbound.glob("*.uprmes"))) >= 3)
    with factory() as s:
        sent_before = s.scalar(select(func.count()).where(BufferRequest.status == buffer.SENT))
    assert 0 < (sent_before or 0) < REQUESTS
    _run([*rserz, "send-batches"], env)

    files = sorted(outbound.glob("*.uprmes"))
    assert not list(outbound.glob("*.tmp"))
    message_ids = Counter(m.message_id for f in files for m in parse_batch(f.read_bytes()).messages)
    assert len(message_ids) == REQUESTS and set(message_ids.values()) == {1}
    with factory() as s:
        requests = list(s.scalars(select(BufferRequest)))
        assert {r.status for r in requests} == {buffer.SENT}
        assert {r.message_id for r in requests} == set(message_ids)
        batches = s.scalar(select(func.count()).select_from(ExchangeBatch))
        assert batches == len(files)

    # Answers for everything; the ingest killed after a few files.
    for f in files:
        answer_batch_file(inbound, f)
    done = inbound / "done"
    _kill_when(
        [*rserz, "ingest-answers", "--no-warehouse"],
        env,
        lambda: done.is_dir() and len(list(done.iterdir())) >= 6,
    )
    _run([*rserz, "ingest-answers", "--no-warehouse"], env)

    with factory() as s:
        statuses = Counter(s.scalars(select(BufferRequest.status)))
        assert statuses == {buffer.ACCEPTED: REQUESTS}
        assert s.scalar(select(func.count()).select_from(Person)) == REQUESTS
        assert s.scalar(select(func.count()).select_from(PersonVersion)) == REQUESTS
        applied = s.scalar(select(func.count()).where(AuditLog.action == "person.apply"))
        assert applied == REQUESTS
    assert not list(inbound.glob("*.uprak*"))
    engine.dispose()
