"""Benchmark: generating and loading the synthetic region.

    .venv/bin/python -m tests.benchmarks.bench_synthetic --persons 1000000
    .venv/bin/python -m tests.benchmarks.bench_synthetic --persons 1000000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

SQLite goes into a fresh migrated file in a temporary directory (``--keep DIR`` keeps it
there); ``--postgres`` loads into a fresh schema of that server, dropped afterwards.
Prints seconds, persons per second, the database size, the peak RSS of this process and
of the largest worker, and the CPU time (the machine's load average is shown, since other
work on a 2-core machine changes the figures). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from register.db import make_engine, upgrade
from synthetic.load import generate_region


@contextmanager
def _sqlite(keep: Path | None) -> Iterator[tuple[str, Path]]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        path = keep / "rserz.sqlite"
        if path.exists():
            raise SystemExit(f"{path} exists: give an empty directory")
        yield f"sqlite:///{path}", path
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'rserz.sqlite'}", Path(tmp) / "rserz.sqlite"


@contextmanager
def _postgres(server_url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{server_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _postgres_size(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT pg_total_relation_size('person') "
                        "+ pg_total_relation_size('person_version')"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _report(persons: int, seconds: float, size: int, label: str) -> None:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"database            {label}")
    print(f"persons written     {persons:,}")
    print(f"seconds             {seconds:.1f}")
    print(f"persons/s           {persons / seconds:,.0f}")
    print(f"database size       {size / 2**20:,.0f} MiB")
    print(f"peak RSS            {me.ru_maxrss / 1024:,.0f} MiB (loader)")
    print(f"peak RSS            {children.ru_maxrss / 1024:,.0f} MiB (largest worker)")
    print(f"CPU                 {me.ru_utime + me.ru_stime:,.1f} s loader")
    print(f"CPU                 {children.ru_utime + children.ru_stime:,.1f} s workers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server instead of SQLite")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the SQLite file here")
    args = parser.parse_args()
    print(f"load average        {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.postgres:
        with _postgres(args.postgres) as url:
            upgrade(url)
            started = time.perf_counter()
            summary = generate_region(
                url, persons=args.persons, seed=args.seed, workers=args.workers
            )
            seconds = time.perf_counter() - started
            _report(summary.persons, seconds, _postgres_size(url), "PostgreSQL")
    else:
        with _sqlite(args.keep) as (url, path):
            upgrade(url)
            started = time.perf_counter()
            summary = generate_region(
                url, persons=args.persons, seed=args.seed, workers=args.workers
            )
            seconds = time.perf_counter() - started
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
            _report(summary.persons, seconds, size, f"SQLite {path}")
    print(f"versions            {summary.versions:,}; duplicates {summary.duplicates:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
