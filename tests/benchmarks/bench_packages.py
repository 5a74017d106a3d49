"""Benchmark: writing a large ФНС package in flat memory.

    .venv/bin/python tests/benchmarks/bench_packages.py [--records 200000] [--validate]

Prints the time and the peak traced memory of the writer; exits non-zero when the peak
reaches 50 MB. Not collected by pytest (tracemalloc makes the 200 000 records take ~20 s);
tests/synthetic/test_packages.py checks the same on 10 000.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from register.enp import make_enp
from register.snils import make_snils
from synthetic.packages import write_fns_package

LIMIT = 50 * 1024 * 1024


def persons(n: int) -> Iterator[dict[str, Any]]:
    """A stream of register persons, made one at a time."""
    rng = random.Random(1)
    for i in range(n):
        sex = rng.choice((1, 2))
        birth = date.fromordinal(date(1960, 1, 1).toordinal() + rng.randint(0, 16_000))
        yield {
            "enp": make_enp("50", birth, sex, i % 100_000),
            "surname": "Иванов" if sex == 1 else "Иванова",
            "name": "Иван" if sex == 1 else "Анна",
            "patronymic": "Петрович" if sex == 1 else "Петровна",
            "sex": sex,
            "birth_date": birth,
            "snils": make_snils(f"{rng.randint(1_002_000, 999_999_999):09d}"),
            "doc_type": 14,
            "doc_series": "45 12",
            "doc_number": f"{i % 1_000_000:06d}",
            "doc_issue_date": date(2012, 5, 10),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--validate", action="store_true", help="also parse and validate it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        started = time.perf_counter()
        summary = write_fns_package(
            Path(tmp),
            persons(args.records),
            region_code="50",
            year=2026,
            quarter=3,
            number=1,
            formed=date(2026, 11, 14),
            rng=random.Random(2),
            unmatched=20,
            faulty=7,
        )
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = summary.path.stat().st_size
        print(
            f"ФНС: {summary.records} записей, {size / 1e6:.1f} МБ за {elapsed:.1f} с "
            f"(под tracemalloc); пик памяти {peak / 1024 / 1024:.1f} МБ"
        )
        if args.validate:
            from ingest.xml_safety import parse_xml_safely
            from ingest.xsd import validate_package

            started = time.perf_counter()
            validate_package(parse_xml_safely(summary.path), "fns_working")
            print(f"разбор и проверка по XSD: {time.perf_counter() - started:.1f} с")
    return 0 if peak < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
