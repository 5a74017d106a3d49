"""Register search: prefixes with ё/е folding, exact identifiers, paging, count."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.search import PersonQuery, count_persons, parse_query, search_persons
from tests.factories import add_person


@pytest.fixture
def people(region: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(region) as s:
        add_person(s, surname="Фёдоров", name="Пётр", patronymic="Семёнович")
        add_person(
            s,
            surname="Федорова",
            name="Анна",
            patronymic=None,
            sex=2,
            birth_date=dt.date(1990, 3, 4),
            smo_code="50002",
        )
        add_person(
            s,
            surname="Римский-Корсаков",
            name="Николай",
            status="closed",
            birth_date=dt.date(1944, 3, 18),
        )
        for i in range(60):
            add_person(
                s,
                surname="Смирнов",
                name=f"Иван{'а' * (i % 3)}",
                birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
            )
    return region


def _surnames(factory: sessionmaker[Session], q: PersonQuery, **kw: object) -> list[str]:
    with factory() as s:
        return [p.surname for p in search_persons(s, q, **kw).rows]  # type: ignore[arg-type]


def test_prefix_folds_case_and_yo(people: sessionmaker[Session]) -> None:
    assert _surnames(people, PersonQuery(surname="федор")) == ["Фёдоров", "Федорова"]
    assert _surnames(people, PersonQuery(surname="ФЁДОРОВ", name="пет")) == ["Фёдоров"]
    assert _surnames(people, PersonQuery(patronymic="семе")) == ["Фёдоров"]


def test_hyphen_and_spaces_fold(people: sessionmaker[Session]) -> None:
    assert _surnames(people, PersonQuery(surname="римский - корс")) == ["Римский-Корсаков"]
    assert _surnames(people, PersonQuery(surname="римский–корсаков")) == ["Римский-Корсаков"]


def test_filters_combine(people: sessionmaker[Session]) -> None:
    assert _surnames(people, PersonQuery(surname="фед", birth_date=dt.date(1990, 3, 4))) == [
        "Федорова"
    ]
    assert _surnames(people, PersonQuery(surname="фед", smo_code="50001")) == ["Фёдоров"]
    assert _surnames(people, PersonQuery(status="closed")) == ["Римский-Корсаков"]
    with people() as s:
        enp = search_persons(s, PersonQuery(surname="римск")).rows[0].enp
    assert _surnames(people, PersonQuery(enp=enp)) == ["Римский-Корсаков"]


def test_paging_and_count(people: sessionmaker[Session]) -> None:
    q = PersonQuery(surname="смирн")
    with people() as s:
        first = search_persons(s, q, page=1, page_size=50)
        second = search_persons(s, q, page=2, page_size=50)
        assert len(first.rows) == 50 and first.has_next
        assert len(second.rows) == 10 and not second.has_next
        assert not {p.id for p in first.rows} & {p.id for p in second.rows}
        assert count_persons(s, q) == 60
        assert count_persons(s, PersonQuery()) == 63


def test_sorting(people: sessionmaker[Session]) -> None:
    with people() as s:
        rows = search_persons(
            s, PersonQuery(surname="смирн"), sort="birth_date", descending=True, page_size=5
        ).rows
        dates = [p.birth_date for p in rows]
        assert dates == sorted(dates, reverse=True) and dates[0] == dt.date(1980, 2, 29)


def test_parse_query_reports_bad_values_in_russian() -> None:
    query, errors = parse_query(
        {"birth_date": "31.02.1990", "enp": "123", "snils": "abc", "surname": " Ив "}
    )
    assert {e.field for e in errors} == {"birth_date", "enp", "snils"}
    assert "Несуществующая дата" in next(e.message for e in errors if e.field == "birth_date")
    assert query.surname == "Ив"
    query, errors = parse_query({"snils": "112-233-445 95", "birth_date": "1985-07-15"})
    assert not errors and query.snils == "11223344595" and query.birth_date == dt.date(1985, 7, 15)
