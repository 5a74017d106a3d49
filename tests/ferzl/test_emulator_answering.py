"""The emulator answers change batches: identification, application, repeats, batch faults."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from ferzl.codec import PersonDocument, is_multiple_identification
from ferzl.emulator.answering import Answerer, answer_pending
from ferzl.emulator.seed import special_enp
from register.settings import Settings
from tests.ferzl.emulator_support import (
    APPLIED,
    CREATED,
    OKATO,
    application,
    client,
    edit,
    insurance,
    lookup,
    make_region,
    new_person,
    stem,
    store_counts,
    transport,
    write_batch,
    write_bytes,
)


@pytest.fixture
def region(tmp_path: Path, sqlite_url: str) -> tuple[Settings, list[str]]:
    return make_region(tmp_path, sqlite_url)


def _answer_one(settings: Settings, message: object) -> tuple[str, list]:
    batch = write_batch(settings, [message])  # type: ignore[list-item]
    assert answer_pending(settings, log=lambda _: None) == 1
    assert transport(settings, batch).code == "CA"
    (answer,) = application(settings, batch).answers
    return answer.code, list(answer.errors)


def test_new_person_is_accepted_and_then_found_by_the_lookup(region) -> None:
    settings, _ = region
    message = new_person()
    batch = write_batch(settings, [message])
    lines: list[str] = []

    assert answer_pending(settings, log=lines.append) == 1

    assert transport(settings, batch).code == "CA"
    answers = application(settings, batch)
    assert answers.batch_id in batch.name
    assert [(a.message_id, a.code) for a in answers.answers] == [(message.message_id, "AA")]
    assert not list(settings.exchange_outbound.glob("*.uprmes"))
    assert (settings.exchange_outbound / "taken" / batch.name).exists()
    assert re.search(rf"{batch.name} \(№ 1\): CA, сообщений 1: AA 1, AE 0, AR 0", lines[0])

    person = lookup(settings, message.enp or "")
    assert person["surname"] == message.surname
    assert person["status"] == "insured"
    assert person["region_code"] == "50"
    assert person["smo_ogrn"] == message.insurance.smo_ogrn  # type: ignore[union-attr]
    assert person["doc_series"] == "46 20" and person["doc_type"] == 14
    found = client(settings).get(
        "/api/v1/persons",
        query_string={
            "surname": message.surname.lower(),
            "name": "елена",
            "birth_date": message.birth_date.isoformat(),
        },
    )
    assert [p["enp"] for p in found.get_json()["items"]] == [message.enp]
    versions = client(settings).get(f"/api/v1/persons/{message.enp}/history").get_json()["versions"]
    assert [(v["event_code"], v["valid_from"], v["valid_to"]) for v in versions] == [
        ("П01", "2026-11-20", None)
    ]


def test_an_edit_of_an_unknown_enp_is_rejected_with_41(region) -> None:
    settings, _ = region
    stranger = new_person()
    code, errors = _answer_one(settings, edit(
        {"surname": stranger.surname, "name": stranger.name, "patronymic": None,
         "birth_date": stranger.birth_date.isoformat(), "sex": 2, "enp": stranger.enp,
         "snils": None},
    ))  # fmt: skip
    assert code == "AR"
    assert [(e.app_code, e.position, e.severity) for e in errors] == [("41", "PID.3", "E")]
    assert errors[0].text.startswith("Застрахованное лицо не найдено в ФЕРЗЛ")


def test_identifiers_of_another_person_are_rejected_43_68_67(region) -> None:
    settings, enps = region
    other = lookup(settings, enps[0])
    by_enp = new_person(enp=other["enp"])
    by_snils = new_person(snils=other["snils"])
    by_doc = new_person(documents=(PersonDocument("14", other["doc_series"], other["doc_number"]),))
    all_three = new_person(
        enp=other["enp"],
        snils=other["snils"],
        documents=(
            PersonDocument("14", other["doc_series"].replace(" ", ""), other["doc_number"]),
        ),
    )
    batch = write_batch(settings, [by_enp, by_snils, by_doc, all_three])
    answer_pending(settings, log=lambda _: None)

    answers = application(settings, batch).answers
    assert [a.code for a in answers] == ["AR"] * 4
    assert [[e.app_code for e in a.errors] for a in answers] == [
        ["43"], ["68"], ["67"], ["43", "68", "67"],
    ]  # fmt: skip
    assert {e.position for a in answers for e in a.errors} == {"PID.3"}
    assert store_counts(settings)[0] == 3 + 4 + 40  # nothing was added


def test_the_seeded_twins_give_multiple_identification_69(region) -> None:
    settings, _ = region
    message = new_person(
        surname="Двойников", name="Иван", patronymic="Петрович",
        birth_date=dt.date(1980, 5, 5), sex=1,
    )  # fmt: skip
    batch = write_batch(settings, [message])
    answer_pending(settings, log=lambda _: None)
    (answer,) = application(settings, batch).answers
    assert answer.code == "AR"
    assert is_multiple_identification(answer)
    assert special_enp(0) in answer.errors[0].text and special_enp(1) in answer.errors[0].text


def test_a_person_insured_in_another_region_moves_here_with_a_warning(region) -> None:
    settings, _ = region
    before = lookup(settings, special_enp(2))
    assert before["region_code"] != "50" and before["status"] == "insured"
    message = new_person(
        surname=before["surname"], name=before["name"], patronymic=before["patronymic"],
        birth_date=dt.date.fromisoformat(before["birth_date"]), sex=before["sex"],
        enp=before["enp"], snils=before["snils"],
        insurance=insurance(before["enp"], start=dt.date(2026, 11, 20)),
    )  # fmt: skip

    code, errors = _answer_one(settings, message)

    assert code == "AE"
    assert [(e.severity, e.position) for e in errors] == [("W", "IN1.15")]
    assert "прекращено 19.11.2026" in errors[0].text
    after = lookup(settings, before["enp"])
    assert (after["region_code"], after["status"], after["insurance_start"]) == (
        "50", "insured", "2026-11-20",
    )  # fmt: skip
    history = client(settings).get(f"/api/v1/persons/{before['enp']}/history").get_json()
    versions = history["versions"]
    assert [(v["event_code"], v["region_code"], v["insurance_end"]) for v in versions] == [
        ("П01", before["region_code"], None),
        ("П02", before["region_code"], "2026-11-19"),
        ("П01", "50", None),
    ]  # fmt: skip


def test_a_person_closed_in_another_region_registers_here(region) -> None:
    settings, _ = region
    before = lookup(settings, special_enp(3))
    assert before["status"] == "closed"
    message = new_person(
        surname=before["surname"], name=before["name"], patronymic=before["patronymic"],
        birth_date=dt.date.fromisoformat(before["birth_date"]), sex=before["sex"],
        enp=before["enp"],
    )  # fmt: skip
    assert _answer_one(settings, message) == ("AA", [])
    assert lookup(settings, before["enp"])["status"] == "insured"


def test_a_registration_of_a_person_insured_here_or_known_by_another_enp_is_refused(
    region,
) -> None:
    settings, enps = region
    here = lookup(settings, enps[1])
    again = edit(here, event="П01", insurance=insurance(here["enp"]))
    other_enp = new_person(
        surname=here["surname"], name=here["name"], patronymic=here["patronymic"],
        birth_date=dt.date.fromisoformat(here["birth_date"]), sex=here["sex"],
        snils=here["snils"],
    )  # fmt: skip
    batch = write_batch(settings, [again, other_enp])
    answer_pending(settings, log=lambda _: None)
    first, second = application(settings, batch).answers
    assert first.code == "AR" and first.errors[0].hl7_code == "205"
    assert "уже застраховано в регионе 50" in first.errors[0].text
    assert second.code == "AR" and f"с ЕНП {here['enp']}" in second.errors[0].text


def test_changes_apply_in_batch_order_as_new_history_versions(region) -> None:
    settings, _ = region
    born = new_person()
    person = {
        "surname": born.surname, "name": born.name, "patronymic": born.patronymic,
        "birth_date": born.birth_date.isoformat(), "sex": born.sex, "enp": born.enp,
        "snils": born.snils,
    }  # fmt: skip
    married = edit(person, surname="ЗАМУЖНЯЯ", application_date=dt.date(2026, 11, 22))
    closed = edit(
        {**person, "surname": "ЗАМУЖНЯЯ"},
        event="П02",
        application_date=dt.date(2026, 11, 23),
        insurance=insurance(born.enp or "", end=dt.date(2026, 11, 30)),
        zdr_reason="П021",
        zdr_date=dt.date(2026, 11, 30),
    )
    batch = write_batch(settings, [born, married, closed])
    answer_pending(settings, log=lambda _: None)

    assert [a.code for a in application(settings, batch).answers] == ["AA", "AA", "AA"]
    now = lookup(settings, born.enp or "")
    assert (now["surname"], now["status"], now["insurance_end"]) == (
        "ЗАМУЖНЯЯ", "closed", "2026-11-30",
    )  # fmt: skip
    assert now["doc_number"] == born.documents[0].number  # kept: absent from the edits
    versions = client(settings).get(f"/api/v1/persons/{born.enp}/history").get_json()["versions"]
    assert [(v["event_code"], v["surname"], v["valid_from"], v["valid_to"]) for v in versions] == [
        ("П01", born.surname, "2026-11-20", "2026-11-22"),
        ("П04", "ЗАМУЖНЯЯ", "2026-11-22", "2026-11-30"),
        ("П02", "ЗАМУЖНЯЯ", "2026-11-30", None),
    ]  # fmt: skip


def test_a_region_person_edit_keeps_the_seeded_history(region) -> None:
    settings, enps = region
    person = lookup(settings, enps[2])
    assert _answer_one(settings, edit(person, name="МАРИЯ")) == ("AA", [])
    versions = client(settings).get(f"/api/v1/persons/{enps[2]}/history").get_json()["versions"]
    assert [v["name"] for v in versions] == [person["name"], "МАРИЯ"]
    assert versions[0]["valid_to"] == versions[1]["valid_from"] == APPLIED.isoformat()


def test_a_repeated_batch_is_answered_identically_and_applied_once(region) -> None:
    settings, _ = region
    batch_id = str(uuid.uuid4())
    messages = [new_person(), new_person()]
    batch = write_batch(settings, messages, batch_id=batch_id)
    data = batch.read_bytes()
    answer_pending(settings, log=lambda _: None)
    first = {p.name: p.read_bytes() for p in settings.exchange_inbound.iterdir()}
    counts = store_counts(settings)
    for p in settings.exchange_inbound.iterdir():
        p.unlink()

    write_bytes(settings, batch_id, data)  # the very same file again
    lines: list[str] = []
    assert answer_pending(settings, log=lines.append) == 1
    assert {p.name: p.read_bytes() for p in settings.exchange_inbound.iterdir()} == first
    assert "повтор пакета № 1" in lines[0]

    # The same GUID rebuilt later (another creation time): still the stored answers.
    write_batch(settings, messages, batch_id=batch_id, created=CREATED + dt.timedelta(hours=1))
    answer_pending(settings, log=lambda _: None)
    assert {p.name: p.read_bytes() for p in settings.exchange_inbound.iterdir()} == first
    assert store_counts(settings) == counts
    assert (settings.exchange_outbound / "taken" / batch.name).exists()


def test_a_batch_that_is_not_xml_is_rejected_cr_40(region) -> None:
    settings, _ = region
    batch_id = str(uuid.uuid4())
    batch = write_bytes(settings, batch_id, b"<UPRMessageBatch><BHS>")
    lines: list[str] = []
    answer_pending(settings, log=lines.append)
    answer = transport(settings, batch)
    assert (answer.code, answer.batch_id) == ("CR", batch_id)
    assert [(e.app_code, e.severity) for e in answer.errors] == [("40", "E")]
    assert "XML" in answer.errors[0].text
    assert not (settings.exchange_inbound / f"{stem(batch)}.uprak2").exists()
    assert "CR 40" in lines[0]


def test_a_wrong_hash_is_an_error_ce_44_and_nothing_is_applied(region) -> None:
    settings, _ = region
    message = new_person()
    batch = write_batch(settings, [message], encoding="utf-8")
    data = re.sub(rb"<BTS\.3>[0-9A-F]{8}</BTS\.3>", b"<BTS.3>00000000</BTS.3>", batch.read_bytes())
    batch.write_bytes(data)
    answer_pending(settings, log=lambda _: None)
    answer = transport(settings, batch)
    assert answer.code == "CE"
    assert [e.app_code for e in answer.errors] == ["44"]
    assert client(settings).get(f"/api/v1/persons/{message.enp}").status_code == 404


def test_a_batch_of_another_region_is_rejected_cr_99(region) -> None:
    settings, _ = region
    batch = write_batch(settings, [new_person()], region="77")
    answer_pending(settings, log=lambda _: None)
    answer = transport(settings, batch)
    assert answer.code == "CR"
    assert [e.app_code for e in answer.errors] == ["99"]
    assert "региона 77" in answer.errors[0].text


def test_answers_are_written_atomically_and_tmp_files_are_ignored(region) -> None:
    settings, _ = region
    (settings.exchange_outbound / f"{OKATO}-{uuid.uuid4()}.uprmes.tmp").write_bytes(b"partial")
    (settings.exchange_outbound / "taken").mkdir(exist_ok=True)
    write_batch(settings, [new_person()])
    assert answer_pending(settings, log=lambda _: None) == 1
    names = sorted(p.name for p in settings.exchange_inbound.iterdir())
    assert len(names) == 2 and not [n for n in names if n.endswith(".tmp")]


def test_a_crash_after_the_commit_is_healed_at_the_next_start(region) -> None:
    settings, _ = region
    message = new_person()
    batch = write_batch(settings, [message])
    with Answerer(settings, log=lambda _: None) as answerer:
        answerer.answer_batch(batch.name, batch.read_bytes())  # committed, nothing written
    assert not list(settings.exchange_inbound.iterdir())
    assert lookup(settings, message.enp or "")["enp"] == message.enp

    # The next start sees the batch again (never moved) and the unwritten answers.
    assert answer_pending(settings, log=lambda _: None) == 1
    assert application(settings, batch).answers[0].code == "AA"
    assert transport(settings, batch).code == "CA"
    assert store_counts(settings)[0] == 3 + 4 + 40 + 1
