"""The emulator answers change batches: identification, application, repeats, batch faults."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import sqlite3
import stat
import threading
import time
import uuid
from pathlib import Path

import pytest

from ferzl.codec import PersonDocument, is_multiple_identification
from ferzl.emulator import answering
from ferzl.emulator.answering import Answerer, answer_pending, run_loop
from ferzl.emulator.faults import Faults
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


def test_answers_are_written_atomically_and_tmp_files_are_ignored(
    region, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = region
    (settings.exchange_outbound / f"{OKATO}-{uuid.uuid4()}.uprmes.tmp").write_bytes(b"partial")
    (settings.exchange_outbound / "taken").mkdir(exist_ok=True)
    batch = write_batch(settings, [new_person()])
    real_fsync = os.fsync

    def fail_on_files(fd: int) -> None:  # the disk gives out after part of the file
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fail_on_files)
    with pytest.raises(OSError):
        answer_pending(settings, log=lambda _: None)
    assert not list(settings.exchange_inbound.iterdir())  # no target, no .tmp
    monkeypatch.setattr(os, "fsync", real_fsync)

    assert answer_pending(settings, log=lambda _: None) == 0  # taken already; now written
    names = sorted(p.name for p in settings.exchange_inbound.iterdir())
    assert names == [f"{stem(batch)}.uprak1", f"{stem(batch)}.uprak2"]
    assert transport(settings, batch).code == "CA"


def test_answer_files_and_their_folder_are_synced_before_marked_written(
    region, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = region
    write_batch(settings, [new_person()])
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        synced.append(kind + ":" + os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    with Answerer(settings, log=lambda _: None) as answerer:
        assert answerer.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        answerer.answer_pending()
    inbound = f"dir:{settings.exchange_inbound}"
    assert synced.count(inbound) == 2  # after each of the two answer files
    assert synced.index(inbound) > next(i for i, s in enumerate(synced) if ".uprak1" in s)


def _written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    written: list[str] = []
    original = Answerer._write

    def record(self: Answerer, name: str, content: bytes) -> None:
        written.append(name)
        original(self, name, content)

    monkeypatch.setattr(Answerer, "_write", record)
    return written


@pytest.mark.parametrize("faults", [Faults(), Faults(delay=30), Faults(malformed=1)])
def test_a_crash_after_the_commit_is_healed_at_the_next_start(
    region, monkeypatch: pytest.MonkeyPatch, faults: Faults
) -> None:
    settings, _ = region
    message = new_person()
    batch = write_batch(settings, [message])
    written = _written(monkeypatch)
    now = time.time()
    with Answerer(settings, faults=faults, log=lambda _: None) as answerer:
        answerer.answer_batch(batch.name, batch.read_bytes(), now=now)  # committed, not moved
    assert not list(settings.exchange_inbound.iterdir())
    assert lookup(settings, message.enp or "")["enp"] == message.enp

    # The next start sees the batch again (never moved) and the unwritten answers.
    lines: list[str] = []
    assert answer_pending(settings, faults=faults, now=now, log=lines.append) == 1
    assert (settings.exchange_outbound / "taken" / batch.name).exists()
    assert not any("повтор" in line for line in lines)
    if faults.delay:
        assert not written  # still held back
        answer_pending(settings, faults=faults, now=now + 31, log=lines.append)
    expected = [f"{stem(batch)}.uprak1", f"{stem(batch)}.uprak2"]
    if faults.malformed:
        expected.append(f"{stem(batch)}.resend.uprak2")
    assert sorted(written) == sorted(expected)  # each file once
    assert (
        application(settings, batch, ".resend" if faults.malformed else "").answers[0].code == "AA"
    )
    assert transport(settings, batch).code == "CA"
    assert store_counts(settings)[0] == 3 + 4 + 40 + 1


# ----------------------------------------------------------------- no file stops the queue


def test_a_count_of_thousands_of_digits_is_ce_43_and_the_queue_goes_on(region) -> None:
    settings, _ = region
    batch_id = str(uuid.uuid4())
    data = write_batch(settings, [new_person()], batch_id=batch_id).read_bytes()
    write_bytes(settings, batch_id, re.sub(rb"<BTS\.1>1</BTS\.1>", b"<BTS.1>" + b"9" * 5000 +
                                           b"</BTS.1>", data))  # fmt: skip
    after = write_batch(settings, [new_person()])
    assert answer_pending(settings, log=lambda _: None) == 2
    answer = transport(
        settings, settings.exchange_outbound / "taken" / f"{OKATO}-{batch_id}.uprmes"
    )
    assert (answer.code, answer.batch_id, answer.errors[0].app_code) == ("CE", batch_id, "43")
    assert transport(settings, after).code == "CA"


def test_an_unreadable_file_is_refused_cr_99_and_set_aside(
    region, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = region
    blocked = write_batch(settings, [new_person()])
    after = write_batch(settings, [new_person()])
    real_read = Path.read_bytes

    def read(self: Path) -> bytes:
        if self.name == blocked.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read)
    lines: list[str] = []
    assert answer_pending(settings, log=lines.append) == 2
    answer = transport(settings, blocked)
    assert (answer.code, answer.batch_id) == ("CR", stem(blocked).split("-", 1)[1])
    assert answer.errors[0].app_code == "99"
    assert "не удалось прочитать" in answer.errors[0].text
    assert (settings.exchange_outbound / "bad" / blocked.name).exists()
    assert transport(settings, after).code == "CA"
    assert answer_pending(settings, log=lines.append) == 0
    assert [line for line in lines if "CR 99" in line] and len(lines) == 2


def test_an_unforeseen_fault_of_the_reading_is_cr_99_once(
    region, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = region
    batch = write_batch(settings, [new_person()])

    def broken(data: bytes) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(answering, "parse_batch", broken)
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=run_loop,
        args=(settings, stop),
        kwargs={"faults": Faults(), "poll": 0.01, "log": lines.append},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (settings.exchange_outbound / "taken" / batch.name).exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.1)  # a few more polls: nothing is taken again
    finally:
        stop.set()
        thread.join(10)
    answer = transport(settings, batch)
    assert (answer.code, answer.errors[0].app_code) == ("CR", "99")
    assert "внутренняя ошибка ЦС при чтении пакета" in answer.errors[0].text
    assert len([line for line in lines if "(№" in line]) == 1


def test_a_batch_whose_answering_keeps_failing_is_refused_after_three_attempts(
    region, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = region
    batch = write_batch(settings, [new_person()])

    def broken(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Answerer, "_plan", broken)
    lines: list[str] = []
    with Answerer(settings, log=lines.append) as answerer:
        assert [answerer.answer_pending() for _ in range(4)] == [0, 0, 1, 0]
    assert (settings.exchange_outbound / "bad" / batch.name).exists()
    answer = transport(settings, batch)
    assert (answer.code, answer.errors[0].app_code) == ("CR", "99")
    assert len([line for line in lines if "попытка" in line]) == 3
    assert store_counts(settings)[0] == 3 + 4 + 40  # nothing applied


# --------------------------------------------------------------------------- batch ids


def test_an_error_answer_names_the_batch_id_read_from_the_content(region) -> None:
    settings, _ = region
    inside = str(uuid.uuid4())
    data = write_batch(settings, [new_person()], batch_id=inside).read_bytes()
    (settings.exchange_outbound / f"{OKATO}-{inside}.uprmes").unlink()
    named = str(uuid.uuid4())
    batch = write_bytes(settings, named, re.sub(rb"<BTS\.3>[0-9A-F]{8}", b"<BTS.3>00000000",
                                                data))  # fmt: skip
    answer_pending(settings, log=lambda _: None)
    answer = transport(settings, batch)
    assert (answer.code, answer.batch_id, answer.errors[0].app_code) == ("CE", inside, "44")


def test_two_broken_files_alike_get_each_its_own_answer(region) -> None:
    settings, _ = region
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    write_bytes(settings, first, b"")
    answer_pending(settings, log=lambda _: None)
    batch = write_bytes(settings, second, b"")
    answer_pending(settings, log=lambda _: None)
    assert transport(settings, batch).batch_id == second
    assert transport(settings, batch).errors[0].app_code == "40"


def test_a_batch_sent_again_with_its_guid_in_upper_case_is_a_repeat(region) -> None:
    settings, _ = region
    batch_id = str(uuid.uuid4())
    messages = [new_person()]
    write_batch(settings, messages, batch_id=batch_id)
    answer_pending(settings, log=lambda _: None)
    counts = store_counts(settings)
    again = write_batch(settings, messages, batch_id=batch_id.upper())
    lines: list[str] = []
    answer_pending(settings, log=lines.append)
    assert "повтор пакета № 1" in lines[0]
    assert store_counts(settings) == counts
    assert application(settings, again).answers[0].code == "AA"
