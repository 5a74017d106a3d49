"""«Просмотр состояния в ФЕРЗЛ»: mapping the central person, comparing, refreshing the register
from ФЕРЗЛ and sending the register's data to ФЕРЗЛ (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register import buffer, exchange
from register.buffer import RecordConflict, person_record
from register.db import transaction
from register.ferzl_state import (
    NOTHING_DIFFERS,
    REFRESH_NOTE,
    central_to_record,
    compare,
    differing,
    person_state,
    record_view,
    refresh_from_ferzl,
    send_to_ferzl,
)
from register.models import AuditLog, BufferRequest, Person, PersonVersion
from register.roles import AccessDenied
from register.validation import ValidationFailed
from tests.factories import OGRN, add_person, central_of, user

TODAY = dt.date(2024, 6, 3)


def _person(factory: sessionmaker[Session], **overrides: Any) -> Person:
    with transaction(factory) as s:
        person = add_person(s, **overrides)
        s.expunge(person)
        return person


def _actions(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# --- mapping and comparing ------------------------------------------------------------


def test_central_person_is_mapped_into_register_fields() -> None:
    central = {
        "enp": "5052410834000017",
        "surname": "ИВАНОВ",
        "smo_ogrn": "1027700005678",
        "region_code": "50",
        "status": "insured",
    }
    record = central_to_record(central, {v: k for k, v in OGRN.items()}, "50")
    assert record["smo_code"] == "50002" and record["note"] is None
    assert record["surname"] == "ИВАНОВ" and "name" not in record  # only what was sent

    elsewhere = central_to_record({**central, "region_code": "77"}, {}, "50")
    assert elsewhere["smo_code"] is None and elsewhere["region_code"] == "77"
    assert "другом субъекте РФ (код 77)" in elsewhere["note"]
    assert "1027700005678" in elsewhere["note"]

    unknown = central_to_record({**central, "smo_ogrn": "1111111111111"}, {}, "50")
    assert unknown["smo_code"] is None and "нет в справочнике" in unknown["note"]


def test_compare_ignores_writing_differences_and_marks_real_ones() -> None:
    register = {
        "enp": "5052410834000017",
        "surname": "Ёлкин",
        "name": "Пётр",
        "snils": "11223344595",
        "doc_type": 14,
        "doc_series": "45 12",
        "doc_number": "123456",
        "citizenship": "RUS",
        "birth_date": dt.date(1985, 7, 15),
        "mo_code": "500001",
        "phone": "+7 900 000-00-00",
        "smo_code": "50001",
    }
    central = {
        "enp": "5052410834000017",
        "surname": "ЕЛКИН",
        "name": "ПЕТР",
        "snils": "112-233-445 95",
        "doc_type": 14,
        "doc_series": "4512",
        "doc_number": "654321",
        "citizenship": "rus",
        "birth_date": dt.date(1985, 7, 16),
        "smo_code": "50001",
    }
    diffs = {d.field: d for d in compare(register, central)}
    assert differing(list(diffs.values())) == ["birth_date", "doc_number"]
    assert diffs["birth_date"].label == "Дата рождения"
    assert (diffs["doc_number"].left, diffs["doc_number"].right) == ("123456", "654321")
    # Regional-only fields are shown with no central value and never differ.
    for field in ("mo_code", "phone"):
        assert not diffs[field].compared and not diffs[field].differs
        assert diffs[field].right is None
    # A field ФЕРЗЛ did not send is not compared either.
    assert not diffs["policy_number"].compared and not diffs["policy_number"].differs
    assert diffs["status"].label == "Статус"


# --- reading and auditing --------------------------------------------------------------


def test_person_state_is_not_for_mo_operators(region: sessionmaker[Session]) -> None:
    person = _person(region)
    with transaction(region) as s:
        with pytest.raises(AccessDenied):
            person_state(s, user(s, "mo"), person.id)
        state = person_state(s, user(s, "smo2"), person.id)
        assert state is not None and state.pending is None and len(state.versions) == 1
        assert person_state(s, user(s, "tfoms"), 10**6) is None
        record_view(s, user(s, "smo2"), person.id, {"enp": person.enp, "outcome": "found"})
    with region() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "person.view_ferzl")).one()
        assert (entry.user_login, entry.object_id) == ("smo2", str(person.id))
        assert entry.details == {"enp": person.enp, "outcome": "found"}


# --- «Обновить данные в РСЕРЗ из ФЕРЗЛ» ---------------------------------------------------


def test_refresh_takes_the_central_values_through_an_applied_request(
    region: sessionmaker[Session],
) -> None:
    person = _person(region)
    central = central_of(
        person, patronymic="СЕРГЕЕВИЧ", snils="112-233-445 95", smo_ogrn=OGRN["50002"]
    )
    with transaction(region) as s:
        done = refresh_from_ferzl(
            s,
            user(s, "tfoms"),
            person.id,
            central,
            base_version=person.version,
            region_code="50",
            remote_addr="10.0.0.7",
            today=TODAY,
        )
        request_id = done.request.id
        assert done.fields == ["patronymic", "snils", "smo_code"]
    with region() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        assert (request.status, request.operation, request.event_code) == (
            buffer.ACCEPTED,
            "edit",
            "П04",
        )
        assert request.applied_at is not None and request.batch_id is None
        assert any(e["message"] == REFRESH_NOTE for e in request.errors)
        changed = s.get(Person, person.id)
        assert changed is not None
        assert (changed.patronymic, changed.snils, changed.smo_code) == (
            "СЕРГЕЕВИЧ",
            "11223344595",
            "50002",
        )
        assert changed.version == person.version + 1
        assert changed.mo_code == person.mo_code  # regional-only data kept
        latest = s.scalars(
            select(PersonVersion)
            .where(PersonVersion.person_id == person.id)
            .order_by(PersonVersion.change_seq.desc())
        ).first()
        assert latest is not None and latest.buffer_request_id == request_id
        assert latest.event_code == "П04"
        entry = s.scalars(
            select(AuditLog).where(AuditLog.action == "person.refresh_from_ferzl")
        ).one()
        assert entry.details["fields"] == ["patronymic", "snils", "smo_code"]
        assert entry.details["buffer_request_id"] == request_id
        assert entry.remote_addr == "10.0.0.7"
    assert {"buffer_request.create", "person.apply_forced", "person.refresh_from_ferzl"} <= set(
        _actions(region)
    )


def test_refresh_follows_a_death_registered_in_ferzl(region: sessionmaker[Session]) -> None:
    person = _person(region)
    death = dt.date(2024, 5, 20)
    central = central_of(person, status="deceased", death_date=death, insurance_end=death)
    with transaction(region) as s:
        refresh_from_ferzl(
            s,
            user(s, "tfoms"),
            person.id,
            central,
            base_version=person.version,
            region_code="50",
            today=TODAY,
        )
    with region() as s:
        changed = s.get(Person, person.id)
        assert changed is not None
        assert (changed.status, changed.death_date, changed.insurance_end) == (
            "deceased",
            death,
            death,
        )
        assert (changed.closure_reason, changed.closure_date) == ("П022", death)


def _refresh(
    factory: sessionmaker[Session],
    login: str,
    person: Person,
    central: dict[str, Any],
    base_version: int | None = -1,
) -> None:
    with transaction(factory) as s:
        refresh_from_ferzl(
            s,
            user(s, login),
            person.id,
            central,
            base_version=person.version if base_version == -1 else base_version,
            region_code="50",
            today=TODAY,
        )


def test_refresh_refusals_write_nothing(region: sessionmaker[Session]) -> None:
    person = _person(region)
    changed = central_of(person, surname="ПЕТРОВ")
    with pytest.raises(AccessDenied, match="ТФОМС"):
        _refresh(region, "smo1", person, changed)
    with pytest.raises(RecordConflict, match="изменены другим"):
        _refresh(region, "tfoms", person, changed, base_version=person.version + 5)
    with pytest.raises(ValidationFailed) as same:
        _refresh(region, "tfoms", person, central_of(person, surname=person.surname.lower()))
    assert same.value.errors[0].message == NOTHING_DIFFERS
    with pytest.raises(RecordConflict, match="другом субъекте РФ \\(код 77\\)"):
        _refresh(region, "tfoms", person, {**changed, "region_code": "77"})
    with pytest.raises(RecordConflict, match="нет в справочнике"):
        _refresh(region, "tfoms", person, {**changed, "smo_ogrn": "1111111111111"})
    with pytest.raises(RecordConflict, match="другим ЕНП"):
        _refresh(region, "tfoms", person, {**changed, "enp": "7700000000000000"})
    # The central data goes through the ФЛК like any edit: its messages, nothing bypassed.
    with pytest.raises(ValidationFailed) as flk_failed:
        _refresh(region, "tfoms", person, central_of(person, snils="123-456-789 00"))
    assert "snils" in flk_failed.value.by_field()
    with region() as s:
        assert s.scalar(select(BufferRequest.id)) is None
        assert s.get(Person, person.id).version == person.version  # type: ignore[union-attr]
    assert not {"buffer_request.create", "person.refresh_from_ferzl"} & set(_actions(region))


def test_refresh_waits_for_a_pending_request(region: sessionmaker[Session]) -> None:
    person = _person(region)
    with transaction(region) as s:
        pending = buffer.create_request(
            s,
            user(s, "smo1"),
            operation="edit",
            raw={"phone": "+7 900 123-45-67"},
            region_code="50",
            person_id=person.id,
            today=TODAY,
        )
        pending_id = pending.id
    with pytest.raises(RecordConflict, match=f"№ {pending_id}"):
        _refresh(region, "tfoms", person, central_of(person, surname="ПЕТРОВ"))


# --- «Отправить в ФЕРЗЛ» ----------------------------------------------------------------


def test_send_queues_the_current_data_to_go_at_once(region: sessionmaker[Session]) -> None:
    person = _person(region)
    with transaction(region) as s:
        request = send_to_ferzl(
            s,
            user(s, "smo1"),
            person.id,
            base_version=person.version,
            remote_addr="10.0.0.8",
            today=TODAY,
        )
        request_id = request.id
    with transaction(region) as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        assert (request.status, request.operation, request.event_code) == (
            buffer.FORMAT_CHECKED,
            "edit",
            "П04",
        )
        assert request.forced_at is not None and request.author_smo == "50001"
        assert request.base_person_version == person.version
        found = s.get(Person, person.id)
        assert found is not None
        assert buffer.record_from_json(request.proposed) == person_record(found)
        # The sender takes it first (forced), ahead of older queued requests.
        assert exchange.queue_state(s).forced == 1
        assert exchange.claim_requests(s, 10)[0].id == request_id
        entry = s.scalars(
            select(AuditLog).where(AuditLog.action == "buffer_request.send_to_ferzl")
        ).one()
        assert (entry.object_id, entry.details["person_id"]) == (str(request_id), person.id)
        s.rollback()
    # A second send waits for the first one's answer.
    with pytest.raises(RecordConflict, match=f"№ {request_id}"), transaction(region) as s:
        send_to_ferzl(s, user(s, "tfoms"), person.id, base_version=person.version, today=TODAY)


def test_send_refusals(region: sessionmaker[Session]) -> None:
    person = _person(region)  # insured by СМО 50001
    for login, error in (("smo2", AccessDenied), ("mo", AccessDenied), ("stat", AccessDenied)):
        with pytest.raises(error), transaction(region) as s:
            send_to_ferzl(s, user(s, login), person.id, base_version=person.version, today=TODAY)
    with pytest.raises(RecordConflict, match="изменены другим"), transaction(region) as s:
        send_to_ferzl(s, user(s, "tfoms"), person.id, base_version=99, today=TODAY)
    with pytest.raises(LookupError), transaction(region) as s:
        send_to_ferzl(s, user(s, "tfoms"), 10**6, base_version=1, today=TODAY)
    broken = _person(region, email="not-an-address")
    with pytest.raises(ValidationFailed) as failed, transaction(region) as s:
        send_to_ferzl(s, user(s, "tfoms"), broken.id, base_version=broken.version, today=TODAY)
    assert "email" in failed.value.by_field()
    with region() as s:
        assert s.scalar(select(BufferRequest.id)) is None
