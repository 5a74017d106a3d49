"""The screens in a real browser: logging in (password, electronic signature), the register
screen (search, keyboard, count), the print card and the audit journal.

Changes of persons are in test_person_changes.py, the rights of the roles in test_access.py.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from register.models import Person
from register.search import count_persons, parse_query
from tests.e2e.conftest import PASSWORD
from tests.e2e.support import assert_clean, pick_person, ru, snils_shown, unique_snils

pytestmark = pytest.mark.slow

SELECTED = re.compile(r"\bis-selected\b")


# --- 1. Logging in -------------------------------------------------------------------


def test_password_login_and_wrong_password(new_page, shot) -> None:
    page = new_page()
    # A bookmark opened without a session leads to the login page and back after it.
    page.goto("/persons/")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/persons/$"))
    expect(page.get_by_test_id("flash")).to_have_text("Войдите в систему, чтобы продолжить")
    expect(page.get_by_test_id("login-mode-password")).to_have_attribute("aria-current", "page")
    shot(page, "login")

    page.fill("input[name=login]", "tfoms")
    page.fill("input[name=password]", "не-тот-пароль")
    page.get_by_test_id("password-login-submit").click()
    expect(page.get_by_test_id("login-message")).to_have_text("Неверный логин или пароль")
    expect(page.locator(".user-name")).to_have_count(0)
    shot(page, "login-wrong-password")

    page.fill("input[name=login]", "tfoms")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_test_id("password-login-submit").click()
    expect(page).to_have_url(re.compile(r"/persons/$"))
    expect(page.locator(".user-name")).to_have_text("Смирнова Ольга Викторовна")
    expect(page.locator(".user-role")).to_have_text("Оператор ТФОМС")

    page.goto("/")
    expect(page.get_by_role("heading", name="Главная")).to_be_visible()
    shot(page, "main")
    page.get_by_role("link", name="РСЕРЗ").first.click()
    expect(page).to_have_url(re.compile(r"/rserz$"))
    for mode in ("Регистр застрахованных лиц", "Буфер", "Срезы", "Журнал аудита"):
        expect(page.get_by_role("link", name=mode).first).to_be_visible()
    shot(page, "rserz")
    assert_clean(page)


def _proxy_headers(thumbprint: str, snils: str, verify: str = "SUCCESS") -> dict[str, str]:
    """What the TLS proxy sends after checking the client certificate (nginx's variables)."""
    return {
        "X-SSL-Client-Verify": verify,
        "X-SSL-Client-Fingerprint": thumbprint,
        "X-SSL-Client-S-DN": f"CN=Elektronova Vera Petrovna,SNILS={snils},O=TFOMS,C=RU",
    }


def _certificate_login(page: Page) -> None:
    page.goto("/auth/login?mode=cert")
    expect(page.get_by_test_id("login-mode-cert")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("cert-login-submit").click()


def test_certificate_login_after_binding_by_admin(login_as, new_page, shot, db) -> None:
    # The administrator creates a user and binds a certificate to them.
    admin = login_as("admin")
    admin.goto("/admin/users")
    expect(admin.get_by_test_id("user-row")).not_to_have_count(0)
    shot(admin, "admin-users")
    admin.get_by_test_id("btn-create-user").click()
    login = f"ep-{secrets.token_hex(3)}"
    full_name = "Электронова Вера Петровна"
    form = admin.get_by_test_id("create-user-form")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=full_name]").fill(full_name)
    form.locator("select[name=role]").select_option("tfoms")
    expect(form.locator("select[name=smo_code]")).to_be_hidden()
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password_again]").fill(PASSWORD + "!")
    form.get_by_test_id("create-user-submit").click()
    expect(form.get_by_test_id("field-password_again")).to_contain_text("Пароли не совпадают")
    shot(admin, "admin-create-user-errors")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password_again]").fill(PASSWORD)
    form.get_by_test_id("create-user-submit").click()
    expect(admin.get_by_test_id("flash")).to_have_text(f"Пользователь «{login}» создан")

    thumbprint = secrets.token_hex(20).upper()
    snils = unique_snils(db)
    cert = admin.get_by_test_id("certificate-form")
    # As copied from the certificate's properties: pairs, lower case (the app normalises).
    cert.locator("input[name=thumbprint]").fill(
        " ".join(thumbprint[i : i + 2] for i in range(0, 40, 2)).lower()
    )
    cert.locator("input[name=snils]").fill(snils_shown(snils))
    cert.locator("input[name=enabled]").check()
    cert.get_by_test_id("certificate-submit").click()
    expect(admin.get_by_test_id("flash")).to_have_text(
        f"Привязка сертификата пользователя «{login}» сохранена"
    )
    shot(admin, "admin-user-certificate")
    admin.goto("/admin/users")
    row = admin.locator(f'[data-testid=user-row][data-login="{login}"]')
    expect(row).to_contain_text(f"{thumbprint[:8]}…{thumbprint[-4:]}")
    expect(row).to_contain_text("разрешён")
    assert_clean(admin)

    # The proxy verified the certificate: «Эл. подпись» logs the user in without a password.
    page = new_page(_proxy_headers(thumbprint, snils))
    page.goto("/auth/login?mode=cert")
    shot(page, "login-certificate")
    _certificate_login(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".user-name")).to_have_text(full_name)
    assert_clean(page)

    # A reissued certificate (new thumbprint) of the same owner: found by the СНИЛС.
    reissued = new_page(_proxy_headers(secrets.token_hex(20).upper(), snils))
    _certificate_login(reissued)
    expect(reissued.locator(".user-name")).to_have_text(full_name)
    assert_clean(reissued)

    # The proxy says the certificate failed its check: refused, with the reason.
    refused = new_page(_proxy_headers(thumbprint, snils, verify="FAILED:certificate has expired"))
    _certificate_login(refused)
    expect(refused.get_by_test_id("login-message")).to_have_text(
        "Сертификат не прошёл проверку на защищённом шлюзе: certificate has expired"
    )
    expect(refused.locator(".user-name")).to_have_count(0)
    shot(refused, "login-certificate-refused")
    assert_clean(refused)

    # No certificate presented at all.
    absent = new_page({"X-SSL-Client-Verify": "NONE"})
    _certificate_login(absent)
    expect(absent.get_by_test_id("login-message")).to_contain_text("Сертификат не предъявлен")
    assert_clean(absent)


# --- 2. Search and the keyboard ----------------------------------------------------------


def _yo_prefix(surname: str) -> str | None:
    """The surname's beginning up to one letter past its «ё», in lower case with «е»."""
    lower = surname.lower()
    at = lower.find("ё")
    return lower[: at + 2].replace("ё", "е") if 0 <= at <= 4 else None


def test_search_by_surname_prefix_and_birth_date_then_keyboard(login_as, shot, db) -> None:
    person = pick_person(db, Person.surname.like("%ё%"), accept=lambda p: _yo_prefix(p.surname))
    prefix = _yo_prefix(person.surname)
    assert prefix and "ё" not in prefix and prefix != person.surname[: len(prefix)]

    page = login_as("tfoms")
    page.goto("/persons/")
    expect(page.get_by_test_id("empty-hint")).to_be_visible()
    expect(page.get_by_test_id("btn-count")).to_have_attribute("aria-disabled", "true")
    shot(page, "register-empty")

    # An impossible date: the filter says so in Russian and searches nothing.
    filters = page.get_by_test_id("person-filter")
    filters.locator("#surname").fill(prefix)
    filters.locator("#birth_date").fill("30.02.1990")
    filters.get_by_test_id("btn-find").click()
    expect(page.locator("#birth_date-error")).to_have_text("Несуществующая дата: 30.02.1990")
    expect(page.get_by_role("alert")).to_contain_text("Исправьте условия поиска")
    expect(page.get_by_test_id("person-row")).to_have_count(0)
    shot(page, "register-filter-errors")

    filters.locator("#surname").fill(prefix)
    filters.locator("#birth_date").fill(ru(person.birth_date))
    filters.get_by_test_id("btn-find").click()
    row = page.locator(f"#person-{person.id}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(person.enp)
    expect(row).to_contain_text(f"{person.surname} {person.name}")
    expect(row).to_contain_text(ru(person.birth_date))
    for cell in page.get_by_test_id("person-row").locator("td:nth-child(3)").all():
        expect(cell).to_have_text(ru(person.birth_date))
    # The search is a bookmark: the address carries the filled conditions only.
    assert "birth_date=" in page.url and "enp=" not in page.url
    shot(page, "register-search")

    # Broader, by the first two letters: then the keyboard.
    filters.locator("#birth_date").fill("")
    filters.locator("#surname").fill(prefix[:2])
    filters.locator("#surname").press("Enter")
    expect(page).not_to_have_url(re.compile("birth_date="))
    rows = page.get_by_test_id("person-row")
    expect(rows.nth(1)).to_be_visible()
    first, second = rows.nth(0), rows.nth(1)
    first_id, second_id = first.get_attribute("data-key"), second.get_attribute("data-key")
    second_enp = second.locator("td").first.inner_text()

    page.keyboard.press("Alt+q")  # «к условиям поиска»
    expect(filters.locator("#surname")).to_be_focused()
    page.keyboard.press("ArrowDown")  # from the filter into the table
    expect(first).to_have_class(SELECTED)
    expect(first).to_be_focused()
    expect(page.get_by_test_id("selection")).to_have_attribute("data-person-id", first_id)
    page.keyboard.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    selection = page.get_by_test_id("selection")
    expect(selection).to_have_attribute("data-person-id", second_id)
    expect(page.get_by_test_id("person-tabs")).to_contain_text(f"ЕНП {second_enp}")
    expect(
        page.get_by_test_id("person-history").get_by_test_id("history-row").first
    ).to_be_visible()
    expect(page.get_by_test_id("person-detail").get_by_test_id("detail-current")).to_contain_text(
        second_enp
    )
    # The buttons and the address follow the selection.
    expect(page.get_by_test_id("btn-edit")).to_have_attribute(
        "href", re.compile(rf"^/persons/{second_id}/edit")
    )
    expect(page).to_have_url(re.compile(rf"selected={second_id}"))
    shot(page, "register-selection")

    page.keyboard.press("Enter")  # opens the card of the selected person
    expect(page).to_have_url(re.compile(rf"/persons/{second_id}$"))
    expect(page.get_by_test_id("card-head")).to_contain_text(second_enp)
    shot(page, "person-card")
    assert_clean(page)


# --- 3. The count --------------------------------------------------------------------------


def test_count_equals_count_persons(login_as, shot, db) -> None:
    page = login_as("tfoms")
    page.goto("/persons/")
    filters = page.get_by_test_id("person-filter")
    filters.locator("#surname").fill("к")
    filters.locator("#smo_code").select_option("50001")
    filters.locator("#status").select_option("insured")
    filters.get_by_test_id("btn-find").click()
    expect(page.get_by_test_id("person-row").first).to_be_visible()
    expect(page.get_by_test_id("count")).to_have_count(0)

    page.get_by_test_id("btn-count").click()
    shown = page.get_by_test_id("count")
    expect(shown).to_contain_text("Количество:")
    query, problems = parse_query({"surname": "к", "smo_code": "50001", "status": "insured"})
    assert problems == []
    with db() as s:
        expected = count_persons(s, query)
    assert expected > 50  # more than one page: the count is not the rows on screen
    assert int(re.sub(r"\D", "", shown.inner_text())) == expected
    # The filter stays as it was.
    expect(filters.locator("#smo_code")).to_have_value("50001")
    expect(filters.locator("#surname")).to_have_value("к")
    shot(page, "register-count")
    assert_clean(page)


# --- 9. The print card (and the audit of viewing it) ---------------------------------------


def test_print_card_opens_with_the_persons_data(login_as, shot, db) -> None:
    person = pick_person(db, Person.patronymic.is_not(None))
    page = login_as("tfoms")
    page.goto("/persons/")
    page.get_by_test_id("person-filter").locator("#enp").fill(person.enp)
    page.get_by_test_id("btn-find").click()
    page.locator(f"#person-{person.id} td").nth(2).click()
    expect(page.get_by_test_id("selection")).to_have_attribute("data-person-id", str(person.id))

    page.get_by_test_id("menu-more").locator("summary").click()
    with page.expect_popup() as opened:
        page.get_by_test_id("menu-print").click()
    card = opened.value
    sheet = card.get_by_test_id("print-card")
    expect(sheet).to_contain_text("Выписка из регистра застрахованных лиц")
    expect(sheet).to_contain_text(f"{person.surname} {person.name} {person.patronymic}")
    expect(sheet).to_contain_text(f"дата рождения {ru(person.birth_date)}")
    expect(sheet).to_contain_text(person.enp)
    if person.snils:
        expect(sheet).to_contain_text(snils_shown(person.snils))
    expect(card.get_by_test_id("printed-by")).to_contain_text("Смирнова")
    shot(card, "print-card")

    # Viewing and printing are in the audit journal, opened from the same menu.
    page.get_by_test_id("menu-more").locator("summary").click()
    page.get_by_test_id("menu-audit").click()
    expect(page).to_have_url(re.compile(rf"/audit/\?object_type=person&object_id={person.id}"))
    rows = page.get_by_test_id("audit-row")
    expect(rows.nth(1)).to_be_visible()  # the selection's panel and the print, at least
    expect(rows.first).to_contain_text("tfoms")
    shot(page, "audit")
    assert_clean(page)
