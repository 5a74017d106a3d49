"""What answers of the central segment do to the buffer (register.exchange), on both backends."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from register import buffer, exchange
from register.buffer import create_request
from register.db import transaction
from register.exchange import AnswerError, AnswerOutcome
from register.models import (
    AuditLog,
    BufferRequest,
    ExchangeBatch,
    ExchangeEvent,
    ExchangeMessage,
    Person,
    PersonVersion,
    utcnow,
)
from tests.factories import add_person, user

TODAY = dt.date(2026, 11, 25)
NEW_PERSON = {
    "surname": "Петрова",
    "name": "Анна",
    "patronymic": "Сергеевна",
    "sex": "2",
    "birth_date": "03.02.1979",
    "snils": "123-456-789 64",
    "doc_type": "14",
    "doc_series": "4603",
    "doc_number": "123456",
    "doc_issue_date": "10.03.1999",
    "smo_code": "50001",
    "insurance_start": "01.11.2026",
    "policy_form": "Э",
    "mo_code": "500001",
}


def _register(factory: sessionmaker[Session], **changes: str) -> int:
    with transaction(factory) as s:
        return create_request(
            s,
            user(s, "tfoms"),
            operation="register",
            raw={**NEW_PERSON, **changes},
            region_code="50",
            today=TODAY,
        ).id


def _send(factory: sessionmaker[Session], limit: int = 100) -> tuple[str, dict[int, str]]:
    """Claim, prepare and mark sent, as the sender does; returns batch id and message ids."""
    batch_id = str(uuid.uuid4())
    with transaction(factory) as s:
        claimed = exchange.claim_requests(s, limit)
        ids = [str(uuid.uuid4()) for _ in claimed]
        exchange.prepare_batch(
            s,
            claimed,
            batch_id=batch_id,
            file_name=f"46000-{batch_id}.uprmes",
            message_ids=ids,
            created_at=utcnow(),
        )
        messages = {r.id: m for r, m in zip(claimed, ids, strict=True)}
    with transaction(factory) as s:
        exchange.mark_batch_sent(s, batch_id, sha256="0" * 64, message_count=len(ids))
    return batch_id, messages


def _answer(
    factory: sessionmaker[Session], batch_id: str, message_id: str, code: str, *errors: AnswerError
) -> AnswerOutcome:
    outcome = AnswerOutcome()
    with transaction(factory) as s:
        exchange.record_change_answers(
            s,
            batch_id=batch_id,
            answers=[exchange.ChangeAnswerIn(message_id, code, errors)],
            file_name="a.uprak2",
            outcome=outcome,
        )
    return outcome


def _request(factory: sessionmaker[Session], request_id: int) -> BufferRequest:
    with factory() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        return request


def _events(factory: sessionmaker[Session], kind: str) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).where(ExchangeEvent.kind == kind)) or 0


def test_claim_takes_forced_first_and_respects_the_limit(region: sessionmaker[Session]) -> None:
    first = _register(region)
    second = _register(region, snils="", doc_number="654321", surname="Сидорова")
    with transaction(region) as s:
        buffer.force_send(s, user(s, "tfoms"), second)
    with transaction(region) as s:
        claimed = exchange.claim_requests(s, 1)
        assert [r.id for r in claimed] == [second]
    with region() as s:
        state = exchange.queue_state(s)
        assert [r.id for r in exchange.claim_requests(s, 10)] == [second, first]
    assert state.queued == 2 and state.forced == 1
    assert exchange.sending_due(state, batch_size=100, delay_seconds=3600, now=utcnow())


def test_sending_due_waits_for_a_full_batch_or_the_delay() -> None:
    now = utcnow()
    young = exchange.QueueState(queued=5, forced=0, oldest=now - dt.timedelta(seconds=5))
    assert not exchange.sending_due(young, batch_size=10, delay_seconds=30, now=now)
    assert exchange.sending_due(young, batch_size=5, delay_seconds=30, now=now)
    old = exchange.QueueState(queued=1, forced=0, oldest=now - dt.timedelta(seconds=31))
    assert exchange.sending_due(old, batch_size=10, delay_seconds=30, now=now)
    empty = exchange.QueueState(queued=0, forced=0, oldest=None)
    assert not exchange.sending_due(empty, batch_size=1, delay_seconds=0, now=now)


def test_prepared_then_sent(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    batch_id, messages = _send(region)
    request = _request(region, request_id)
    assert request.status == buffer.SENT and request.sent_at is not None
    assert request.batch_id == batch_id and request.message_id == messages[request_id]
    with region() as s:
        assert exchange.prepared_batches(s) == []
        batch = s.get(ExchangeBatch, batch_id)
        assert batch is not None and batch.state == exchange.SENT
        # The same request is not claimed twice.
        assert exchange.claim_requests(s, 10) == []


def test_accepted_answer_applies_once(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    batch_id, messages = _send(region)
    outcome = _answer(region, batch_id, messages[request_id], "AA")
    assert outcome.applied == 1
    request = _request(region, request_id)
    assert request.status == buffer.ACCEPTED and request.applied_at is not None
    assert buffer.colour(request.status) == "green"
    again = _answer(region, batch_id, messages[request_id], "AA")
    assert again.repeated == 1 and again.applied == 0
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        assert s.scalar(select(func.count()).select_from(PersonVersion)) == 1
        message = s.scalar(select(ExchangeMessage))
        assert message is not None and message.answer_count == 2
        assert message.person_id == request.person_id
        audits = s.scalar(select(func.count()).where(AuditLog.action == "person.apply"))
        assert audits == 1
    assert _events(region, "repeat_answer") == 1


def test_contradicting_repeat_keeps_the_first_answer(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    batch_id, messages = _send(region)
    _answer(region, batch_id, messages[request_id], "AA")
    _answer(region, batch_id, messages[request_id], "AR", AnswerError("нет", code="41"))
    assert _request(region, request_id).status == buffer.ACCEPTED
    with region() as s:
        event = s.scalar(select(ExchangeEvent).where(ExchangeEvent.kind == "repeat_answer"))
        assert event is not None and event.level == exchange.WARNING
        assert "оставлен он" in event.text


def test_rejection_and_multiple_identification(region: sessionmaker[Session]) -> None:
    rejected = _register(region)
    multiple = _register(region, snils="", doc_number="654321", surname="Сидорова")
    batch_id, messages = _send(region)
    _answer(
        region,
        batch_id,
        messages[rejected],
        "AR",
        AnswerError("СНИЛС принадлежит другому застрахованному лицу", code="68", position="PID.3"),
    )
    _answer(region, batch_id, messages[multiple], "AR", AnswerError("Найден дубликат", code="69"))
    first, second = _request(region, rejected), _request(region, multiple)
    assert first.status == buffer.REJECTED and buffer.colour(first.status) == "red"
    assert first.errors[0]["message"].startswith("СНИЛС принадлежит")
    assert first.errors[0]["position"] == "PID.3" and first.errors[0]["field"] == "snils"
    assert second.status == buffer.MULTIPLE and buffer.colour(second.status) == "yellow"
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_resent_request_ignores_the_late_answer_to_the_first_send(
    region: sessionmaker[Session],
) -> None:
    request_id = _register(region)
    batch_id, messages = _send(region)
    _answer(region, batch_id, messages[request_id], "AR", AnswerError("ошибка", code="41"))
    with transaction(region) as s:
        buffer.resend_request(
            s, user(s, "tfoms"), request_id, raw={"name": "Анна"}, region_code="50", today=TODAY
        )
    second_batch, second_messages = _send(region)
    assert second_messages[request_id] != messages[request_id]
    # A delayed copy of the first answer must not touch the resent request.
    late = _answer(region, batch_id, messages[request_id], "AA")
    assert late.repeated == 1
    assert _request(region, request_id).status == buffer.SENT
    _answer(region, second_batch, second_messages[request_id], "AA")
    assert _request(region, request_id).status == buffer.ACCEPTED


def test_unknown_message_and_deleted_request_are_journalled(
    region: sessionmaker[Session],
) -> None:
    request_id = _register(region)
    batch_id, messages = _send(region)
    unknown = _answer(region, batch_id, str(uuid.uuid4()), "AA")
    assert unknown.unknown == 1 and _events(region, "unknown_message") == 1
    with transaction(region) as s:
        buffer.delete_request(s, user(s, "tfoms"), request_id)
    late = _answer(region, batch_id, messages[request_id], "AA")
    assert late.late == 1 and _events(region, "request_deleted") == 1
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        message = s.scalar(select(ExchangeMessage))
        assert message is not None and message.answer_code == "AA"


def test_transport_answers(region: sessionmaker[Session]) -> None:
    accepted = _register(region)
    batch_ok, _ = _send(region)
    refused = _register(region, snils="", doc_number="654321", surname="Сидорова")
    batch_bad, _ = _send(region)
    with transaction(region) as s:
        exchange.record_transport_answer(
            s, batch_id=batch_ok, code="CA", errors=[], file_name="x.uprak1"
        )
        exchange.record_transport_answer(
            s,
            batch_id=batch_bad,
            code="CR",
            errors=[AnswerError("Не совпадает контрольная сумма", code="44")],
            file_name="y.uprak1",
        )
        repeat = exchange.record_transport_answer(
            s, batch_id=batch_ok, code="CA", errors=[], file_name="x2.uprak1"
        )
        unknown = exchange.record_transport_answer(
            s, batch_id=str(uuid.uuid4()), code="CA", errors=[], file_name="z.uprak1"
        )
    assert repeat.repeated == 1 and unknown.unknown == 1
    assert _request(region, accepted).status == buffer.TRANSPORT_ACCEPTED
    bad = _request(region, refused)
    assert bad.status == buffer.TRANSPORT_ERROR and "контрольная сумма" in bad.errors[0]["message"]
    # Forcing it again puts it back into the queue under a new message id.
    with transaction(region) as s:
        buffer.force_send(s, user(s, "tfoms"), refused)
    again = _request(region, refused)
    assert again.status == buffer.FORMAT_CHECKED and again.batch_id is None
    with region() as s:
        assert [r.id for r in exchange.claim_requests(s, 10)] == [refused]


def test_application_answer_before_the_transport_answer(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    batch_id, messages = _send(region)
    _answer(region, batch_id, messages[request_id], "AA")
    with transaction(region) as s:
        exchange.record_transport_answer(
            s, batch_id=batch_id, code="CA", errors=[], file_name="late.uprak1"
        )
    assert _request(region, request_id).status == buffer.ACCEPTED


def test_answer_file_is_claimed_once(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        assert exchange.register_answer_file(
            s, sha256="a" * 64, file_name="f.uprak2", kind="uprak2", batch_id=None
        )
    with transaction(region) as s:
        assert not exchange.register_answer_file(
            s, sha256="a" * 64, file_name="g.uprak2", kind="uprak2", batch_id=None
        )
        assert exchange.known_answer_file_name(s, "a" * 64) == "f.uprak2"
    assert _events(region, "repeat_file") == 1


def test_messages_for_person_follow_the_buffer_rights(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        person = add_person(s)
        person_id = person.id
        buffer_request = create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"phone": "+79001234567"},
            person_id=person_id,
            region_code="50",
            today=TODAY,
        )
        request_id = buffer_request.id
    batch_id, messages = _send(region)
    _answer(region, batch_id, messages[request_id], "AA")
    with region() as s:
        views = exchange.messages_for_person(s, user(s, "tfoms"), person_id)
        assert [v.message.message_id for v in views] == [messages[request_id]]
        assert views[0].answer_label == "Принято"
        assert exchange.messages_for_person(s, user(s, "smo2"), person_id) == []
        with pytest.raises(exchange.AccessDenied):
            exchange.messages_for_person(s, user(s, "mo"), person_id)


def _transport_error(factory: sessionmaker[Session], batch_id: str) -> None:
    with transaction(factory) as s:
        exchange.record_transport_answer(
            s,
            batch_id=batch_id,
            code="CR",
            errors=[AnswerError("Нарушена структура пакета", code="41")],
            file_name="t.uprak1",
        )


def test_late_answer_to_a_batch_sent_again_after_a_transport_error(
    region: sessionmaker[Session],
) -> None:
    request_id = _register(region)
    first_batch, first_messages = _send(region)
    _transport_error(region, first_batch)
    with transaction(region) as s:
        buffer.force_send(s, user(s, "tfoms"), request_id)
    forced = _request(region, request_id)
    assert forced.status == buffer.FORMAT_CHECKED and forced.errors == []
    second_batch, second_messages = _send(region)
    # The central segment answers the first batch after all: journalled, nothing applied.
    stray = _answer(region, first_batch, first_messages[request_id], "AA")
    assert stray.applied == 0
    assert _events(region, "answer_after_transport_error") == 1
    assert _request(region, request_id).status == buffer.SENT
    _answer(region, second_batch, second_messages[request_id], "AA")
    assert _request(region, request_id).status == buffer.ACCEPTED


def test_late_answer_to_an_earlier_send_changes_nothing(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    first_batch, first_messages = _send(region)
    with transaction(region) as s:  # sent, yet no answer: the operator's ТФОМС resends it
        request = s.get(BufferRequest, request_id)
        assert request is not None
        request.status = buffer.REJECTED
    with transaction(region) as s:
        buffer.resend_request(
            s, user(s, "tfoms"), request_id, raw={"name": "Анна"}, region_code="50", today=TODAY
        )
    _send(region)
    late = _answer(region, first_batch, first_messages[request_id], "AA")
    assert late.late == 1 and late.applied == 0
    assert _events(region, "late_answer") == 1
    assert _request(region, request_id).status == buffer.SENT


def test_forcing_a_request_while_another_of_the_person_waits_is_refused(
    region: sessionmaker[Session],
) -> None:
    with transaction(region) as s:
        person_id = add_person(s).id
    with transaction(region) as s:
        first = create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"phone": "+79001234567"},
            person_id=person_id,
            region_code="50",
            today=TODAY,
        ).id
    batch_id, _ = _send(region)
    _transport_error(region, batch_id)  # finished with an error: a new change may be made
    with transaction(region) as s:
        second = create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"phone": "+79007654321"},
            person_id=person_id,
            region_code="50",
            today=TODAY,
        ).id
    with pytest.raises(buffer.RecordConflict, match=f"№ {second}"), transaction(region) as s:
        buffer.force_send(s, user(s, "tfoms"), first)
    with pytest.raises(buffer.RecordConflict, match=f"№ {second}"), transaction(region) as s:
        buffer.resend_request(
            s, user(s, "tfoms"), first, raw={"phone": "+79001234567"}, region_code="50"
        )
    assert _request(region, first).status == buffer.TRANSPORT_ERROR
