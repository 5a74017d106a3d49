"""«Буфер»: the list of requests, its filters and colours; СМО operators see their own."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from tests.webapp.support import add_request

ROW = re.compile(r'<tr class="([^"]*)">\s*<td>(\d+)</td>')


def rows(html: str) -> dict[int, str]:
    """Request number → the row's class, for the rows of the buffer table."""
    table = html[html.index("<tbody>") :] if "<tbody>" in html else ""
    return {int(number): css for css, number in ROW.findall(table)}


@pytest.fixture
def requests(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """One request per colour, of both СМО, and one of type 2 (military service)."""
    with transaction(session_factory) as s:
        made = {
            "sent": add_request(s, status="sent", author_smo="50001"),
            "multiple": add_request(s, status="multiple_identification", author_smo="50002"),
            "transport_error": add_request(s, status="transport_error", author_smo="50001"),
            "military": add_request(s, buffer_type=2, status="new", author_smo="50002"),
        }
        return {k: r.id for k, r in made.items()}


def test_tfoms_sees_all_requests_of_the_type_coloured(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    page = login_as("tfoms").get("/buffer/").text
    found = rows(page)
    # Two seeded for Ёлкин (accepted, rejected) plus three of type 1 here; type 2 not shown.
    assert len(found) == 5
    assert requests["military"] not in found
    assert found[requests["sent"]] == ""
    assert found[requests["multiple"]] == "table-warning"
    assert found[requests["transport_error"]] == "table-danger"
    assert sorted(found.values()).count("table-success") == 1
    assert "Условные обозначения" in page
    assert "множественная идентификация" in page


@pytest.mark.parametrize(
    ("login", "smo", "counts"), [("smo1", "50001", (3, 0)), ("smo2", "50002", (2, 1))]
)
def test_smo_operator_sees_only_own_requests(
    login_as: Callable[[str], FlaskClient],
    requests: dict[str, int],
    login: str,
    smo: str,
    counts: tuple[int, int],
) -> None:
    client = login_as(login)
    for buffer_type, expected in zip((1, 2), counts, strict=True):
        page = client.get("/buffer/", query_string={"buffer_type": buffer_type}).text
        assert len(rows(page)) == expected
        assert set(re.findall(r"<td>(5000\d)</td>", page)) <= {smo}
        assert "Показаны запросы вашей СМО" in page


def test_type_two_is_military_service(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    page = login_as("tfoms").get("/buffer/", query_string={"buffer_type": "2"}).text
    assert list(rows(page)) == [requests["military"]]
    assert '<option selected value="2">' in page or '<option value="2" selected>' in page


@pytest.mark.parametrize("bad", ["3", "0", "abc"])
def test_unknown_buffer_type_gets_a_russian_message(
    login_as: Callable[[str], FlaskClient], bad: str
) -> None:
    page = login_as("tfoms").get("/buffer/", query_string={"buffer_type": bad}).text
    assert "Выберите тип буфера: 1 – Страхование ЗЛ, 2 – Военная служба" in page
    assert not rows(page)


def test_hide_finished_and_status_filter(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    client = login_as("tfoms")
    # «Скрыть успешно завершённые» hides the green requests only: errors stay in sight.
    shown = rows(client.get("/buffer/", query_string={"hide_finished": "y"}).text)
    assert requests["sent"] in shown and "table-success" not in shown.values()
    assert "table-danger" in shown.values()
    rejected = rows(client.get("/buffer/", query_string={"status": "rejected"}).text)
    assert set(rejected.values()) == {"table-danger"}
    assert len(rejected) == 1
    bad = client.get("/buffer/", query_string={"status": "nonsense"}).text
    assert "Неизвестный статус запроса" in bad


def test_pages_of_fifty(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        for _ in range(60):
            add_request(s, status="new")
    client = login_as("tfoms")
    first = client.get("/buffer/").text
    assert len(rows(first)) == 50
    assert 'rel="next"' in first
    second = rows(client.get("/buffer/", query_string={"page": 2}).text)
    assert len(second) == 12  # 60 here + 2 seeded
    assert not set(second) & set(rows(first))


def test_names_link_to_the_card(
    login_as: Callable[[str], FlaskClient], persons: dict[str, int]
) -> None:
    page = login_as("smo1").get("/buffer/").text
    assert f'href="/persons/{persons["yolkin"]}"' in page
