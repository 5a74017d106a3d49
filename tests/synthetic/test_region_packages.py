"""Package files written for a region loaded into the register refer to its persons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from register.db import make_engine
from register.models import Person
from synthetic.load import generate_region
from synthetic.region_packages import write_region_packages


def test_packages_match_the_register(sqlite_url: str, tmp_path: Path) -> None:
    generate_region(sqlite_url, persons=3000, seed=5, workers=0, as_of=dt.date(2026, 11, 1))
    summaries = write_region_packages(
        sqlite_url, tmp_path, region_code="50", seed=5, today=dt.date(2026, 11, 20)
    )
    names = sorted(s.path.name for s in summaries)
    assert any(n.startswith("FNS_50_2026_3") for n in names)
    assert any(n.startswith("ZAGS_50") for n in names)
    assert any(n.endswith(".xlsx") for n in names)
    assert list((tmp_path / "malformed").iterdir())

    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        enps = set(conn.execute(select(Person.enp)).scalars())
    engine.dispose()
    fns = next(s for s in summaries if s.path.name.startswith("FNS_") and s.encoding != "utf-8")
    assert fns.matched_enps and set(fns.matched_enps) <= enps
    root = etree.parse(str(fns.path), etree.XMLParser(resolve_entities=False, no_network=True))
    assert int(root.getroot().get("КолЗап")) == fns.records
