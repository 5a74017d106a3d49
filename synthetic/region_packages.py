"""Package files (ФНС, ЗАГС, военкомат) for a region already loaded into the register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from register.db import make_engine
from register.models import RECORD_FIELDS, Person
from synthetic.packages import PackageSummary, write_demo_packages

SAMPLE_SIZE = 20_000


def read_person_sample(database_url: str, size: int = SAMPLE_SIZE) -> list[dict[str, Any]]:
    """Every k-th person by id (deterministic), as record dicts."""
    engine = make_engine(database_url)
    columns = [getattr(Person, f) for f in RECORD_FIELDS]
    try:
        with engine.connect() as conn:
            top = int(conn.execute(select(func.max(Person.id))).scalar_one() or 0)
            step = max(1, top // size)
            rows = conn.execute(
                select(*columns).where(Person.id % step == 0).order_by(Person.id).limit(size)
            )
            return [dict(zip(RECORD_FIELDS, row, strict=True)) for row in rows]
    finally:
        engine.dispose()


def write_region_packages(
    database_url: str,
    out_dir: Path,
    *,
    region_code: str,
    seed: int,
    today: dt.date | None = None,
) -> list[PackageSummary]:
    """Write the demo packages for persons of the register into ``out_dir``."""
    persons = read_person_sample(database_url)
    return write_demo_packages(
        out_dir, persons, region_code=region_code, today=today or dt.date.today(), seed=seed
    )
