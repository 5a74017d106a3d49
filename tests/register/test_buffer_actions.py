"""Operator actions on buffer requests: correct and resend, delete, force sending."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from register import buffer
from register.buffer import (
    BufferQuery,
    RecordConflict,
    delete_request,
    force_send,
    get_request,
    list_requests,
    resend_request,
)
from register.db import transaction
from register.enp import validate_enp
from register.models import AuditLog, BufferRequest
from register.roles import AccessDenied
from register.validation import ValidationFailed
from tests.factories import user
from tests.register.test_buffer import TODAY, _register


def _set_status(factory: sessionmaker[Session], request_id: int, status: str) -> None:
    with transaction(factory) as s:
        req = s.get(BufferRequest, request_id)
        assert req is not None
        req.status = status
        req.errors = [{"field": "snils", "message": "СНИЛС принадлежит другому ЗЛ"}]
        req.message_id = "11111111-2222-3333-4444-555555555555"


def test_rejected_registration_is_corrected_and_queued_again(
    region: sessionmaker[Session],
) -> None:
    request_id = _register(region, login="smo1")
    _set_status(region, request_id, buffer.REJECTED)
    with pytest.raises(ValidationFailed) as failure, transaction(region) as s:
        resend_request(
            s,
            user(s, "smo1"),
            request_id,
            raw={"snils": "123-456-789 65"},
            region_code="50",
            today=TODAY,
        )
    assert "snils" in failure.value.by_field()
    with transaction(region) as s:
        req = resend_request(
            s,
            user(s, "smo1"),
            request_id,
            raw={"snils": "112-233-445 95"},
            region_code="50",
            today=TODAY,
        )
        assert req.status == buffer.FORMAT_CHECKED and req.errors == []
        assert req.message_id is None and req.proposed["snils"] == "11223344595"
        assert req.proposed["surname"] == "Петрова"  # the rest of the proposal kept
    with region() as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "buffer_request.resend"))


def test_resend_refuses_unfinished_other_smo_and_stale(region: sessionmaker[Session]) -> None:
    request_id = _register(region, login="smo1")
    with pytest.raises(RecordConflict, match="с ошибкой"), transaction(region) as s:
        resend_request(s, user(s, "smo1"), request_id, raw={}, region_code="50", today=TODAY)
    _set_status(region, request_id, buffer.REJECTED)
    with pytest.raises(LookupError), transaction(region) as s:
        resend_request(s, user(s, "smo2"), request_id, raw={}, region_code="50", today=TODAY)
    with pytest.raises(RecordConflict, match="изменён другим"), transaction(region) as s:
        resend_request(
            s, user(s, "smo1"), request_id, raw={}, region_code="50", version=1, today=TODAY
        )


def test_changing_birth_date_on_resend_gives_a_matching_enp(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    _set_status(region, request_id, buffer.REJECTED)
    with transaction(region) as s:
        req = resend_request(
            s,
            user(s, "tfoms"),
            request_id,
            raw={"birth_date": "04.02.1979"},
            region_code="50",
            today=TODAY,
        )
        assert req.enp is not None
        assert not validate_enp(req.enp, birth_date=dt.date(1979, 2, 4), sex=2)


def test_delete_is_tfoms_only_irreversible_and_audited(region: sessionmaker[Session]) -> None:
    request_id = _register(region, login="smo1")
    with pytest.raises(AccessDenied), transaction(region) as s:
        delete_request(s, user(s, "smo1"), request_id)
    with transaction(region) as s:
        delete_request(s, user(s, "tfoms"), request_id)
    with region() as s:
        assert s.get(BufferRequest, request_id) is None
        row = s.scalars(select(AuditLog).where(AuditLog.action == "buffer_request.delete")).one()
        assert row.details and row.details["proposed"]["surname"] == "Петрова"


def test_applied_request_cannot_be_deleted(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    with transaction(region) as s:
        buffer.apply_request(s, request_id)
    with pytest.raises(RecordConflict), transaction(region) as s:
        delete_request(s, user(s, "tfoms"), request_id)


def test_force_send(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    with pytest.raises(AccessDenied), transaction(region) as s:
        force_send(s, user(s, "smo1"), request_id)
    with transaction(region) as s:
        assert force_send(s, user(s, "tfoms"), request_id).forced_at is not None
    _set_status(region, request_id, buffer.ACCEPTED)
    with pytest.raises(RecordConflict, match="Принят"), transaction(region) as s:
        force_send(s, user(s, "tfoms"), request_id)


def test_listing_filters_and_visibility(region: sessionmaker[Session]) -> None:
    mine = _register(region, login="smo1")
    other = _register(region, login="tfoms", surname="Кузнецова", doc_number="222222", snils="")
    _set_status(region, other, buffer.ACCEPTED)
    with region() as s:
        smo1, tfoms = user(s, "smo1"), user(s, "tfoms")
        rows, _ = list_requests(s, smo1, BufferQuery(buffer_type=1))
        assert [r.id for r in rows] == [mine]
        assert get_request(s, smo1, other) is None
        rows, _ = list_requests(s, tfoms, BufferQuery(buffer_type=1, hide_finished=True))
        assert [r.id for r in rows] == [mine]
        rows, _ = list_requests(s, tfoms, BufferQuery(buffer_type=1, surname="кузн"))
        assert [r.id for r in rows] == [other]
        rows, _ = list_requests(s, tfoms, BufferQuery(buffer_type=1, author_login="SMO1"))
        assert [r.id for r in rows] == [mine]
        today = dt.date.today()
        rows, _ = list_requests(
            s, tfoms, BufferQuery(buffer_type=1, created_from=today, created_to=today)
        )
        assert len(rows) == 2
        rows, _ = list_requests(s, tfoms, BufferQuery(buffer_type=2))
        assert rows == []
        with pytest.raises(AccessDenied):
            list_requests(s, user(s, "mo"), BufferQuery(buffer_type=1))
        assert s.scalar(select(func.count()).select_from(BufferRequest)) == 2
