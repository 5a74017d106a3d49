"""Benchmark: the round trip of N buffer requests through the central segment's emulator.

    .venv/bin/python -m tests.benchmarks.bench_exchange [--requests 100000] [--database-url URL]

Queues N registration requests (bulk, as after the ФЛК), then times: the sender
writing the batches (``ferzl.sender.send_queued``), the emulator answering them
(``ferzl.emulator.answering.answer_pending``: parse, identify, write .uprak1/.uprak2)
and the answer ingest applying them to the register (``ferzl.answer_ingest``), in
this process, with the library functions the Dagster jobs call. Prints each step's
seconds, the total in minutes, and the peak RSS of this process. Target: under 2 min
for 100 000.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from ferzl.answer_ingest import ingest_pending
from ferzl.emulator.answering import answer_pending
from ferzl.emulator.seed import seed_store
from ferzl.sender import send_queued
from register.db import make_engine, make_session_factory, transaction, upgrade
from register.models import BufferRequest
from register.settings import load_settings
from tests.exchange_support import queue_registrations
from tests.factories import seed_region


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="bench-exchange-"))
    env = {
        "RSERZ_DATA_DIR": str(data_dir),
        "RSERZ_BATCH_SIZE": str(args.batch_size),
    }
    if args.database_url:
        env["RSERZ_DATABASE_URL"] = args.database_url
    settings = load_settings(env)
    settings.ensure_dirs()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        seed_region(s)
    seed_store(settings, other_regions_count=1000)

    started = time.monotonic()
    queue_registrations(factory, args.requests)
    print(f"запросов в буфере: {args.requests} ({time.monotonic() - started:.1f} с)")

    timings: dict[str, float] = {}
    t0 = time.monotonic()
    report = send_queued(factory, settings)
    timings["отправка (пакеты .uprmes)"] = time.monotonic() - t0
    t0 = time.monotonic()
    batches = answer_pending(settings, log=lambda _line: None)
    timings["эмулятор ФЕРЗЛ (ответы)"] = time.monotonic() - t0
    t0 = time.monotonic()
    results, failures = ingest_pending(factory, settings)
    assert not failures, failures
    timings["приём ответов (применение)"] = time.monotonic() - t0

    with factory() as s:
        statuses = Counter(s.scalars(select(BufferRequest.status)))
    engine.dispose()
    for step, seconds in timings.items():
        print(f"{step}: {seconds:.1f} с")
    total = sum(timings.values())
    print(
        f"пакетов: {len(report.batches)} (эмулятор ответил на {batches}), файлов ответов: "
        f"{len(results)}"
    )
    print(f"итог по запросам: {dict(statuses)}")
    print(
        f"круговой обмен {args.requests} запросов: {total / 60:.2f} мин "
        f"({args.requests / total:.0f} запросов/с)"
    )
    print(f"пиковая память процесса (RSS): {_peak_rss_mib():.0f} МиБ")
    return 0 if total < 120 else 1


if __name__ == "__main__":
    sys.exit(main())
