"""Deterministic faults of the emulator's answers (docs/exchange.md «Faults»)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from ferzl.codec import BatchError, parse_application_answers
from ferzl.emulator.answering import Answerer, answer_pending, run_loop
from ferzl.emulator.faults import Faults, faults_from_env, parse_faults
from register.settings import Settings
from rserz.cli import main
from tests.ferzl.emulator_support import (
    OKATO,
    application,
    make_region,
    new_person,
    stem,
    transport,
    write_batch,
)


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_region(tmp_path, sqlite_url, persons=1)[0]


def _quiet(_: str) -> None:
    pass


def _inbound(settings: Settings) -> set[str]:
    return {p.name for p in settings.exchange_inbound.iterdir()}


def test_fault_texts_are_parsed_and_wrong_ones_explained_in_russian() -> None:
    assert parse_faults("delay=1.5, duplicate=3,reorder,malformed=5,unknown=7") == Faults(
        delay=1.5, duplicate=3, reorder=True, malformed=5, unknown=7
    )
    assert parse_faults("") == Faults() and not parse_faults(None)
    assert faults_from_env({"RSERZ_FERZL_FAULTS": "duplicate=2"}).duplicate == 2
    for text, fragment in [
        ("slow", "неизвестный сбой"),
        ("duplicate=0", "целое n ≥ 1"),
        ("delay=soon", "число секунд"),
        ("reorder=1", "без значения"),
        ("delay=inf", "конечное число секунд"),
        ("delay=nan", "конечное число секунд"),
        ("delay=-1", "не может быть отрицательным"),
        ("duplicate=" + "9" * 5000, "целое n ≥ 1"),
        ("unknown=٣", "целое n ≥ 1"),
    ]:
        with pytest.raises(ValueError, match=fragment):
            parse_faults(text)
    with pytest.raises(ValueError, match="конечное"):
        Faults(delay=float("inf"))
    result = CliRunner().invoke(main, ["ferzl-emulator", "--faults", "slow"])
    assert result.exit_code != 0 and "неизвестный сбой" in result.output


def test_duplicate_writes_every_nth_application_answer_twice(settings: Settings) -> None:
    batches = [write_batch(settings, [new_person()]) for _ in range(4)]
    for batch in batches:  # one at a time: the order taken is the order written
        answer_pending(settings, faults=Faults(duplicate=2), log=_quiet)
        assert transport(settings, batch).code == "CA"
    dups = sorted(n for n in _inbound(settings) if n.endswith(".dup.uprak2"))
    assert dups == sorted(f"{stem(b)}.dup.uprak2" for b in (batches[1], batches[3]))
    for b in (batches[1], batches[3]):
        dup = settings.exchange_inbound / f"{stem(b)}.dup.uprak2"
        assert dup.read_bytes() == (settings.exchange_inbound / f"{stem(b)}.uprak2").read_bytes()


def test_reorder_writes_the_application_answer_first_with_answers_reversed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [new_person(), new_person(), new_person()]
    batch = write_batch(settings, messages)
    written: list[str] = []
    original = Answerer._write

    def record(self: Answerer, name: str, content: bytes) -> None:
        written.append(name)
        original(self, name, content)

    monkeypatch.setattr(Answerer, "_write", record)
    answer_pending(settings, faults=Faults(reorder=True), log=_quiet)
    assert written == [f"{stem(batch)}.uprak2", f"{stem(batch)}.uprak1"]
    answers = application(settings, batch).answers
    assert [a.message_id for a in answers] == [m.message_id for m in reversed(messages)]


def test_malformed_sends_a_truncated_answer_then_the_correct_one(settings: Settings) -> None:
    batch = write_batch(settings, [new_person()])
    answer_pending(settings, faults=Faults(malformed=1), log=_quiet)
    with pytest.raises(BatchError) as info:
        application(settings, batch)
    assert info.value.code == 40
    assert application(settings, batch, ".resend").answers[0].code == "AA"


def test_unknown_adds_a_stray_answer_and_a_batch_nobody_sent(settings: Settings) -> None:
    message = new_person()
    batch = write_batch(settings, [message])
    answer_pending(settings, faults=Faults(unknown=1), log=_quiet)
    answers = application(settings, batch).answers
    assert len(answers) == 2 and answers[0].message_id == message.message_id
    assert answers[1].message_id != message.message_id
    strays = _inbound(settings) - {f"{stem(batch)}.uprak1", f"{stem(batch)}.uprak2"}
    (stray,) = strays
    assert stray.startswith(f"{OKATO}-") and stray.endswith(".uprak2")
    other = parse_application_answers((settings.exchange_inbound / stray).read_bytes())
    assert other.batch_id not in batch.name and len(other.answers) == 1


def test_delay_holds_the_answers_back_but_takes_the_batch(settings: Settings) -> None:
    batch = write_batch(settings, [new_person()])
    now = time.time()
    assert answer_pending(settings, faults=Faults(delay=30), now=now, log=_quiet) == 1
    assert not _inbound(settings)
    assert (settings.exchange_outbound / "taken" / batch.name).exists()
    answer_pending(settings, faults=Faults(delay=30), now=now + 29, log=_quiet)
    assert not _inbound(settings)
    answer_pending(settings, faults=Faults(delay=30), now=now + 31, log=_quiet)
    assert _inbound(settings) == {f"{stem(batch)}.uprak1", f"{stem(batch)}.uprak2"}


def test_batches_are_counted_across_restarts(settings: Settings) -> None:
    faults = Faults(duplicate=2, malformed=3)
    first = write_batch(settings, [new_person()])
    answer_pending(settings, faults=faults, log=_quiet)  # batch 1; the process then "restarts"
    second = write_batch(settings, [new_person()])
    lines: list[str] = []
    answer_pending(settings, faults=faults, log=lines.append)  # batch 2
    assert "(№ 2)" in lines[0] and "сбои: duplicate" in lines[0]
    assert f"{stem(second)}.dup.uprak2" in _inbound(settings)
    assert f"{stem(first)}.dup.uprak2" not in _inbound(settings)
    # A rejected batch counts too: the third batch taken is the malformed one.
    third = settings.exchange_outbound / f"{OKATO}-{uuid.uuid4()}.uprmes"
    third.write_bytes(b"not xml")
    answer_pending(settings, faults=faults, log=_quiet)
    assert transport(settings, third).code == "CR"
    fourth = write_batch(settings, [new_person()])
    answer_pending(settings, faults=faults, log=_quiet)
    assert f"{stem(fourth)}.dup.uprak2" in _inbound(settings)


def test_the_loop_answers_until_stopped(settings: Settings) -> None:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_loop,
        args=(settings, stop),
        kwargs={"faults": Faults(), "poll": 0.05, "log": _quiet},
    )
    thread.start()
    try:
        batch = write_batch(settings, [new_person()])
        deadline = time.monotonic() + 60
        target = settings.exchange_inbound / f"{stem(batch)}.uprak2"
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert application(settings, batch).answers[0].code == "AA"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
