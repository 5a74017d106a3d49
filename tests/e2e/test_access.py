"""What each role may do, seen in a real browser: an СМО operator and another СМО's person,
an СМО operator's buffer, an МО operator's register screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from register.models import Person
from tests.e2e.support import assert_clean, pick_person, put_edit_request

pytestmark = pytest.mark.slow

#: The demo СМО operators are bound to the first two СМО of the region.
SMO_OF = {"smo": "50001", "smo2": "50002"}


def _find_and_select(page: Page, person: Person) -> None:
    """Find the person by ЕНП through the filter and select the row with a click."""
    page.goto("/persons/")
    page.get_by_test_id("person-filter").locator("#enp").fill(person.enp)
    page.get_by_test_id("btn-find").click()
    page.locator(f"#person-{person.id} td").nth(2).click()
    expect(page.get_by_test_id("selection")).to_have_attribute("data-person-id", str(person.id))


# --- 6. An СМО operator and a person of another СМО ------------------------------------------


def test_smo_operator_may_not_change_another_smos_person(login_as, shot, db) -> None:
    other = pick_person(db, Person.smo_code == "50003")
    own = pick_person(db, Person.smo_code == SMO_OF["smo"])
    page = login_as("smo")

    _find_and_select(page, own)
    expect(page.get_by_test_id("btn-edit")).to_have_attribute(
        "href", re.compile(rf"^/persons/{own.id}/edit")
    )

    _find_and_select(page, other)
    expect(page.get_by_test_id("btn-add")).to_be_visible()  # registering in their own СМО
    for button in ("btn-edit", "btn-close"):
        locator = page.get_by_test_id(button)
        expect(locator).to_have_attribute("aria-disabled", "true")
        expect(locator).not_to_have_attribute("href", re.compile("."))
        expect(locator).to_have_attribute("title", re.compile("другой СМО"))
    shot(page, "register-smo-other-smo")

    for path in (f"/persons/{other.id}/edit", f"/persons/{other.id}/close"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Доступ запрещён")
        expect(page.locator(".error-page")).to_contain_text(
            "Застрахованный относится к другой СМО: изменять его сведения может только "
            "эта СМО или ТФОМС"
        )
    shot(page, "forbidden-403")
    assert_clean(page)


# --- 8. An СМО operator's buffer; an МО operator ------------------------------------------------


def test_smo_operator_sees_only_their_own_buffer_requests(login_as, shot, db) -> None:
    own = put_edit_request(
        db,
        "smo",
        pick_person(db, Person.smo_code == SMO_OF["smo"], editable=True),
        {"email": "own@example.ru"},
    )
    foreign = put_edit_request(
        db,
        "smo2",
        pick_person(db, Person.smo_code == SMO_OF["smo2"], editable=True),
        {"email": "foreign@example.ru"},
    )
    by_tfoms = put_edit_request(
        db, "tfoms", pick_person(db, editable=True), {"email": "tfoms@example.ru"}
    )

    page = login_as("smo")
    page.goto("/buffer/")
    expect(page.get_by_text("Показаны запросы вашей СМО.")).to_be_visible()
    expect(page.locator(f'[data-testid=buffer-row][data-request-id="{own}"]')).to_be_visible()
    for hidden in (foreign, by_tfoms):
        expect(page.locator(f'[data-testid=buffer-row][data-request-id="{hidden}"]')).to_have_count(
            0
        )
    rows = page.get_by_test_id("buffer-row")
    for i in range(rows.count()):
        expect(rows.nth(i).locator("td").nth(9)).to_have_text(SMO_OF["smo"])
    # The ТФОМС's buttons are not there for an СМО operator.
    expect(page.get_by_test_id("btn-delete")).to_have_count(0)
    expect(page.get_by_test_id("btn-force-send")).to_have_count(0)
    shot(page, "buffer-smo")

    # Another СМО's request by its number: as if it did not exist.
    response = page.goto(f"/buffer/?selected={foreign}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Страница не найдена")
    assert_clean(page)


def test_mo_operator_sees_no_change_buttons(login_as, shot, db) -> None:
    person = pick_person(db)
    page = login_as("mo")
    _find_and_select(page, person)
    # Nor «Состояние в ФЕРЗЛ»: the exchange with ФЕРЗЛ is not the МО's.
    for button in ("btn-add", "btn-edit", "btn-close", "btn-state"):
        expect(page.get_by_test_id(button)).to_have_count(0)
    expect(page.get_by_test_id("menu-print")).to_have_count(1)
    expect(page.get_by_test_id("menu-buffer")).to_have_count(0)
    expect(page.get_by_test_id("menu-audit")).to_have_count(0)
    shot(page, "register-mo")

    for path in (f"/persons/{person.id}/edit", "/persons/new", "/buffer/"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Доступ запрещён")
    assert_clean(page)
