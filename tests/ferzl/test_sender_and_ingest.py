"""The regional side of the exchange: batches out, answers in, and a crash at every step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ferzl import answer_ingest, sender
from ferzl.codec import parse_batch
from register import buffer, exchange
from register.buffer import create_request
from register.db import transaction
from register.models import BufferRequest, ExchangeBatch, ExchangeEvent, Person, PersonVersion
from register.roles import MO, SMO, TFOMS
from register.settings import Settings, load_settings
from tests.exchange_support import answer_batch_file
from tests.factories import make_user, seed_region, user

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def region(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(session_factory) as s:
        seed_region(s)
        make_user(s, "tfoms", TFOMS)
        make_user(s, "smo1", SMO, smo_code="50001")
        make_user(s, "mo", MO, mo_code="500001")
    return session_factory


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = load_settings({"RSERZ_DATA_DIR": str(tmp_path / "data"), "RSERZ_BATCH_SIZE": "2"})
    s.ensure_dirs()
    return s


def _register(factory: sessionmaker[Session], n: int, **changes: str) -> int:
    raw = {
        "surname": "Петрова",
        "name": "Анна",
        "patronymic": "Сергеевна",
        "sex": "2",
        "birth_date": "03.02.1979",
        "doc_type": "14",
        "doc_series": "4603",
        "doc_number": f"{123456 + n:06d}",
        "doc_issue_date": "10.03.1999",
        "smo_code": "50001",
        "insurance_start": "01.11.2026",
        "policy_form": "Э",
        "mo_code": "500001",
        "reg_okato": "46483000000",
        **changes,
    }
    with transaction(factory) as s:
        return create_request(
            s, user(s, "tfoms"), operation="register", raw=raw, region_code="50", today=TODAY
        ).id


def _requests(factory: sessionmaker[Session]) -> list[BufferRequest]:
    with factory() as s:
        return list(s.scalars(select(BufferRequest).order_by(BufferRequest.id)))


def _answer_batch(settings: Settings, path: Path, codes: dict[str, str] | None = None) -> None:
    answer_batch_file(settings.exchange_inbound, path, codes)


def test_requests_go_out_in_batches_and_come_back_applied(
    region: sessionmaker[Session], settings: Settings
) -> None:
    ids = [_register(region, n) for n in range(3)]
    report = sender.send_queued(region, settings)
    assert report.messages == 3 and len(report.batches) == 2  # batch size 2
    files = sorted(settings.exchange_outbound.glob("*.uprmes"))
    assert [f.name for f in files] == sorted(report.batches)
    assert all(f.name.startswith("46000-") for f in files)
    sent = {r.id: r for r in _requests(region)}
    assert {r.status for r in sent.values()} == {buffer.SENT}
    parsed = [parse_batch(f.read_bytes()) for f in files]
    by_message = {m.message_id: m for p in parsed for m in p.messages}
    first = by_message[sent[ids[0]].message_id or ""]
    assert first.event == "П01" and first.surname == "Петрова" and first.sex == 2
    assert first.enp == sent[ids[0]].enp
    assert first.insurance is not None and first.insurance.smo_ogrn == "1027700001234"
    assert first.documents[0].value == "46 03 № 123456"
    assert {p.header.batch_id for p in parsed} == {r.batch_id for r in sent.values()}

    first_batch_message = parsed[0].messages[0].message_id
    for f in files:
        _answer_batch(settings, f, codes={first_batch_message: "AR"})
    results, failures = answer_ingest.ingest_pending(region, settings)
    assert failures == []
    assert {r.outcome for r in results} == {"processed"}
    statuses = [r.status for r in _requests(region)]
    assert statuses.count(buffer.ACCEPTED) == 2 and statuses.count(buffer.MULTIPLE) == 1
    assert not list(settings.exchange_inbound.glob("*.uprak*"))
    assert len(list((settings.exchange_inbound / "done").glob("*.uprak*"))) == 4
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 2
    # Nothing more to send.
    assert sender.send_queued(region, settings).messages == 0


def test_repeated_and_unreadable_answer_files_change_nothing(
    region: sessionmaker[Session], settings: Settings
) -> None:
    _register(region, 0)
    sender.send_queued(region, settings)
    batch_file = next(settings.exchange_outbound.glob("*.uprmes"))
    _answer_batch(settings, batch_file)
    answer = settings.exchange_inbound / (batch_file.stem + ".uprak2")
    copy = answer.read_bytes()
    answer_ingest.ingest_pending(region, settings)
    settings.exchange_inbound.joinpath(batch_file.stem + ".dup.uprak2").write_bytes(copy)
    settings.exchange_inbound.joinpath("broken.uprak2").write_bytes(copy[: len(copy) // 2])
    hostile = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><UPRMessageBatch/>'
    settings.exchange_inbound.joinpath("hostile.uprak1").write_bytes(hostile)
    results = {r.file_name: r for r in answer_ingest.ingest_pending(region, settings)[0]}
    assert results[batch_file.stem + ".dup.uprak2"].outcome == "repeat"
    assert results["broken.uprak2"].outcome == "unreadable"
    assert results["hostile.uprak1"].outcome == "unreadable"
    assert "не прочитан" in results["broken.uprak2"].text()
    assert "повтор" in results[batch_file.stem + ".dup.uprak2"].text()
    assert (settings.exchange_inbound / "bad" / "broken.uprak2").exists()
    with region() as s:
        assert s.scalar(select(func.count()).select_from(PersonVersion)) == 1
        kinds = set(s.scalars(select(ExchangeEvent.kind)))
        assert {"repeat_file", "unreadable_file"} <= kinds
        texts = " ".join(s.scalars(select(ExchangeEvent.text)))
        assert "DOCTYPE" in texts


def test_request_the_protocol_cannot_carry_is_rejected_locally(
    region: sessionmaker[Session], settings: Settings
) -> None:
    request_id = _register(region, 0)
    with transaction(region) as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        request.proposed = {**request.proposed, "smo_code": "99999"}
    report = sender.send_queued(region, settings)
    assert report.refused == 1 and report.messages == 0
    with region() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None and request.status == buffer.REJECTED
        assert "99999" in request.errors[0]["message"]


def test_crash_before_the_file_is_written_is_healed_with_the_same_ids(
    region: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(region, 0)

    def power_cut(*_: object, **__: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(sender, "write_atomically", power_cut)
    with pytest.raises(KeyboardInterrupt):
        sender.send_queued(region, settings)
    (prepared,) = _requests(region)
    assert prepared.status == buffer.FORMAT_CHECKED and prepared.message_id
    assert not list(settings.exchange_outbound.glob("*.uprmes"))
    monkeypatch.undo()
    report = sender.send_queued(region, settings)
    assert report.recovered == 1 and report.messages == 1
    (sent,) = _requests(region)
    assert sent.status == buffer.SENT and sent.message_id == prepared.message_id
    (file,) = settings.exchange_outbound.glob("*.uprmes")
    assert parse_batch(file.read_bytes()).messages[0].message_id == prepared.message_id
    with region() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeBatch)) == 1


def test_crash_after_the_file_is_written_rewrites_the_same_batch(
    region: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(region, 0)

    def power_cut(*_: object, **__: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(exchange, "mark_batch_sent", power_cut)
    with pytest.raises(KeyboardInterrupt):
        sender.send_queued(region, settings)
    (file,) = settings.exchange_outbound.glob("*.uprmes")
    first_bytes = file.read_bytes()
    monkeypatch.undo()
    sender.send_queued(region, settings)
    (again,) = settings.exchange_outbound.glob("*.uprmes")
    assert again.read_bytes() == first_bytes  # same GUIDs, same content
    assert _requests(region)[0].status == buffer.SENT


def test_crash_in_the_middle_of_an_answer_file_applies_nothing_then_all_once(
    region: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(region, 0)
    _register(region, 1)
    sender.send_queued(region, settings)
    (batch_file,) = settings.exchange_outbound.glob("*.uprmes")
    _answer_batch(settings, batch_file)
    settings.exchange_inbound.joinpath(batch_file.stem + ".uprak1").unlink()
    real = buffer.apply_requests

    def dies_after_applying(*args: object, **kwargs: object) -> None:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt("killed before the commit")

    monkeypatch.setattr(buffer, "apply_requests", dies_after_applying)
    with pytest.raises(KeyboardInterrupt):
        answer_ingest.ingest_pending(region, settings)
    assert {r.status for r in _requests(region)} == {buffer.SENT}
    assert list(settings.exchange_inbound.glob("*.uprak2"))  # still waiting
    monkeypatch.undo()
    answer_ingest.ingest_pending(region, settings)
    assert {r.status for r in _requests(region)} == {buffer.ACCEPTED}
    with region() as s:
        assert s.scalar(select(func.count()).select_from(PersonVersion)) == 2


def test_a_file_that_fails_stays_and_does_not_hold_up_the_others(
    region: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(region, 0)
    sender.send_queued(region, settings)
    (batch_file,) = settings.exchange_outbound.glob("*.uprmes")
    _answer_batch(settings, batch_file)
    real = answer_ingest.ingest_answer_bytes

    def busy_for_transport(session: Session, data: bytes, *, file_name: str, kind: str):  # type: ignore[no-untyped-def]
        if kind == "uprak1":
            raise RuntimeError("database is locked")
        return real(session, data, file_name=file_name, kind=kind)

    monkeypatch.setattr(answer_ingest, "ingest_answer_bytes", busy_for_transport)
    results, failures = answer_ingest.ingest_pending(region, settings)
    assert [r.outcome for r in results] == ["processed"]
    assert len(failures) == 1 and "database is locked" in failures[0]
    assert "обработан" in results[0].text() and "применено: 1" in results[0].text()
    assert (settings.exchange_inbound / (batch_file.stem + ".uprak1")).exists()
    assert _requests(region)[0].status == buffer.ACCEPTED
    monkeypatch.undo()
    results, failures = answer_ingest.ingest_pending(region, settings)
    assert failures == [] and [r.kind for r in results] == ["uprak1"]


def test_a_prepared_batch_that_can_no_longer_be_built_does_not_block_sending(
    region: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = _register(region, 0)

    def power_cut(*_: object, **__: object) -> None:
        raise KeyboardInterrupt("killed")

    with monkeypatch.context() as patched:
        patched.setattr(sender, "write_atomically", power_cut)
        with pytest.raises(KeyboardInterrupt):
            sender.send_queued(region, settings)
    with transaction(region) as s:  # meanwhile its data became unsendable
        request = s.get(BufferRequest, stuck)
        assert request is not None
        request.proposed = {**request.proposed, "smo_code": "99999"}
    later = _register(region, 1)
    report = sender.send_queued(region, settings)
    assert report.recovered == 1 and report.messages == 1
    statuses = {r.id: r.status for r in _requests(region)}
    assert statuses == {stuck: buffer.REJECTED, later: buffer.SENT}
    (file,) = settings.exchange_outbound.glob("*.uprmes")  # the empty batch wrote no file
    assert len(parse_batch(file.read_bytes()).messages) == 1
