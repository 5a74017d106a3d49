"""The exchange with the central segment end to end, through the real processes.

`rserz demo` runs the web app, Dagster (its daemon runs the sensors) and the FERZL
emulator. In a real browser an operator registers persons; Dagster sends the batch,
the emulator answers, Dagster ingests the answers — and the buffer turns green, red
(with the reason; corrected and resent, then green) or yellow (multiple
identification). Nothing here writes to the buffer behind the processes' backs.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from register.snils import format_snils, make_snils
from tests.integration.support import PASSWORD

pytestmark = pytest.mark.slow

ROUND_TRIP_MS = 150_000  # sensor → run → emulator → sensor → run, on a loaded 2-core machine


@pytest.fixture(scope="module")
def page(platform: dict, browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{platform['ports']['web']}"
    context = browser.new_context(
        base_url=base, viewport={"width": 1440, "height": 900}, locale="ru-RU"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("input[name=login]", "tfoms")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/auth/login"))
    yield page
    context.close()


def _register(page: Page, **fields: str) -> int:
    """Fill «Постановка на учёт» and save; returns the buffer request number."""
    page.goto("/persons/new")
    form = page.get_by_test_id("register-form")
    for name, value in fields.items():
        control = form.locator(f"#{name}")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.get_by_test_id("btn-save").click()
    flash = page.get_by_test_id("flash-request")
    expect(flash).to_contain_text("отправлен в буфер")
    return int(flash.get_attribute("data-request-id") or 0)


def _wait_for_colour(page: Page, request_id: int, colour: str) -> None:
    """Reload the buffer until the request's row has the colour (the processes work meanwhile)."""
    page.goto(f"/buffer/?request_id={request_id}")
    row = page.locator(f'[data-testid=buffer-row][data-request-id="{request_id}"]')
    deadline_ms = ROUND_TRIP_MS
    while deadline_ms > 0:
        if row.count() and row.get_attribute("data-colour") == colour:
            return
        page.wait_for_timeout(2000)
        deadline_ms -= 2000
        page.reload()
    pytest.fail(f"request {request_id} did not turn {colour}: {row.inner_text()}")


def _person(i: int, surname: str, **extra: str) -> dict[str, str]:
    return {
        "surname": surname,
        "name": "Мария",
        "patronymic": "Олеговна",
        "sex": "2",
        "birth_date": f"{10 + i:02d}.04.1991",
        "doc_type": "14",
        "doc_series": "46 21",
        "doc_number": f"{870000 + i:06d}",
        "doc_issue_date": "15.05.2011",
        "smo_code": "50001",
        **extra,
    }


def test_registered_person_is_confirmed_and_appears_in_the_register(page: Page) -> None:
    request_id = _register(page, **_person(1, "Обменова"))
    _wait_for_colour(page, request_id, "green")
    row = page.locator(f'[data-testid=buffer-row][data-request-id="{request_id}"]')
    expect(row).to_contain_text("Принят")
    page.goto("/persons/?surname=%D0%9E%D0%B1%D0%BC%D0%B5%D0%BD%D0%BE%D0%B2%D0%B0")  # Обменова
    expect(page.locator("table")).to_contain_text("Обменова")


def test_rejected_request_shows_the_reason_then_goes_through_after_correction(
    page: Page, platform: dict
) -> None:
    # The СНИЛС of a person of another region (seeded in the central segment only).
    url = (
        f"http://127.0.0.1:{platform['ports']['ferzl']}/api/v1/persons?"
        "surname=%D0%94%D0%92%D0%9E%D0%99%D0%9D%D0%98%D0%9A%D0%9E%D0%92"  # ДВОЙНИКОВ
        "&name=%D0%98%D0%92%D0%90%D0%9D&birth_date=1980-05-05"
    )
    with urllib.request.urlopen(url, timeout=10) as answer:
        foreign_snils = json.loads(answer.read())["items"][0]["snils"]
    request_id = _register(page, **_person(2, "Ошибкина", snils=format_snils(foreign_snils)))
    _wait_for_colour(page, request_id, "red")
    page.locator(f'[data-testid=buffer-row][data-request-id="{request_id}"]').get_by_test_id(
        "buffer-row-select"
    ).click()
    expect(page.get_by_test_id("buffer-errors")).to_contain_text(
        "СНИЛС принадлежит другому застрахованному лицу"
    )

    page.get_by_test_id("btn-resend").click()
    form = page.get_by_test_id("resend-form")
    form.locator("#f-snils").fill(format_snils(make_snils("187654321")))
    form.get_by_test_id("resend-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"Запрос № {request_id} исправлен")
    _wait_for_colour(page, request_id, "green")


def test_multiple_identification_turns_yellow(page: Page) -> None:
    twin = {
        **_person(3, "Двойников"),
        "name": "Иван",
        "patronymic": "Петрович",
        "sex": "1",
        "birth_date": "05.05.1980",
    }
    request_id = _register(page, **twin)
    _wait_for_colour(page, request_id, "yellow")
    row = page.locator(f'[data-testid=buffer-row][data-request-id="{request_id}"]')
    expect(row).to_contain_text("Множественная идентификация")
