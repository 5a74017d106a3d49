"""Queries in a batch: ``QBP_ZP1`` (status on a date) and ``QBP_ZP6`` (working persons)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from ferzl.codec import PersonDocument, StatusAnswer, StatusQuery, WorkingAnswer, WorkingQuery
from ferzl.emulator import answering, store
from ferzl.emulator.answering import answer_pending
from ferzl.emulator.seed import special_enp
from register.settings import Settings
from tests.ferzl.emulator_support import application, lookup, make_region, new_person, write_batch


@pytest.fixture
def region(tmp_path: Path, sqlite_url: str) -> tuple[Settings, list[str]]:
    return make_region(tmp_path, sqlite_url, persons=12)


def _status(**values: object) -> StatusQuery:
    return StatusQuery(message_id=str(uuid.uuid4()), mode="P", **values)  # type: ignore[arg-type]


def _ask(settings: Settings, queries: list) -> list:
    batch = write_batch(settings, queries)
    answer_pending(settings, log=lambda _: None)
    return list(application(settings, batch).answers)


def test_status_by_enp_gives_the_insurance_on_the_date(region) -> None:
    settings, enps = region
    person = lookup(settings, enps[0])
    today, before = _ask(
        settings,
        [
            _status(on_date=dt.date(2026, 11, 1), enp=enps[0]),
            _status(on_date=dt.date(2010, 1, 1), enp=enps[0]),
        ],
    )
    assert isinstance(today, StatusAnswer)
    assert (today.code, today.query_status, today.total, today.in_answer) == ("AA", "OK", 1, 1)
    (hit,) = today.hits
    assert (hit.match, hit.key, hit.enp, hit.surname) == ("Д", "H01", enps[0], person["surname"])
    (insurance,) = hit.insurances
    assert (insurance.smo_ogrn, insurance.region_okato, insurance.start) == (
        "1027700001234", "46000", dt.date(2011, 5, 1),
    )  # fmt: skip
    assert hit.documents[0].number == person["doc_number"]
    assert before.hits[0].insurances == ()  # not insured yet in 2010


def test_status_by_other_keys_exact_and_fuzzy(region) -> None:
    settings, enps = region
    person = lookup(settings, enps[1])
    birth = dt.date.fromisoformat(person["birth_date"])
    by_doc, by_snils, twins, nobody = _ask(
        settings,
        [
            _status(
                on_date=dt.date(2026, 11, 1),
                documents=(PersonDocument("14", person["doc_series"], person["doc_number"]),),
                surname=person["surname"], name=person["name"],
                patronymic=person["patronymic"], birth_date=birth,
            ),
            _status(on_date=dt.date(2026, 11, 1), snils=person["snils"], birth_date=birth),
            _status(
                on_date=dt.date(2026, 11, 1), surname="ДВОЙНИКОВ", name="ИВАН",
                patronymic="ПЕТРОВИЧ", birth_date=dt.date(1980, 5, 5), sex=1,
            ),
            _status(on_date=dt.date(2026, 11, 1), enp="5000000000000000"),
        ],
    )  # fmt: skip
    assert [(h.match, h.key, h.enp) for h in by_doc.hits] == [("Д", "H02", enps[1])]
    assert [(h.match, h.key, h.enp) for h in by_snils.hits] == [("Д", "H04", enps[1])]
    assert twins.query_status == "OK"
    assert {(h.match, h.key, h.enp) for h in twins.hits} == {
        ("В", "P01", special_enp(0)), ("В", "P01", special_enp(1)),
    }  # fmt: skip
    assert twins.hits[0].insurances[0].region_okato != "46000"
    assert (nobody.query_status, nobody.total, nobody.hits) == ("NF", 0, ())


def test_queries_and_changes_share_a_batch_in_order(region) -> None:
    settings, _ = region
    born = new_person()
    change, status = _ask(settings, [born, _status(on_date=dt.date(2026, 11, 25), enp=born.enp)])
    assert change.code == "AA"
    assert status.hits[0].insurances[0].start == dt.date(2026, 11, 20)


def test_working_persons_are_a_deterministic_list_per_quarter(region) -> None:
    settings, enps = region
    workers = [new_person() for _ in range(30)]  # employed, insured from 2026-11-20
    assert {a.code for a in _ask(settings, workers)} == {"AA"}
    q3, q4, q4_again = _ask(
        settings,
        [
            WorkingQuery(message_id=str(uuid.uuid4()), mode="P", year=2026, quarter=3),
            WorkingQuery(message_id=str(uuid.uuid4()), mode="P", year=2026, quarter=4),
            WorkingQuery(message_id=str(uuid.uuid4()), mode="P", year=2026, quarter=4),
        ],
    )
    assert isinstance(q4, WorkingAnswer)
    assert (q4.year, q4.quarter, q4.code) == (2026, 4, "AA")
    assert q4.enps == q4_again.enps == tuple(sorted(q4.enps))
    worker_enps = {w.enp for w in workers}
    # Working by the flag, one in twenty flipped by the hash of ЕНП, year and quarter.
    assert 20 <= len(worker_enps & set(q4.enps)) <= 30
    assert not worker_enps & set(q3.enps)  # not insured here in the third quarter
    # The region's test persons have no working flag: at most the flipped ones work.
    assert len(set(enps) & set(q4.enps)) < len(enps) // 2
    assert not {special_enp(i) for i in range(4)} & set(q4.enps)  # other regions'


def test_working_persons_follow_the_history_of_the_quarter(region) -> None:
    settings, _ = region
    workers = [new_person() for _ in range(30)]  # employed, insured here from 2026-11-20
    assert {a.code for a in _ask(settings, workers)} == {"AA"}
    conn = store.connect(store.store_path(settings.data_dir))
    try:  # ... then all of them moved to region 77 on 2026-12-01
        with store.write_transaction(conn):
            for w in workers:
                row = store.person_by_enp(conn, w.enp or "")
                assert row is not None
                moved = {**store.person_dict(row), "region_code": "77"}
                moved["insurance_start"] = "2026-12-01"
                store.update_person(conn, int(row["id"]), moved, valid_from="2026-12-01",
                                    event="П01")  # fmt: skip
    finally:
        conn.close()
    q4, next_q1 = _ask(
        settings,
        [
            WorkingQuery(message_id=str(uuid.uuid4()), mode="P", year=2026, quarter=4),
            WorkingQuery(message_id=str(uuid.uuid4()), mode="P", year=2027, quarter=1),
        ],
    )
    worker_enps = {w.enp for w in workers}
    assert 20 <= len(worker_enps & set(q4.enps)) <= 30  # insured here in part of Q4
    assert not worker_enps & set(next_q1.enps)  # elsewhere for the whole quarter


def test_a_fault_while_answering_a_query_gives_the_query_answer_ar(
    region, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = region

    def broken(*_: object) -> None:
        raise RuntimeError("сбой")

    monkeypatch.setattr(answering, "answer_status", broken)
    monkeypatch.setattr(answering, "answer_working", broken)
    status, working, change = _ask(
        settings,
        [
            _status(on_date=dt.date(2026, 11, 1), enp=special_enp(0)),
            WorkingQuery(message_id=str(uuid.uuid4()), mode="P", year=2026, quarter=4),
            new_person(),
        ],
    )
    assert isinstance(status, StatusAnswer) and isinstance(working, WorkingAnswer)
    assert (status.code, status.query_status, status.hits) == ("AR", "AR", ())
    assert (working.code, working.query_status, working.enps) == ("AR", "AR", ())
    assert (working.year, working.quarter) == (2026, 4)
    for answer in (status, working):
        (error,) = answer.errors
        assert (error.hl7_code, error.severity) == ("207", "E")
        assert error.text.startswith("Внутренняя ошибка ЦС")
    assert change.code == "AA"  # the rest of the batch is answered as usual
