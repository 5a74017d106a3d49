"""Answers to the queries of a batch: ``QBP_ZP1`` → ``RSP_ZK1``, ``QBP_ZP6`` → ``RSP_ZK6``."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import date
from typing import Any

from ferzl.codec import (
    Address,
    Insurance,
    PersonDocument,
    PersonHit,
    StatusAnswer,
    StatusQuery,
    WorkingAnswer,
    WorkingQuery,
)
from ferzl.emulator import store
from ferzl.emulator.identification import Keys, Region, exact_matches, fuzzy_matches
from ferzl.emulator.regions import okato_of

#: Hits in one ``RSP_ZK1`` (QAK.5); the rest are only counted (QAK.6).
MAX_HITS = 10
#: One ЕНП in this many changes its working status from quarter to quarter (see ``working_enps``).
WORKING_FLIP = 20
WORKING_AGES = (18, 65)


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _state_on(conn: sqlite3.Connection, person: sqlite3.Row, on: str) -> sqlite3.Row:
    """The person's version valid on ``on`` (the current state when none is that old)."""
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {', '.join(store.PERSON_FIELDS)} FROM federal_version "
        "WHERE person_id = ? AND valid_from <= ? ORDER BY valid_from DESC, id DESC LIMIT 1",
        (person["id"], on),
    ).fetchone()
    return row if row is not None else person


def _insurance_on(row: sqlite3.Row, on: str, region: Region) -> Insurance | None:
    start, end = row["insurance_start"], row["insurance_end"]
    if not (start and start <= on and (end is None or end >= on)):
        return None
    if row["death_date"] and row["death_date"] < on:
        return None
    okato = region.okato if row["region_code"] == region.code else okato_of(row["region_code"])
    try:
        return Insurance(
            smo_ogrn=row["smo_ogrn"] or "",
            start=date.fromisoformat(start),
            end=_d(end),
            region_okato=okato or "",
            policy_form=row["policy_form"] or "",
            policy_number=row["policy_number"] or "",
            employed=bool(row["working"]),
        )
    except ValueError:  # incomplete insurance data: shown as not insured
        return None


def _hit(row: sqlite3.Row, match: str, key: str, insurance: Insurance | None) -> PersonHit:
    documents: tuple[PersonDocument, ...] = ()
    if row["doc_type"] is not None and row["doc_number"]:
        documents = (
            PersonDocument(
                doc_type=str(row["doc_type"]),
                series=row["doc_series"] or "",
                number=row["doc_number"],
                issued=_d(row["doc_issue_date"]),
                expires=_d(row["doc_expiry"]),
            ),
        )
    addresses = tuple(
        Address(kind=kind, okato=row[field])
        for kind, field in (("L", "reg_okato"), ("H", "res_okato"))
        if row[field]
    )
    return PersonHit(
        match=match,
        key=key,
        surname=row["surname"],
        name=row["name"] or "",
        patronymic=row["patronymic"],
        birth_date=date.fromisoformat(row["birth_date"]),
        sex=int(row["sex"]),
        enp=row["enp"],
        snils=row["snils"],
        documents=documents,
        addresses=addresses,
        death_date=_d(row["death_date"]),
        insurances=(insurance,) if insurance else (),
        birth_place=row["birth_place"],
        citizenships=(row["citizenship"],) if row["citizenship"] else (),
    )


def answer_status(conn: sqlite3.Connection, q: StatusQuery, region: Region) -> StatusAnswer:
    """The persons the query's keys find, exact (Д, H01–H05) first, else fuzzy (В, P01/P02)."""
    k = Keys.of(q)
    found = exact_matches(conn, k)
    match = "Д"
    if not found:
        found = fuzzy_matches(conn, k)
        match = "В"
    on = q.on_date.isoformat()
    ordered = sorted(found.values(), key=lambda hit: (hit[1], hit[0]["enp"]))
    hits = []
    for person, key in ordered[:MAX_HITS]:
        state = _state_on(conn, person, on)
        hits.append(_hit(state, match, key, _insurance_on(state, on, region)))
    return StatusAnswer(
        message_id=q.message_id,
        code="AA",
        query_status="OK" if hits else "NF",
        total=len(ordered),
        in_answer=len(hits),
        remaining=len(ordered) - len(hits),
        hits=tuple(hits),
    )


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def working_enps(conn: sqlite3.Connection, region: Region, year: int, quarter: int) -> list[str]:
    """The ЕНП of the region's persons working in the quarter, deterministic.

    A person counts whose history (``federal_version``) has a version overlapping the
    quarter in which they are insured here at some time in the quarter — also one who
    has since moved away or whose insurance has since ended — aged 18–65 on its first
    day. They work by the working flag of the last such version, flipped for one ЕНП in
    ``WORKING_FLIP`` by a stable hash of ЕНП, year and quarter, so quarters differ.
    """
    first, last = _quarter_bounds(year, quarter)
    youngest = date(first.year - WORKING_AGES[0], first.month, 1).isoformat()
    oldest = date(first.year - WORKING_AGES[1] - 1, first.month, 1).isoformat()
    rows = conn.execute(
        "SELECT p.enp, v.working FROM federal_version v "
        "JOIN federal_person p ON p.id = v.person_id "
        "WHERE v.region_code = ? AND v.valid_from <= ? "
        "AND (v.valid_to IS NULL OR v.valid_to > ?) "
        "AND v.insurance_start <= ? AND (v.insurance_end IS NULL OR v.insurance_end >= ?) "
        "AND v.birth_date <= ? AND v.birth_date > ? "
        "ORDER BY v.person_id, v.valid_from, v.id",
        (
            region.code,
            last.isoformat(),
            first.isoformat(),
            last.isoformat(),
            first.isoformat(),
            youngest,
            oldest,
        ),
    )
    working_by_enp: dict[str, bool] = {}
    for enp, working in rows:  # the last version of a person wins
        working_by_enp[enp] = bool(working)
    suffix = f":{year}:{quarter}".encode()
    out = []
    for enp in sorted(working_by_enp):
        flip = zlib.crc32(enp.encode() + suffix) % WORKING_FLIP == 0
        if working_by_enp[enp] != flip:
            out.append(enp)
    return out


def answer_working(conn: sqlite3.Connection, q: WorkingQuery, region: Region) -> WorkingAnswer:
    enps = working_enps(conn, region, q.year, q.quarter)
    return WorkingAnswer(
        message_id=q.message_id, code="AA", year=q.year, quarter=q.quarter, enps=tuple(enps)
    )
