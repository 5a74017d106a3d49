"""«Буфер»: the list, its filters and colours, the selected request; СМО operators see their own.

The operator's actions (correct and resend, delete, force) are in test_web_buffer_actions.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import BufferRequest, Person
from register.names import normalize_name
from register.users import create_user
from tests.webapp.support import add_request

ROW = re.compile(r'data-request-id="(\d+)" data-colour="(\w+)"')


def rows(html: str) -> dict[int, str]:
    """Request number → the row's colour, for the rows of the buffer table."""
    start = html.find('data-testid="buffer-table"')
    table = html[start : html.index("</table>", start)] if start >= 0 else ""
    return {int(number): colour for number, colour in ROW.findall(table)}


def detail(html: str) -> str:
    """The panel of the selected request."""
    start = html.index('data-testid="buffer-detail"')
    return html[start:]


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


def seeded(session_factory: sessionmaker[Session], status: str) -> int:
    """The id of the request seeded for Ёлкин with this status (accepted by 50001, rejected by
    50002)."""
    with session_factory() as s:
        return s.scalars(select(BufferRequest.id).where(BufferRequest.status == status)).one()


def test_tfoms_sees_all_requests_of_the_type_coloured(
    login_as: Callable[[str], FlaskClient],
    requests: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    page = login_as("tfoms").get("/buffer/").text
    found = rows(page)
    # Two seeded for Ёлкин (accepted, rejected) plus three of type 1 here; type 2 not shown.
    assert len(found) == 5
    assert requests["military"] not in found
    assert found[requests["sent"]] == "white"
    assert found[requests["multiple"]] == "yellow"
    assert found[requests["transport_error"]] == "red"
    assert found[seeded(session_factory, "rejected")] == "red"
    assert found[seeded(session_factory, "accepted")] == "green"
    # The colours are the Bootstrap row classes, explained by the legend.
    assert 'class="table-success' in page and 'class="table-warning' in page
    assert "Условные обозначения" in page
    for text in ("завершён успешно", "завершён с ошибкой", "множественная идентификация"):
        assert text in page


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


def test_smo_operator_gets_404_for_another_smo_request(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    client = login_as("smo1")
    other = requests["multiple"]  # СМО 50002
    response = client.get("/buffer/", query_string={"selected": other})
    assert response.status_code == 404
    assert "ПЕТРОВ" not in response.text
    for url in (f"/buffer/{other}/resend",):
        assert client.get(url).status_code == 404
    # Filtering by the number shows nothing either.
    assert rows(client.get("/buffer/", query_string={"request_id": other}).text) == {}
    # Their own is there.
    own = client.get("/buffer/", query_string={"selected": requests["sent"]})
    assert own.status_code == 200
    assert f'data-request-id="{requests["sent"]}"' in detail(own.text)


def test_type_two_is_military_service(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    page = login_as("tfoms").get("/buffer/", query_string={"buffer_type": "2"}).text
    assert list(rows(page)) == [requests["military"]]
    assert re.search(r'<option (selected )?value="2"( selected)?>2 – Военная служба', page)


@pytest.mark.parametrize("bad", ["", "3", "0", "abc"])
def test_buffer_type_is_required(login_as: Callable[[str], FlaskClient], bad: str) -> None:
    page = login_as("tfoms").get("/buffer/", query_string={"buffer_type": bad}).text
    assert "Выберите тип буфера: 1 – Страхование ЗЛ, 2 – Военная служба" in page
    assert 'aria-invalid="true"' in page
    assert not rows(page)


def test_hide_successful_hides_green_only(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    client = login_as("tfoms")
    # «Скрыть успешно завершённые» hides the green requests only: errors stay in sight.
    page = client.get("/buffer/", query_string={"hide_finished": "y"}).text
    shown = rows(page)
    assert "green" not in shown.values()
    assert {"white", "red", "yellow"} <= set(shown.values())
    assert len(shown) == 4
    assert "Скрыть успешно завершённые" in page
    assert re.search(r'id="hide_finished"[^>]*checked|checked[^>]*id="hide_finished"', page)


def test_status_filter(login_as: Callable[[str], FlaskClient], requests: dict[str, int]) -> None:
    client = login_as("tfoms")
    rejected = rows(client.get("/buffer/", query_string={"status": "rejected"}).text)
    assert set(rejected.values()) == {"red"}
    assert len(rejected) == 1
    bad = client.get("/buffer/", query_string={"status": "nonsense"}).text
    assert "Неизвестный статус запроса" in bad


def test_date_filter(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        made = {
            day: add_request(
                s, created_at=dt.datetime(2024, 3, day, 12, 0, tzinfo=dt.UTC), status="new"
            ).id
            for day in (1, 10, 20)
        }
    client = login_as("tfoms")
    between = rows(
        client.get(
            "/buffer/", query_string={"created_from": "05.03.2024", "created_to": "10.03.2024"}
        ).text
    )
    assert set(between) == {made[10]}
    since = rows(client.get("/buffer/", query_string={"created_from": "10.03.2024"}).text)
    assert made[10] in since and made[20] in since and made[1] not in since
    until = rows(client.get("/buffer/", query_string={"created_to": "01.03.2024"}).text)
    assert set(until) == {made[1]}

    bad = client.get("/buffer/", query_string={"created_from": "2024/03/01"}).text
    assert "Дата должна быть в формате ДД.ММ.ГГГГ" in bad
    assert not rows(bad)
    backwards = client.get(
        "/buffer/", query_string={"created_from": "10.03.2024", "created_to": "01.03.2024"}
    ).text
    assert "Дата «по» раньше даты «с»" in backwards


def test_author_filter_and_column(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        author = create_user(s, login="Operator7", full_name="Семёнов", role="tfoms", password=None)
        mine = add_request(s, status="new", author_id=author.id).id
        add_request(s, status="new")
    client = login_as("tfoms")
    page = client.get("/buffer/", query_string={"author": "operator7"}).text
    assert set(rows(page)) == {mine}
    assert "<td>operator7</td>" in page
    assert rows(client.get("/buffer/", query_string={"author": "nobody"}).text) == {}


def test_surname_filter_is_a_prefix_of_the_normalised_surname(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        made = {
            surname: add_request(
                s, surname=surname, surname_norm=normalize_name(surname), status="new"
            ).id
            for surname in ("Ёлкина", "Елкин", "Белкин")
        }
    client = login_as("tfoms")
    found = rows(client.get("/buffer/", query_string={"surname": "ёлк"}).text)
    assert set(found) == {made["Ёлкина"], made["Елкин"]}
    assert set(rows(client.get("/buffer/", query_string={"surname": "Белкин"}).text)) == {
        made["Белкин"]
    }


def test_person_filter_from_the_register_screen(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as s:
        closed = s.get(Person, persons["closed"])
        own = add_request(s, closed, status="new").id
        military = add_request(s, closed, status="new", buffer_type=2).id
    client = login_as("tfoms")
    page = client.get("/buffer/", query_string={"person_id": persons["closed"]}).text
    assert set(rows(page)) == {own}
    # The condition is kept (a hidden field), shown, and can be removed.
    assert f'name="person_id" value="{persons["closed"]}"' in page
    assert "Отбор: застрахованное лицо №" in page
    # The person has a request in the other buffer: the page says so and links to it.
    assert 'data-testid="buffer-other-type"' in page
    other = client.get(
        "/buffer/", query_string={"person_id": persons["closed"], "buffer_type": 2}
    ).text
    assert set(rows(other)) == {military}
    chip = re.search(r'data-testid="filter-chip-person_id".*?href="([^"]+)"', page, re.S)
    assert chip and "person_id" not in chip.group(1)
    bad = client.get("/buffer/", query_string={"person_id": "x1"}).text
    assert "Ожидается номер" in bad


def test_request_number_link_finds_the_type_and_selects_it(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    page = login_as("tfoms").get("/buffer/", query_string={"request_id": requests["military"]})
    assert page.status_code == 200
    assert set(rows(page.text)) == {requests["military"]}
    assert f'data-request-id="{requests["military"]}" aria-label="Выбранный запрос"' in page.text
    assert "Военная служба" in detail(page.text)


def test_selected_request_shows_tabs_and_errors_in_russian(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        made = add_request(
            s,
            status="rejected",
            message_id="0f1e2d3c-0000-4000-8000-000000000001",
            batch_id="batch-42",
            proposed={"surname": "ПЕТРОВ", "birth_date": "1990-01-01", "sex": 1},
            errors=[
                {"field": "snils", "message": "СНИЛС не найден в ФЕРЗЛ"},
                {"field": "doc_number", "message": "Номер ДУЛ похож на тестовый", "warning": True},
                {"field": None, "message": "Сообщение отклонено целиком"},
            ],
        ).id
    page = login_as("tfoms").get("/buffer/", query_string={"selected": made}).text
    assert re.search(rf'data-request-id="{made}"[^>]*>\s*<td[^>]*><a[^>]*aria-current="true"', page)
    panel = detail(page)
    assert 'data-testid="tab-request"' in panel and 'data-testid="tab-answers"' in panel
    # «Запрос»: the proposed record with field titles.
    assert "Дата рождения" in panel and "01.01.1990" in panel and "Мужской" in panel
    # «Ответы ФЕРЗЛ»: the exchange identifiers.
    assert "0f1e2d3c-0000-4000-8000-000000000001" in panel and "batch-42" in panel
    # Errors: field title and message, errors before warnings, warnings marked.
    errors = re.findall(r'data-testid="buffer-error"[^>]*>(.*?)</li>', panel, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", e).split()) for e in errors]
    assert texts == [
        "СНИЛС: СНИЛС не найден в ФЕРЗЛ",
        "Запрос в целом: Сообщение отклонено целиком",
        "Номер ДУЛ: Номер ДУЛ похож на тестовый предупреждение",
    ]


def test_no_selection_shows_a_hint_and_no_actions(
    login_as: Callable[[str], FlaskClient], requests: dict[str, int]
) -> None:
    panel = detail(login_as("tfoms").get("/buffer/").text)
    assert "Запрос не выбран" in panel
    assert re.search(r'<button[^>]*disabled[^>]*data-testid="btn-resend"', panel)
    assert re.search(r'<button[^>]*disabled[^>]*data-testid="btn-delete"', panel)


@pytest.mark.parametrize(
    ("login", "status", "enabled", "hidden"),
    [
        ("tfoms", "rejected", {"btn-resend", "btn-delete"}, set()),
        ("tfoms", "format_checked", {"btn-force-send", "btn-delete"}, set()),
        ("tfoms", "transport_error", {"btn-resend", "btn-force-send", "btn-delete"}, set()),
        ("tfoms", "sent", {"btn-delete"}, set()),
        ("smo1", "rejected", {"btn-resend"}, {"btn-force-send", "btn-delete"}),
        ("smo1", "sent", set(), {"btn-force-send", "btn-delete"}),
    ],
)
def test_buttons_by_role_and_status(
    login_as: Callable[[str], FlaskClient],
    session_factory: sessionmaker[Session],
    login: str,
    status: str,
    enabled: set[str],
    hidden: set[str],
) -> None:
    with transaction(session_factory) as s:
        made = add_request(s, status=status, author_smo="50001").id
    panel = detail(login_as(login).get("/buffer/", query_string={"selected": made}).text)
    buttons = {
        testid: "disabled" not in tag
        for tag, testid in re.findall(
            r'(<(?:a|button)\b[^>]*data-testid="(btn-[\w-]+)"[^>]*>)', panel
        )
    }
    assert {t for t, on in buttons.items() if on} == enabled
    assert not hidden & set(buttons)


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


@pytest.mark.parametrize("login", ["mo", "stat", "admin"])
def test_other_roles_are_refused(login_as: Callable[[str], FlaskClient], login: str) -> None:
    client = login_as(login)
    assert client.get("/buffer/").status_code == 403
    assert client.get("/buffer/1/resend").status_code == 403
    assert client.get("/buffer/1/delete").status_code == 403


def test_exchange_journal_is_for_tfoms(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    from register.exchange import WARNING, journal

    with transaction(session_factory) as s:
        journal(
            s,
            WARNING,
            "late_answer",
            "Запоздалый ответ AA на прежнюю отправку запроса № 7: запрос не изменён",
            file_name="46000-x.uprak2",
            buffer_request_id=7,
        )
    tfoms = login_as("tfoms")
    listing = tfoms.get("/buffer/?type=1").get_data(as_text=True)
    assert 'data-testid="link-exchange-journal"' in listing
    page = tfoms.get("/buffer/journal").get_data(as_text=True)
    assert "Запоздалый ответ AA на прежнюю отправку запроса № 7" in page
    assert 'data-kind="late_answer"' in page and "table-warning" in page
    assert "46000-x.uprak2" in page
    smo = login_as("smo1")
    assert smo.get("/buffer/journal").status_code == 403
    assert "link-exchange-journal" not in smo.get("/buffer/?type=1").get_data(as_text=True)
