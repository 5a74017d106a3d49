"""The register screen as a whole: its six parts, the selected person, the buttons by role,
the colours of the rows, the count, the print card."""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog, Person
from tests.webapp.support import add_request
from webapp.persons.actions import NO_SELECTION, NOT_YOUR_SMO

PARTS = ("person-filter", "person-toolbar", "person-list")
SELECTION_PARTS = ("person-tabs", "person-history", "person-detail")


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def by_testid(doc: lxml.html.HtmlElement, name: str) -> list[lxml.html.HtmlElement]:
    return doc.xpath(f'//*[@data-testid="{name}"]')


def one(doc: lxml.html.HtmlElement, name: str) -> lxml.html.HtmlElement:
    (found,) = by_testid(doc, name)
    return found


def views(session_factory: sessionmaker[Session], person_id: int) -> int:
    with transaction(session_factory) as s:
        return s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "person.view", AuditLog.object_id == str(person_id))
        )


@pytest.fixture
def tfoms(login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return login_as("tfoms")


def test_the_screen_has_its_parts_and_no_selection_at_first(tfoms: FlaskClient) -> None:
    doc = page(tfoms.get("/persons/", query_string={"surname": "Ёлкин"}).text)
    for part in PARTS:
        assert len(doc.xpath(f'//*[@id="{part}"][@data-testid="{part}"]')) == 1, part
    assert one(doc, "no-selection") is not None
    for part in SELECTION_PARTS:
        assert not by_testid(doc, part)
    # Without a selection the person buttons are greyed and say why.
    edit = one(doc, "btn-edit")
    assert edit.get("aria-disabled") == "true" and edit.get("href") is None
    assert edit.get("title") == NO_SELECTION
    assert one(doc, "btn-add").get("href").startswith("/persons/new")
    # Shortcuts are announced to the eye and to assistive technology.
    assert one(doc, "btn-add").get("aria-keyshortcuts") == "Alt+N"
    assert "Alt+E" in edit.get("data-title")


def test_selection_renders_tabs_history_detail_and_is_audited(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    response = tfoms.get("/persons/", query_string={"surname": "Ёлкин", "selected": yolkin})
    doc = page(response.text)
    for part in (*PARTS, *SELECTION_PARTS):
        assert len(by_testid(doc, part)) == 1, part
    assert views(session_factory, yolkin) == 1
    entry_ip = "127.0.0.1"
    with transaction(session_factory) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "person.view")).one()
        assert (entry.user_login, entry.remote_addr) == ("tfoms", entry_ip)

    # The row is marked; the buttons point at the person and keep the filter for coming back.
    (row,) = doc.xpath(f'//tr[@id="person-{yolkin}"]')
    assert "is-selected" in row.get("class") and row.get("aria-selected") == "true"
    edit = one(doc, "btn-edit").get("href")
    assert edit.startswith(f"/persons/{yolkin}/edit?back=")
    assert "surname" in edit
    assert one(doc, "btn-close").get("href").startswith(f"/persons/{yolkin}/close")
    assert one(doc, "btn-state").get("href") == f"/persons/{yolkin}/ferzl"
    assert one(doc, "menu-print").get("href") == f"/persons/{yolkin}/print"
    assert one(doc, "menu-buffer").get("href") == f"/buffer/?person_id={yolkin}"
    assert one(doc, "menu-audit").get("href") == f"/audit/?object_type=person&object_id={yolkin}"

    # 4. The compact record and the requests (both СМО's for ТФОМС), coloured.
    summary = one(doc, "record-summary").text_content()
    assert "Ёлкин Пётр Семёнович" in summary and "112-233-445 95" in summary
    requests = by_testid(doc, "request-row")
    assert {r.get("data-colour") for r in requests} == {"green", "red"}
    assert {r.get("class") for r in requests} == {"table-success", "table-danger"}
    assert "Отклонён" in one(doc, "pane-requests").text_content()
    assert "active" in one(doc, "tab-record").get("class")

    # 5. History: newest first; the СНИЛС added in the second version is highlighted.
    newer, older = by_testid(doc, "history-row")
    assert newer.xpath('.//td[@data-changed="1"]')[0].text_content().startswith("112-233-445 95")
    assert not older.xpath('.//td[@data-changed="1"]')
    assert "СНИЛС" in newer.xpath('.//td[@class="changed-list"]')[0].text_content()

    # 6. Detail: the current record is shown, the versions are there, hidden.
    assert one(doc, "detail-current").get("hidden") is None
    version_key = newer.get("data-key")
    assert one(doc, f"detail-{version_key}").get("hidden") is not None


def test_chosen_version_and_tab_come_from_the_address(
    tfoms: FlaskClient, persons: dict[str, int]
) -> None:
    yolkin = persons["yolkin"]
    first = page(tfoms.get("/persons/", query_string={"selected": yolkin}).text)
    _, older = by_testid(first, "history-row")
    version = older.get("data-key")[1:]
    doc = page(
        tfoms.get(
            "/persons/", query_string={"selected": yolkin, "version": version, "tab": "requests"}
        ).text
    )
    assert one(doc, f"detail-v{version}").get("hidden") is None
    assert one(doc, "detail-current").get("hidden") is not None
    assert "is-selected" in doc.xpath(f'//tr[@data-key="v{version}"]')[0].get("class")
    assert "active" in one(doc, "tab-requests").get("class")
    # Without an empty filter the table is not shown, the selected person is.
    assert one(doc, "empty-hint") is not None


def test_the_newer_version_highlights_its_changed_fields(
    tfoms: FlaskClient, persons: dict[str, int]
) -> None:
    doc = page(tfoms.get("/persons/", query_string={"selected": persons["yolkin"]}).text)
    newer, _ = by_testid(doc, "history-row")
    detail = one(doc, f"detail-{newer.get('data-key')}")
    changed = detail.xpath('.//div[contains(@class, "changed")]/dt')
    assert [dt.text_content() for dt in changed] == ["СНИЛС"]


def test_unknown_selection_is_ignored(tfoms: FlaskClient) -> None:
    for selected in ("999999", "abc", "-1", "²", "99999999999999999999"):
        response = tfoms.get("/persons/", query_string={"surname": "Ёлкин", "selected": selected})
        assert response.status_code == 200
        assert one(page(response.text), "no-selection") is not None


def test_panel_fragment_for_the_script_is_audited(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    response = tfoms.get(
        f"/persons/{yolkin}/panel",
        query_string={"surname": "Ёлкин", "tab": "requests"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    doc = page(response.text)
    for part in SELECTION_PARTS:
        assert len(by_testid(doc, part)) == 1
    assert "active" in one(doc, "tab-requests").get("class")
    # Links of the fragment keep the screen's filter.
    assert "surname=" in one(doc, "tab-record").get("href")
    assert views(session_factory, yolkin) == 1

    # Opened as a page it goes to the screen; an unknown person is a 404.
    page_view = tfoms.get(f"/persons/{yolkin}/panel", query_string={"surname": "Ёлкин"})
    assert page_view.status_code == 302
    assert f"selected={yolkin}" in page_view.location
    missing = tfoms.get("/persons/999999/panel", headers={"X-Requested-With": "fetch"})
    assert missing.status_code == 404


def test_pending_request_colours_the_row_and_blocks_the_changes(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        person = s.get(Person, persons["yolkin"])
        pending = add_request(s, person, status="sent")
        number = pending.id
    doc = page(tfoms.get("/persons/", query_string={"surname": "Ёлкин"}).text)
    (row,) = by_testid(doc, "person-row")
    assert "row-pending" in row.get("class")
    assert row.get("data-pending") == "1"
    assert "незавершённый запрос" in row.get("title")
    assert "незавершённый запрос в буфере" in row.get("data-edit-block")
    legend = one(doc, "legend").text_content()
    assert "есть незавершённый запрос в буфере" in legend

    doc = page(tfoms.get("/persons/", query_string={"selected": persons["yolkin"]}).text)
    edit = one(doc, "btn-edit")
    assert edit.get("href") is None
    assert f"№ {number}" in edit.get("title")
    assert f"№ {number}" in one(doc, "pending-note").text_content()
    # Viewing is not blocked.
    assert one(doc, "btn-state").get("href")


def test_closed_and_deceased_rows_cannot_be_closed_again(
    tfoms: FlaskClient, persons: dict[str, int]
) -> None:
    doc = page(tfoms.get("/persons/", query_string={"selected": persons["deceased"]}).text)
    assert one(doc, "btn-close").get("href") is None
    assert one(doc, "btn-close").get("title") == "Страхование уже прекращено"
    assert one(doc, "btn-edit").get("href")


def test_mo_operator_sees_no_change_buttons(
    login_as: Callable[[str], FlaskClient], persons: dict[str, int]
) -> None:
    doc = page(login_as("mo").get("/persons/", query_string={"selected": persons["yolkin"]}).text)
    # Nor «Состояние в ФЕРЗЛ»: the exchange with ФЕРЗЛ is not theirs.
    for button in ("btn-add", "btn-edit", "btn-close", "btn-state"):
        assert not by_testid(doc, button), button
    # Neither the buffer nor the audit journal are theirs.
    assert not by_testid(doc, "menu-buffer") and not by_testid(doc, "menu-audit")
    assert one(doc, "menu-print").get("href")


def test_smo_operator_may_change_own_persons_only(
    login_as: Callable[[str], FlaskClient], persons: dict[str, int]
) -> None:
    smo2 = login_as("smo2")  # Бета-Полис; Ёлкин is insured by Альфа-Мед
    doc = page(smo2.get("/persons/", query_string={"surname": "Ёлкин"}).text)
    (row,) = by_testid(doc, "person-row")
    assert row.get("data-edit-block") == NOT_YOUR_SMO
    doc = page(smo2.get("/persons/", query_string={"selected": persons["yolkin"]}).text)
    assert one(doc, "btn-edit").get("href") is None
    assert one(doc, "btn-edit").get("title") == NOT_YOUR_SMO
    assert one(doc, "btn-add").get("href")
    assert not by_testid(doc, "menu-audit")
    # Their own СМО's person (Иванов, closed, of Бета-Полис): edit allowed.
    doc = page(smo2.get("/persons/", query_string={"selected": persons["closed"]}).text)
    assert one(doc, "btn-edit").get("href")


def test_count_shown_next_to_its_button(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    doc = page(tfoms.get("/persons/", query_string={"surname": "Ёлкин"}).text)
    assert not by_testid(doc, "count")
    link = one(doc, "btn-count").get("href")
    assert "count=1" in link and "surname=" in link
    counted = page(tfoms.get(link).text)
    assert one(counted, "count").text_content().strip() == "Количество: 1"
    # No filter: no count, the button is greyed.
    empty = page(tfoms.get("/persons/", query_string={"count": "1"}).text)
    assert not by_testid(empty, "count")
    assert one(empty, "btn-count").get("aria-disabled") == "true"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"mo_code": "500001", "surname": "Ёлкин"}, 1),
        ({"mo_code": "500002", "surname": "Ёлкин"}, 0),
        ({"insured_on": "01.01.2021", "status": "closed"}, 1),
        ({"insured_on": "01.01.2023", "status": "closed"}, 0),
    ],
)
def test_filter_by_mo_and_insured_on_date(
    tfoms: FlaskClient, query: dict[str, str], expected: int
) -> None:
    doc = page(tfoms.get("/persons/", query_string=query).text)
    assert len(by_testid(doc, "person-row")) == expected


def test_mo_filter_offers_the_mo_of_the_region(tfoms: FlaskClient) -> None:
    doc = page(tfoms.get("/persons/").text)
    options = doc.xpath('//select[@id="mo_code"]/option/@value')
    assert options == ["", "500002", "500001"]  # «Любая», then by name: Подольская, Химкинская


def test_old_state_view_address_leads_to_the_ferzl_screen(
    tfoms: FlaskClient, persons: dict[str, int]
) -> None:
    response = tfoms.get(f"/persons/{persons['yolkin']}?state=1")
    assert response.status_code == 302
    assert response.location == f"/persons/{persons['yolkin']}/ferzl"


def test_print_card(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    yolkin = persons["yolkin"]
    response = login_as("mo").get(f"/persons/{yolkin}/print")
    assert response.status_code == 200
    doc = page(response.text)
    assert doc.xpath("//h1")[0].text_content() == "Выписка из регистра застрахованных лиц"
    assert "5052410834" in one(doc, "print-card").text_content()  # the ЕНП of 15.07.1985, man
    assert one(doc, "printed-by").text_content() == "Волков Андрей (Химкинская)"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", one(doc, "printed-at").text_content())
    # Print CSS, no navigation of the application.
    assert "/static/rserz-print.css" in response.text
    assert "breadcrumb" not in response.text and "Выйти" not in response.text
    assert views(session_factory, yolkin) == 1
    assert login_as("mo").get("/persons/999999/print").status_code == 404
    assert login_as("stat").get(f"/persons/{yolkin}/print").status_code == 403


def test_rows_are_keyboard_and_script_ready(tfoms: FlaskClient, persons: dict[str, int]) -> None:
    doc = page(tfoms.get("/persons/", query_string={"surname": "Ёлкин"}).text)
    (table,) = by_testid(doc, "persons-table")
    assert table.get("data-selectable") == "persons"
    assert table.get("data-open-url") == "/persons/{id}"
    (row,) = by_testid(doc, "person-row")
    assert row.get("data-key") == str(persons["yolkin"])
    # Without the script, the name selects the row by a link that keeps the filter.
    link = row.xpath('.//a[@class="person-link"]')[0].get("href")
    assert f"selected={persons['yolkin']}" in link and "surname=" in link
