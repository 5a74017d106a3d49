"""Test data and helpers of the web app tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from register.enp import make_enp
from register.models import RECORD_FIELDS, BufferRequest, Person, PersonVersion
from register.passwords import hash_password
from register.roles import ADMIN, MO, SMO, STATISTICIAN, TFOMS
from register.sequences import next_change_seq
from register.snils import make_snils
from register.users import create_user
from tests.factories import add_person
from tests.factories import seed_region as seed_reference_region

PASSWORD = "Пароль-для-тестов-1"

#: Login of one user per role (two СМО operators, to check that each sees only its own).
USERS: dict[str, dict[str, Any]] = {
    "tfoms": {"role": TFOMS, "full_name": "Петрова Ольга Ивановна"},
    "smo1": {"role": SMO, "full_name": "Смирнов Олег (Альфа-Мед)", "smo_code": "50001"},
    "smo2": {"role": SMO, "full_name": "Кузнецова Ирина (Бета-Полис)", "smo_code": "50002"},
    "mo": {"role": MO, "full_name": "Волков Андрей (Химкинская)", "mo_code": "500001"},
    "stat": {"role": STATISTICIAN, "full_name": "Соколова Мария"},
    "admin": {"role": ADMIN, "full_name": "Администратор Системы"},
}
LOGIN_OF_ROLE = {TFOMS: "tfoms", SMO: "smo1", MO: "mo", STATISTICIAN: "stat", ADMIN: "admin"}

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@functools.cache
def _password_hash() -> str:
    # scrypt is slow on purpose: hash the test password once, not per user and test.
    return hash_password(PASSWORD)


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form of a page."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def add_request(session: Session, person: Person | None = None, **overrides: Any) -> BufferRequest:
    """A buffer request (by default: an edit of ``person`` by СМО 50001, not finished)."""
    values: dict[str, Any] = {
        "buffer_type": 1,
        "operation": "edit",
        "event_code": "П04",
        "person_id": person.id if person else None,
        "enp": person.enp if person else None,
        "surname": person.surname if person else "ПЕТРОВ",
        "name": person.name if person else "ПЕТР",
        "patronymic": person.patronymic if person else None,
        "birth_date": person.birth_date if person else dt.date(1990, 1, 1),
        "proposed": {},
        "status": "sent",
        "errors": [],
        "author_smo": "50001",
    }
    values.update(overrides)
    request = BufferRequest(**values)
    session.add(request)
    session.flush()
    return request


def seed_region(session: Session) -> dict[str, int]:
    """Reference books, two СМО, two МО, a user of every role and a few persons."""
    seed_reference_region(session)
    for login, attrs in USERS.items():
        user = create_user(session, login=login, password=None, **attrs)
        user.password_hash = _password_hash()

    # Ёлкин: two versions (СНИЛС added later) and requests of both СМО.
    yolkin = add_person(
        session,
        surname="Ёлкин",
        name="Пётр",
        patronymic="Семёнович",
        snils=None,
        birth_date=dt.date(1985, 7, 15),
    )
    (first,) = yolkin.versions
    first.valid_to = dt.date(2020, 3, 1)
    seq = next_change_seq(session)
    yolkin.snils = make_snils("112233445")
    yolkin.change_seq = seq
    record = {f: getattr(yolkin, f) for f in RECORD_FIELDS}
    session.add(
        PersonVersion(
            person_id=yolkin.id,
            valid_from=dt.date(2020, 3, 1),
            event_code="П04",
            source="buffer",
            change_seq=seq,
            **record,
        )
    )
    add_request(session, yolkin, status="accepted", author_smo="50001")
    add_request(
        session,
        yolkin,
        status="rejected",
        author_smo="50002",
        errors=[{"field": "snils", "message": "СНИЛС не найден в ФЕРЗЛ"}],
    )
    closed = add_person(
        session,
        surname="Иванов",
        name="Иван",
        patronymic="Иванович",
        smo_code="50002",
        status="closed",
        closure_date=dt.date(2022, 1, 10),
        closure_reason="П021",
    )
    deceased = add_person(
        session,
        surname="Сидорова",
        name="Анна",
        patronymic=None,
        sex=2,
        birth_date=dt.date(1940, 2, 3),
        status="deceased",
        death_date=dt.date(2023, 5, 6),
        closure_date=dt.date(2023, 5, 6),
        closure_reason="П022",
    )
    session.flush()
    return {"yolkin": yolkin.id, "closed": closed.id, "deceased": deceased.id}


def login(client: FlaskClient, login: str, password: str = PASSWORD) -> Any:
    """Log in through the login page (CSRF token taken from the form); the POST's response."""
    page = client.get("/auth/login")
    return client.post(
        "/auth/login",
        data={"login": login, "password": password, "csrf_token": csrf_token(page.text)},
    )


def build_and_publish_snapshot(
    warehouse_path: Path, marts_dir: Path, snapshot_date: dt.date, rows: int
) -> None:
    """Put ``rows`` persons into the warehouse's snapshot mart and publish them as Parquet.

    Stands in for the dbt build: a table ``marts.snapshot_month`` in the warehouse file,
    then ``warehouse.publish.publish_snapshot`` as the Dagster asset calls it.
    """
    import duckdb

    from warehouse.publish import publish_snapshot

    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute("create schema if not exists marts")
        con.execute(
            "create table if not exists marts.snapshot_month ("
            " snapshot_date date, person_id integer, enp varchar, surname varchar,"
            " name varchar, patronymic varchar, birth_date date, sex integer,"
            " snils varchar, smo_code varchar, status varchar, working boolean)"
        )
        con.executemany(
            "insert into marts.snapshot_month values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    snapshot_date,
                    i,
                    make_enp("50", dt.date(1980, 1, 1) + dt.timedelta(days=i), 1, i),
                    f"СРЕЗОВ{i:03d}",
                    "СЕРГЕЙ",
                    None if i % 2 else "СЕРГЕЕВИЧ",
                    dt.date(1980, 1, 1) + dt.timedelta(days=i),
                    1,
                    make_snils(f"{300000000 + i * 7919:09d}"),
                    "50001" if i % 3 else "50002",
                    "insured",
                    bool(i % 2),
                )
                for i in range(1, rows + 1)
            ],
        )
    finally:
        con.close()
    publish_snapshot(warehouse_path, marts_dir, snapshot_date)
