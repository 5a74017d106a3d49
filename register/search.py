"""Searching the register: filters, pages, a separate count.

Name filters are prefixes of the normalised names (case, ё/е, spaces and hyphens
folded); they compare byte-wise so that every backend uses its indexes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from register.documents import normalize_number, normalize_series
from register.models import Person
from register.names import normalize_name
from register.records import parse_date
from register.reference import PERSON_STATUSES
from register.snils import normalize_snils
from register.validation import FieldError

MAX_PAGE_SIZE = 200
_PREFIX_END = "\uffff"  # sorts after every letter in UTF-8 byte order


@dataclass(frozen=True)
class PersonQuery:
    """Search criteria; every one given must hold (AND)."""

    surname: str | None = None
    name: str | None = None
    patronymic: str | None = None
    birth_date: dt.date | None = None
    enp: str | None = None
    snils: str | None = None
    doc_series: str | None = None
    doc_number: str | None = None
    smo_code: str | None = None
    mo_code: str | None = None
    status: str | None = None
    insured_on: dt.date | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in fields(self))


SORTS: dict[str, tuple[Any, ...]] = {
    "fio": (Person.surname_norm, Person.name_norm, Person.patronymic_norm, Person.birth_date),
    "birth_date": (Person.birth_date, Person.surname_norm),
    "enp": (Person.enp,),
    "smo": (Person.smo_code, Person.surname_norm, Person.name_norm),
    "status": (Person.status, Person.surname_norm, Person.name_norm),
}


@dataclass(frozen=True)
class SearchPage:
    rows: list[Person]
    page: int
    page_size: int
    has_next: bool


def parse_query(raw: dict[str, Any]) -> tuple[PersonQuery, list[FieldError]]:
    """A query from raw form values, with a Russian message per unreadable field."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for f in fields(PersonQuery):
        raw_value = raw.get(f.name)
        if not isinstance(raw_value, str) or not raw_value.strip():
            continue
        value: Any = raw_value.strip()
        if f.name in ("birth_date", "insured_on"):
            try:
                value = parse_date(value)
            except ValueError as exc:
                errors.append(FieldError(f.name, str(exc)))
                continue
        elif f.name == "enp":
            if not (value.isdigit() and len(value) == 16):
                errors.append(FieldError("enp", "ЕНП — 16 цифр"))
                continue
        elif f.name == "snils":
            value = normalize_snils(value)
            if not (value and value.isdigit() and len(value) == 11):
                errors.append(FieldError("snils", "СНИЛС — 11 цифр"))
                continue
        elif f.name == "status" and value not in PERSON_STATUSES:
            errors.append(FieldError("status", "Неизвестный статус"))
            continue
        values[f.name] = value
    return PersonQuery(**values), errors


def _filtered(query: PersonQuery, stmt: Select[Any]) -> Select[Any]:
    for column, value in (
        (Person.surname_norm, query.surname),
        (Person.name_norm, query.name),
        (Person.patronymic_norm, query.patronymic),
    ):
        prefix = normalize_name(value) if value else ""
        if prefix:
            stmt = stmt.where(column >= prefix, column < prefix + _PREFIX_END)
    if query.birth_date:
        stmt = stmt.where(Person.birth_date == query.birth_date)
    if query.enp:
        stmt = stmt.where(Person.enp == query.enp)
    if query.snils:
        stmt = stmt.where(Person.snils == query.snils)
    if query.doc_number:
        # The document type is not part of the query: try each way the number is written.
        numbers = {query.doc_number.strip(), normalize_number(14, query.doc_number) or ""}
        stmt = stmt.where(Person.doc_number.in_(sorted(n for n in numbers if n)))
    if query.doc_series:
        series = {query.doc_series.strip(), normalize_series(14, query.doc_series) or ""}
        stmt = stmt.where(Person.doc_series.in_(sorted(s for s in series if s)))
    if query.smo_code:
        stmt = stmt.where(Person.smo_code == query.smo_code)
    if query.mo_code:
        stmt = stmt.where(Person.mo_code == query.mo_code)
    if query.status:
        stmt = stmt.where(Person.status == query.status)
    if query.insured_on:
        day = query.insured_on
        stmt = stmt.where(
            Person.insurance_start <= day,
            or_(Person.insurance_end.is_(None), Person.insurance_end > day),
            or_(Person.closure_date.is_(None), Person.closure_date > day),
        )
    return stmt


def search_persons(
    session: Session,
    query: PersonQuery,
    *,
    page: int = 1,
    page_size: int = 50,
    sort: str = "fio",
    descending: bool = False,
) -> SearchPage:
    """One page of persons matching ``query``.

    The page says ``has_next`` instead of counting: the count is a separate call.
    """
    page = max(1, page)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    order = [c.desc() if descending else c for c in SORTS.get(sort, SORTS["fio"])]
    order.append(Person.id.desc() if descending else Person.id)
    stmt = _filtered(query, select(Person)).order_by(*order)
    stmt = stmt.offset((page - 1) * page_size).limit(page_size + 1)
    rows = list(session.scalars(stmt))
    return SearchPage(rows[:page_size], page, page_size, len(rows) > page_size)


def count_persons(session: Session, query: PersonQuery) -> int:
    """How many persons the criteria select (the «calculator» of the register screen)."""
    stmt = _filtered(query, select(func.count()).select_from(Person))
    return int(session.scalar(stmt) or 0)
