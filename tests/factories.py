"""Test data: reference rows, users and persons written as the initial load would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.enp import make_enp
from register.models import RECORD_FIELDS, Mo, Person, PersonVersion, Smo, User
from register.names import normalize_name
from register.reference import seed_reference_books
from register.sequences import next_change_seq
from register.snils import make_snils
from register.users import create_user

PASSWORD = "secret-pass-1"


def seed_region(session: Session) -> None:
    """Static reference books plus two СМО and two МО."""
    seed_reference_books(session)
    session.add_all(
        [
            Smo(
                code="50001",
                ogrn="1027700001234",
                name="АО «СК Альфа-Мед»",
                short_name="Альфа-Мед",
                date_begin=dt.date(2010, 1, 1),
            ),
            Smo(
                code="50002",
                ogrn="1027700005678",
                name="ООО «СК Бета-Полис»",
                short_name="Бета-Полис",
                date_begin=dt.date(2010, 1, 1),
            ),
            Mo(
                code="500001",
                name="ГБУЗ МО «Химкинская больница»",
                short_name="Химкинская",
                okato="46483000000",
            ),
            Mo(
                code="500002",
                name="ГБУЗ МО «Подольская поликлиника»",
                short_name="Подольская",
                okato="46460000000",
            ),
        ]
    )
    session.flush()


def make_user(session: Session, login: str, role: str, **kw: Any) -> User:
    return create_user(
        session, login=login, full_name=login.title(), role=role, password=PASSWORD, **kw
    )


_serial = {"n": 0}


def person_record(**overrides: Any) -> dict[str, Any]:
    """A valid person record; ЕНП and СНИЛС unique per call."""
    _serial["n"] += 1
    n = _serial["n"]
    birth = overrides.get("birth_date", dt.date(1985, 7, 15))
    sex = overrides.get("sex", 1)
    record: dict[str, Any] = {f: None for f in RECORD_FIELDS}
    record.update(
        enp=make_enp("50", birth, sex, (50000 + n) % 100_000),
        surname="ИВАНОВ",
        name="ИВАН",
        patronymic="ИВАНОВИЧ",
        sex=sex,
        birth_date=birth,
        birth_date_reliability=1,
        citizenship="RUS",
        person_category=1,
        snils=make_snils(f"{200000000 + n * 7919:09d}"),
        doc_type=14,
        doc_series="45 12",
        doc_number=f"{100000 + n:06d}",
        doc_issue_date=dt.date(2005, 8, 1),
        reg_okato="46483000000",
        reg_address="Московская обл., г. Химки, ул. Мира, д. 1",
        homeless=False,
        smo_code="50001",
        insurance_start=dt.date(2011, 5, 1),
        policy_form="Э",
        mo_code="500001",
        attach_date=dt.date(2012, 1, 10),
        status="insured",
    )
    record.update(overrides)
    record["policy_number"] = overrides.get("policy_number", record["enp"])
    return record


def add_person(session: Session, **overrides: Any) -> Person:
    """Insert a person with one initial-load version (as the migration from the old system)."""
    record = person_record(**overrides)
    seq = next_change_seq(session)
    person = Person(
        **record,
        surname_norm=normalize_name(record["surname"]),
        name_norm=normalize_name(record["name"]),
        patronymic_norm=normalize_name(record["patronymic"]),
        version=1,
        change_seq=seq,
    )
    session.add(person)
    session.flush()
    session.add(
        PersonVersion(
            person_id=person.id,
            valid_from=record["insurance_start"],
            source="initial_load",
            event_code="П01",
            change_seq=seq,
            **record,
        )
    )
    session.flush()
    return person


def user(session: Session, login: str) -> User:
    return session.scalars(select(User).where(User.login == login)).one()


# --- the central segment's view of a person (look-up answers) ---------------

OGRN = {"50001": "1027700001234", "50002": "1027700005678"}
CENTRAL_FIELDS = (
    "enp",
    "surname",
    "name",
    "patronymic",
    "sex",
    "birth_date",
    "birth_place",
    "citizenship",
    "snils",
    "doc_type",
    "doc_series",
    "doc_number",
    "doc_issue_date",
    "doc_expiry",
    "reg_okato",
    "res_okato",
    "status",
    "death_date",
    "insurance_start",
    "insurance_end",
    "policy_form",
    "policy_number",
    "working",
)


def central_of(person: Person, **changes: Any) -> dict[str, Any]:
    """The person as the look-up client returns it from ФЕРЗЛ (same data unless changed)."""
    data: dict[str, Any] = {f: getattr(person, f) for f in CENTRAL_FIELDS}
    data["smo_ogrn"] = OGRN.get(person.smo_code or "")
    data["region_code"] = "50"
    data.update(changes)
    return data
