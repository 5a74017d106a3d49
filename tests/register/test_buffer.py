"""Buffer requests: ФЛК, rights, conflicts, and applying a confirmed request."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from register import buffer
from register.buffer import RecordConflict, apply_request, create_request
from register.db import transaction
from register.enp import make_enp, validate_enp
from register.models import AuditLog, BufferRequest, Person, PersonVersion
from register.roles import AccessDenied
from register.validation import ValidationFailed
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


def _register(factory: sessionmaker[Session], login: str = "tfoms", **changes: str) -> int:
    with transaction(factory) as s:
        req = create_request(
            s,
            user(s, login),
            operation="register",
            raw={**NEW_PERSON, **changes},
            region_code="50",
            today=TODAY,
        )
        return req.id


def test_register_creates_request_and_nothing_else(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    with region() as s:
        req = s.get(BufferRequest, request_id)
        assert req is not None
        assert req.status == buffer.FORMAT_CHECKED
        assert req.event_code == "П01" and req.buffer_type == 1
        assert req.enp and not validate_enp(req.enp, birth_date=dt.date(1979, 2, 3), sex=2)
        assert req.proposed["snils"] == "12345678964"
        assert req.proposed["doc_series"] == "46 03"
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(AuditLog.action).where(AuditLog.object_id == str(req.id))) == (
            "buffer_request.create"
        )


def test_person_from_another_region_keeps_their_enp(region: sessionmaker[Session]) -> None:
    enp = make_enp("77", dt.date(1979, 2, 3), 2, 12)
    request_id = _register(region, enp=enp)
    with region() as s:
        req = s.get(BufferRequest, request_id)
        assert req is not None and req.enp == enp


def test_two_registrations_with_same_facet_get_different_enp(region: sessionmaker[Session]) -> None:
    first = _register(region)
    second = _register(region, snils="", doc_number="654321", name="Мария")
    with region() as s:
        a, b = s.get(BufferRequest, first), s.get(BufferRequest, second)
        assert a and b and a.enp[:10] == b.enp[:10] and a.enp != b.enp


@pytest.mark.parametrize(
    ("field", "value", "message_part"),
    [
        ("birth_date", "31.02.1990", "Несуществующая дата"),
        ("birth_date", "01.01.2030", "в будущем"),
        ("snils", "123-456-789 65", "контрольное число"),
        ("surname", "", "обязательно"),
        ("sex", "3", "Пол"),
        ("doc_series", "46", "Серия"),
        ("smo_code", "99999", "справочнике"),
        ("insurance_start", "01.01.1970", "до рождения"),
        ("enp", "5052410834000018", "контрольное число"),
        ("enp", "5052410834000017", "дате рождения"),
        ("enp", "50524108", "16"),
    ],
)
def test_flk_errors_are_per_field_and_nothing_is_written(
    region: sessionmaker[Session], field: str, value: str, message_part: str
) -> None:
    with pytest.raises(ValidationFailed) as failure:
        _register(region, **{field: value})
    messages = failure.value.by_field()
    assert field in messages, messages
    assert any(message_part.lower() in m.lower() for m in messages[field]), messages
    with region() as s:
        assert s.scalar(select(func.count()).select_from(BufferRequest)) == 0


def test_child_with_passport_is_refused(region: sessionmaker[Session]) -> None:
    with pytest.raises(ValidationFailed) as failure:
        _register(region, birth_date="01.01.2016", doc_issue_date="01.06.2025")
    assert any(
        "14" in m
        for m in failure.value.by_field().get("doc_type", [])
        + failure.value.by_field().get("doc_issue_date", [])
        + failure.value.by_field().get("doc_series", [])
    )


def test_snils_of_another_person_is_refused(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        other = add_person(s, snils="12345678964")
        enp = other.enp
    with pytest.raises(ValidationFailed) as failure:
        _register(region)
    assert enp in failure.value.by_field()["snils"][0]


def test_roles_that_may_not_change(region: sessionmaker[Session]) -> None:
    for login in ("mo", "stat"):
        with pytest.raises(AccessDenied):
            _register(region, login=login)


def test_smo_operator_changes_only_own_persons(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        person = add_person(s, smo_code="50002")
        pid, version = person.id, person.version
    with pytest.raises(AccessDenied), transaction(region) as s:
        create_request(
            s,
            user(s, "smo1"),
            operation="edit",
            raw={"phone": "+7 900 000-00-00"},
            region_code="50",
            person_id=pid,
            base_version=version,
            today=TODAY,
        )
    with transaction(region) as s:
        req = create_request(
            s,
            user(s, "smo2"),
            operation="edit",
            raw={"phone": "+7 900 000-00-00"},
            region_code="50",
            person_id=pid,
            base_version=version,
            today=TODAY,
        )
        assert req.author_smo == "50002"


def _apply(factory: sessionmaker[Session], request_id: int) -> int:
    with transaction(factory) as s:
        return apply_request(s, request_id).id


def test_apply_register_then_edit_then_close_builds_history(region: sessionmaker[Session]) -> None:
    pid = _apply(region, _register(region))
    with transaction(region) as s:
        person = s.get(Person, pid)
        assert person is not None and person.version == 1 and person.surname_norm == "ПЕТРОВА"
        req = create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"surname": "Сидорова", "doc_number": "765432"},
            region_code="50",
            person_id=pid,
            base_version=person.version,
            today=TODAY,
        )
        assert req.event_code == "П04"
        edit_id = req.id
    _apply(region, edit_id)
    with transaction(region) as s:
        person = s.get(Person, pid)
        assert person is not None
        req = create_request(
            s,
            user(s, "tfoms"),
            operation="close",
            raw={
                "closure_date": "20.11.2026",
                "closure_reason": "П022",
                "death_date": "19.11.2026",
            },
            region_code="50",
            person_id=pid,
            base_version=person.version,
            today=TODAY,
        )
        close_id = req.id
    _apply(region, close_id)
    with region() as s:
        person = s.get(Person, pid)
        assert person is not None
        assert (person.status, person.surname, person.version) == ("deceased", "Сидорова", 3)
        versions = list(
            s.scalars(
                select(PersonVersion)
                .where(PersonVersion.person_id == pid)
                .order_by(PersonVersion.change_seq)
            )
        )
        assert [v.event_code for v in versions] == ["П01", "П04", "П02"]
        assert [v.valid_to for v in versions[:-1]] == [v.valid_from for v in versions[1:]]
        assert versions[-1].valid_to is None and versions[-1].death_date == dt.date(2026, 11, 19)
        assert versions[0].surname == "Петрова" and versions[1].surname == "Сидорова"
        seqs = [v.change_seq for v in versions]
        assert seqs == sorted(seqs) and person.change_seq == seqs[-1]
        applied = s.scalars(select(AuditLog.action).where(AuditLog.action == "person.apply"))
        assert len(list(applied)) == 3


def test_apply_is_idempotent(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    first = _apply(region, request_id)
    second = _apply(region, request_id)
    assert first == second
    with region() as s:
        assert s.scalar(select(func.count()).select_from(PersonVersion)) == 1


def test_stale_edit_and_pending_request_are_refused(region: sessionmaker[Session]) -> None:
    with transaction(region) as s:
        person = add_person(s)
        pid, version = person.id, person.version
    with transaction(region) as s:
        create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"name": "Пётр"},
            region_code="50",
            person_id=pid,
            base_version=version,
            today=TODAY,
        )
    with pytest.raises(RecordConflict, match="незавершённый запрос"), transaction(region) as s:
        create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"name": "Павел"},
            region_code="50",
            person_id=pid,
            base_version=version,
            today=TODAY,
        )
    with pytest.raises(RecordConflict, match="изменены другим"), transaction(region) as s:
        create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"name": "Павел"},
            region_code="50",
            person_id=pid,
            base_version=version - 1,
            today=TODAY,
        )


def test_rejected_status_is_never_applied(region: sessionmaker[Session]) -> None:
    request_id = _register(region)
    with pytest.raises(ValueError), transaction(region) as s:
        apply_request(s, request_id, status=buffer.REJECTED)


def test_colours() -> None:
    assert buffer.colour(buffer.ACCEPTED) == "green"
    assert buffer.colour(buffer.REJECTED) == "red"
    assert buffer.colour(buffer.MULTIPLE) == "yellow"
    assert buffer.colour(buffer.SENT) == "white"


def test_identifier_shared_with_a_duplicate_does_not_block_other_edits(
    region: sessionmaker[Session],
) -> None:
    with transaction(region) as s:
        original = add_person(s, doc_number="777777")
        add_person(s, doc_number="777777", snils=None, surname="ИВАНОВ-ДУБЛЬ")
        pid, version = original.id, original.version
    with transaction(region) as s:  # a new phone: the shared passport is not what changes
        create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"phone": "+7 900 1"},
            region_code="50",
            person_id=pid,
            base_version=version,
            today=TODAY,
        )
    with transaction(region) as s:
        other = add_person(s, doc_number="888888")
        other_id, other_version = other.id, other.version
    with pytest.raises(ValidationFailed) as failure, transaction(region) as s:
        create_request(
            s,
            user(s, "tfoms"),
            operation="edit",
            raw={"doc_number": "777777"},
            region_code="50",
            person_id=other_id,
            base_version=other_version,
            today=TODAY,
        )
    assert "ДУЛ принадлежит другому" in failure.value.by_field()["doc_number"][0]


def test_edit_that_changes_nothing_or_moves_to_another_smo_is_refused(
    region: sessionmaker[Session],
) -> None:
    with transaction(region) as s:
        person = add_person(s, smo_code="50001")
        pid, version = person.id, person.version
    cases = [("tfoms", {"name": person.name}, ""), ("smo1", {"smo_code": "50002"}, "smo_code")]
    for login, raw, field in cases:
        with pytest.raises(ValidationFailed) as failure, transaction(region) as s:
            create_request(
                s,
                user(s, login),
                operation="edit",
                raw=raw,
                region_code="50",
                person_id=pid,
                base_version=version,
                today=TODAY,
            )
        assert field in failure.value.by_field(), failure.value.by_field()
