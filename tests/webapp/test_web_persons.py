"""«Регистр застрахованных лиц»: filter, page, sort, count; the person card and its audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog
from tests.webapp.support import add_person

ROW = re.compile(
    r'<tr id="person-\d+" class="person-row row-(insured|closed|deceased)[^"]*"(.*?)</tr>', re.S
)
ENP_CELL = re.compile(r'<td class="mono">(\d{16})</td>')


def rows(html: str) -> list[str]:
    """The ЕНП of every row of the persons table, in order."""
    return [ENP_CELL.search(body).group(1) for _, body in ROW.findall(html)]  # type: ignore[union-attr]


@pytest.fixture
def tfoms(login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return login_as("tfoms")


@pytest.fixture
def many(session_factory: sessionmaker[Session]) -> list[str]:
    """120 persons named Пагинов, born on different days; their ЕНП in birth-date order."""
    with transaction(session_factory) as s:
        people = [
            add_person(
                s,
                surname="Пагинов",
                name="Павел",
                birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=97 * i),
            )
            for i in range(120)
        ]
        return [p.enp for p in people]


def test_empty_filter_asks_for_conditions(tfoms: FlaskClient) -> None:
    page = tfoms.get("/persons/")
    assert "Задайте условия поиска" in page.text
    assert "<tbody>" not in page.text
    # The first filter has the focus: the operator types at once.
    assert re.search(r'<input[^>]*autofocus[^>]*id="surname"|id="surname"[^>]*autofocus', page.text)


@pytest.mark.parametrize(
    "query",
    [
        {"surname": "елк"},
        {"surname": "ЁЛКИН", "name": "петр"},
        {"surname": "Елкин", "name": "Пётр", "patronymic": "семен"},
        {"surname": "  ёлкин "},
    ],
)
def test_name_prefix_with_yo_folding(tfoms: FlaskClient, query: dict[str, str]) -> None:
    page = tfoms.get("/persons/", query_string=query)
    assert page.status_code == 200
    assert "Ёлкин Пётр Семёнович" in page.text
    assert len(rows(page.text)) == 1


def test_row_shows_formatted_values(tfoms: FlaskClient) -> None:
    page = tfoms.get("/persons/", query_string={"surname": "Ёлкин"}).text
    assert "112-233-445 95" in page  # СНИЛС as XXX-XXX-XXX YY
    assert "15.07.1985" in page
    assert "Мужской" in page
    assert "Альфа-Мед" in page
    assert "Застрахован" in page


def test_rows_are_coloured_by_status_with_a_legend(tfoms: FlaskClient) -> None:
    page = tfoms.get("/persons/", query_string={"birth_date": "03.02.1940"}).text
    assert 'class="person-row row-deceased"' in page
    assert 'title="Умер"' in page
    page = tfoms.get("/persons/", query_string={"surname": "Иванов"}).text
    assert 'class="person-row row-closed"' in page
    legend = page[page.index('data-testid="legend"') :]
    assert "Цвета строк" in legend
    assert "страхование прекращено" in legend
    assert "есть незавершённый запрос в буфере" in legend


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"birth_date": "31.02.2000"}, "Несуществующая дата: 31.02.2000"),
        ({"birth_date": "вчера"}, "Дата должна быть в формате ДД.ММ.ГГГГ"),
        ({"enp": "123"}, "ЕНП — 16 цифр"),
        ({"snils": "12-34"}, "СНИЛС — 11 цифр"),
        ({"status": "unknown"}, "Неизвестный статус"),
    ],
)
def test_bad_filter_value_gets_a_russian_message(
    tfoms: FlaskClient, query: dict[str, str], message: str
) -> None:
    page = tfoms.get("/persons/", query_string={"surname": "Ёлкин", **query}).text
    assert message in page
    assert "Исправьте условия поиска" in page
    assert "is-invalid" in page
    assert not rows(page)


def test_filter_by_identifiers_and_smo(tfoms: FlaskClient) -> None:
    by_snils = tfoms.get("/persons/", query_string={"snils": "112-233-445 95"}).text
    assert "Ёлкин" in by_snils
    by_smo = tfoms.get("/persons/", query_string={"smo_code": "50002"}).text
    assert "Иванов Иван" in by_smo
    assert "Ёлкин" not in by_smo
    by_status = tfoms.get("/persons/", query_string={"status": "deceased"}).text
    assert "Сидорова Анна" in by_status
    assert len(rows(by_status)) == 1
    # The СМО select offers the СМО of the region.
    assert '<option value="50002">Бета-Полис (50002)</option>' in by_smo.replace(" selected", "")


def test_pages_of_fifty(tfoms: FlaskClient, many: list[str]) -> None:
    first = tfoms.get("/persons/", query_string={"surname": "Пагинов"}).text
    assert len(rows(first)) == 50
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = tfoms.get("/persons/", query_string={"surname": "Пагинов", "page": 2}).text
    assert len(rows(second)) == 50
    assert not set(rows(first)) & set(rows(second))
    third = tfoms.get("/persons/", query_string={"surname": "Пагинов", "page": 3}).text
    assert len(rows(third)) == 20
    assert 'rel="next"' not in third
    assert 'rel="prev"' in third
    assert set(rows(first)) | set(rows(second)) | set(rows(third)) == set(many)


def test_page_links_keep_filter_and_sort(tfoms: FlaskClient, many: list[str]) -> None:
    page = tfoms.get(
        "/persons/", query_string={"surname": "Пагинов", "sort": "birth_date", "desc": "1"}
    ).text
    link = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    link = link.replace("&amp;", "&")
    assert "page=2" in link and "sort=birth_date" in link and "desc=1" in link
    assert "surname=" in link
    assert rows(tfoms.get(link).text) == list(reversed(many))[50:100]


@pytest.mark.parametrize("bad_page", ["0", "-1", "abc", ""])
def test_bad_page_number_is_the_first_page(
    tfoms: FlaskClient, many: list[str], bad_page: str
) -> None:
    page = tfoms.get("/persons/", query_string={"surname": "Пагинов", "page": bad_page})
    assert page.status_code == 200
    assert len(rows(page.text)) == 50


def test_count_of_the_current_filter(tfoms: FlaskClient, many: list[str]) -> None:
    without = tfoms.get("/persons/", query_string={"surname": "Пагинов"}).text
    assert "Количество:" not in without
    page = tfoms.get("/persons/", query_string={"surname": "Пагинов", "count": "1"}).text
    assert "Количество: <strong>120</strong>" in page
    assert len(rows(page)) == 50


def test_count_of_an_empty_filter_is_not_computed(tfoms: FlaskClient) -> None:
    page = tfoms.get("/persons/", query_string={"count": "1"}).text
    assert "Задайте условия поиска" in page
    assert "Количество:" not in page


def test_sort_by_column_headers(tfoms: FlaskClient, many: list[str]) -> None:
    ascending = tfoms.get(
        "/persons/", query_string={"surname": "Пагинов", "sort": "birth_date"}
    ).text
    assert rows(ascending) == many[:50]
    assert 'aria-sort="ascending"' in ascending
    # The active header links to the opposite direction.
    assert re.search(r'href="[^"]*sort=birth_date&amp;desc=1[^"]*"', ascending)
    descending = tfoms.get(
        "/persons/", query_string={"surname": "Пагинов", "sort": "birth_date", "desc": "1"}
    ).text
    assert rows(descending) == list(reversed(many))[:50]
    by_enp = tfoms.get("/persons/", query_string={"surname": "Пагинов", "sort": "enp"}).text
    assert rows(by_enp) == sorted(many)[:50]


def test_unknown_sort_falls_back_to_fio(tfoms: FlaskClient) -> None:
    page = tfoms.get("/persons/", query_string={"surname": "Ёлкин", "sort": "drop table"})
    assert page.status_code == 200
    assert len(rows(page.text)) == 1


def test_nothing_found(tfoms: FlaskClient) -> None:
    page = tfoms.get("/persons/", query_string={"surname": "Несуществующий"}).text
    assert "Никого не найдено" in page


def test_card_shows_record_history_and_requests(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    page = tfoms.get(f"/persons/{persons['yolkin']}")
    assert page.status_code == 200
    text = page.text
    assert "Ёлкин Пётр Семёнович" in text
    assert "112-233-445 95" in text
    assert "50001 — Альфа-Мед" in text
    assert "14 — Паспорт гражданина Российской Федерации" in text
    # History: two versions, newest first, the change named.
    history = text[text.index("История изменений") : text.index("Запросы в буфере")]
    assert history.index("01.03.2020") < history.index("01.05.2011")
    assert "П04" in history
    assert "СНИЛС" in history
    # Both requests for a ТФОМС operator, coloured.
    requests = text[text.index("Запросы в буфере") :]
    assert '<tr class="table-success">' in requests
    assert '<tr class="table-danger">' in requests
    assert "СНИЛС не найден в ФЕРЗЛ" in requests

    with transaction(session_factory) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "person.view")).one()
    assert entry.object_type == "person"
    assert entry.object_id == str(persons["yolkin"])
    assert entry.user_login == "tfoms"
    assert entry.remote_addr == "127.0.0.1"


@pytest.mark.parametrize(
    ("login", "sees", "hidden"), [("smo1", "Принят", "Отклонён"), ("smo2", "Отклонён", "Принят")]
)
def test_smo_operator_sees_only_own_requests_on_card(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    login: str,
    sees: str,
    hidden: str,
) -> None:
    text = login_as(login).get(f"/persons/{persons['yolkin']}").text
    requests = text[text.index("Запросы в буфере") :]
    assert f"<td>{sees}</td>" in requests
    assert f"<td>{hidden}</td>" not in requests


@pytest.mark.parametrize("person_id", ["999999", "0"])
def test_unknown_person_is_404_and_not_audited(
    tfoms: FlaskClient, session_factory: sessionmaker[Session], person_id: str
) -> None:
    page = tfoms.get(f"/persons/{person_id}")
    assert page.status_code == 404
    assert "Страница не найдена" in page.text
    assert "Ёлкин" not in page.text
    with transaction(session_factory) as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "person.view")) is None


@pytest.mark.parametrize("path", ["/persons/abc", "/persons/-1", "/persons/1.5"])
def test_malformed_id_is_404(tfoms: FlaskClient, path: str) -> None:
    assert tfoms.get(path).status_code == 404


def test_html_in_a_name_is_shown_as_text(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        evil = add_person(s, surname="<script>alert(1)</script>", name='Иван"><b>', patronymic=None)
    for page in (
        tfoms.get("/persons/", query_string={"surname": "<script"}).text,
        tfoms.get(f"/persons/{evil.id}").text,
    ):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert" not in page
        assert '"><b>' not in page
