"""Test data of the browser tests, taken from (and put into) the live server's database.

Each test picks its own persons: a person is handed out once per session, and never one
with an unfinished buffer request, so that tests do not see each other's changes.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from playwright.sync_api import Page
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from register import flk
from register.buffer import FINISHED, create_request, person_record
from register.db import transaction
from register.models import BufferRequest, Mo, Person, Smo, User
from register.snils import format_snils, make_snils
from register.validation import blocking

REGION = "50"
_claimed: set[int] = set()
_rng = random.Random()


def assert_clean(page: Page) -> None:
    """No script errors, nothing requested outside the server (the network is closed)."""
    assert page.js_errors == []  # type: ignore[attr-defined]
    assert page.foreign_requests == []  # type: ignore[attr-defined]


def pick_person(
    db: sessionmaker[Session],
    *conditions: ColumnElement[bool],
    accept: Callable[[Person], object] | None = None,
    editable: bool = False,
) -> Person:
    """An insured person meeting ``conditions`` (and ``accept``, if given), not handed out
    before, with no request pending.

    ``editable``: the record as it stands passes the ФЛК of an edit, so that a form saved
    with one field changed is accepted.
    """
    with db() as s:
        pending = select(BufferRequest.person_id).where(
            BufferRequest.person_id.is_not(None), BufferRequest.status.not_in(FINISHED)
        )
        stmt = (
            select(Person)
            .where(Person.status == "insured", Person.id.not_in(pending), *conditions)
            .order_by(Person.id)
        )
        smo_codes = set(s.scalars(select(Smo.code)))
        mo_codes = set(s.scalars(select(Mo.code)))
        for person in s.scalars(stmt):
            if person.id in _claimed or (accept is not None and not accept(person)):
                continue
            if editable and blocking(
                flk.check_person(
                    person_record(person),
                    operation=flk.EDIT,
                    today=dt.date.today(),
                    smo_codes=smo_codes,
                    mo_codes=mo_codes,
                )
            ):
                continue
            _claimed.add(person.id)
            return person
    raise LookupError(f"no unclaimed person for {conditions}")


def unique_snils(db: sessionmaker[Session]) -> str:
    """A valid СНИЛС (11 digits) of nobody in the register, without three equal digits in a row."""
    with db() as s:
        while True:
            snils = make_snils(f"{_rng.randrange(2_000_000, 999_999_999):09d}")
            if re.search(r"(\d)\1\1", snils[:9]):
                continue
            if s.scalar(select(Person.id).where(Person.snils == snils)) is None:
                return snils


def unique_passport(db: sessionmaker[Session]) -> tuple[str, str]:
    """Series and number of a passport of the Russian Federation (type 14) nobody has."""
    with db() as s:
        while True:
            series = f"45 {_rng.randrange(10, 99)}"
            number = f"{_rng.randrange(100_000, 999_999)}"
            taken = s.scalar(
                select(Person.id).where(
                    Person.doc_type == 14, Person.doc_series == series, Person.doc_number == number
                )
            )
            if taken is None:
                return series, number


def snils_shown(snils: str) -> str:
    """XXX-XXX-XXX YY, as the screens write it."""
    return format_snils(snils)


def user_of(s: Session, login: str) -> User:
    user = s.scalar(select(User).where(User.login == login))
    assert user is not None, login
    return user


def put_edit_request(
    db: sessionmaker[Session], login: str, person: Person, changes: Mapping[str, Any]
) -> int:
    """An edit of ``person`` by ``login`` put into the buffer by the service the form uses."""
    with transaction(db) as s:
        request = create_request(
            s,
            user_of(s, login),
            operation=flk.EDIT,
            raw=dict(changes),
            region_code=REGION,
            person_id=person.id,
            base_version=person.version,
        )
        return request.id


def answer_request(
    db: sessionmaker[Session], request_id: int, status: str, errors: list[dict[str, Any]]
) -> None:
    """The central segment's answer to a request (until the exchange is built)."""
    with transaction(db) as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        request.status = status
        request.errors = errors
        request.answered_at = dt.datetime.now(dt.UTC)


def buffer_request(db: sessionmaker[Session], request_id: int) -> BufferRequest:
    with db() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        return request


def requests_of_person(db: sessionmaker[Session], person_id: int) -> list[BufferRequest]:
    with db() as s:
        return list(s.scalars(select(BufferRequest).where(BufferRequest.person_id == person_id)))


def current_person(db: sessionmaker[Session], person_id: int) -> Person:
    with db() as s:
        person = s.get(Person, person_id)
        assert person is not None
        return person


def ru(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""
