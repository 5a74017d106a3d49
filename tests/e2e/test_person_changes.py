"""Changes of persons in a real browser: registering and closing through the forms, the
buffer's colours, correcting a rejected request, two operators editing the same person.

The central segment's answers are written straight into the buffer (support.answer_request)
until the exchange with ФЕРЗЛ is built."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from register.buffer import ACCEPTED, FORMAT_CHECKED, MULTIPLE, REJECTED
from register.db import transaction
from register.models import Mo, Person
from register.roles import TFOMS
from register.users import create_user
from tests.e2e.conftest import PASSWORD, today_ru
from tests.e2e.support import (
    answer_request,
    assert_clean,
    buffer_request,
    current_person,
    pick_person,
    put_edit_request,
    requests_of_person,
    snils_shown,
    unique_passport,
    unique_snils,
)

pytestmark = pytest.mark.slow


def _buffer_row(page, request_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid=buffer-row][data-request-id="{request_id}"]')


# --- 4. Registering a person -----------------------------------------------------------


def test_register_person_through_the_form(login_as, shot, db) -> None:
    snils = unique_snils(db)
    wrong_snils = snils[:9] + f"{(int(snils[9:]) + 1) % 100:02d}"
    series, number = unique_passport(db)
    with db() as s:
        mo_code = s.scalar(select(Mo.code).order_by(Mo.code))
    surname = "Проверкина"

    page = login_as("tfoms")
    page.goto("/persons/")
    page.get_by_test_id("btn-add").click()
    expect(page).to_have_url(re.compile(r"/persons/new"))
    form = page.get_by_test_id("register-form")
    # What the form proposes by itself.
    expect(form.locator("#insurance_start")).to_have_value(today_ru())
    expect(form.locator("#policy_form")).to_have_value("Э")
    expect(form.locator("#citizenship")).to_have_value("RUS")

    form.locator("#surname").fill(surname)
    form.locator("#name").fill("Алёна")
    form.locator("#patronymic").fill("Игоревна")
    form.locator("#sex").select_option("2")
    form.locator("#birth_date").fill("31.02.1990")
    form.locator("#birth_place").fill("г. Подольск Московской обл.")
    form.locator("#snils").fill(snils_shown(wrong_snils))
    form.locator("#doc_type").select_option("14")
    expect(form.locator('[data-hint="series"]')).to_contain_text("Формат:")
    form.locator("#doc_series").fill(series)
    form.locator("#doc_number").fill(number)
    form.locator("#doc_issue_date").fill("20.03.2010")
    form.locator("#doc_issuer").fill("ОУФМС России по Московской обл.")
    form.locator("#smo_code").select_option("50003")
    form.locator("#mo_code").select_option(mo_code)
    form.locator("#attach_date").fill(today_ru())
    form.locator("#reg_okato").fill("46246501000")
    form.locator("#reg_address").fill("Московская обл., г. Подольск, ул. Ленина, д. 1, кв. 2")
    form.locator("#phone").fill("+7 (916) 123-45-67")
    form.get_by_test_id("btn-save").click()

    # Refused, each message in Russian beside its field; what was typed is kept.
    expect(page.get_by_test_id("error-birth_date")).to_have_text("Несуществующая дата: 31.02.1990")
    expect(page.get_by_test_id("error-snils")).to_contain_text("СНИЛС")
    expect(page.get_by_test_id("form-errors")).to_be_focused()
    expect(form.locator("#birth_date")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#surname")).to_have_value(surname)
    expect(form.locator("#doc_number")).to_have_value(number)
    shot(page, "register-form-errors")

    form.locator("#birth_date").fill("15.03.1990")
    form.locator("#snils").fill(snils_shown(snils))
    form.get_by_test_id("btn-save").click()

    flash = page.get_by_test_id("flash-request")
    expect(flash).to_contain_text("отправлен в буфер")
    request_id = int(flash.get_attribute("data-request-id") or 0)
    expect(page).to_have_url(re.compile(r"/persons/"))
    page.get_by_test_id("flash-request-link").click()

    row = _buffer_row(page, request_id)
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-colour", "white")
    expect(row).not_to_have_class(re.compile(r"table-(success|danger|warning)"))
    expect(row).to_contain_text("Постановка на учёт")
    expect(row).to_contain_text("ФЛК пройден")
    expect(row).to_contain_text(f"{surname} Алёна Игоревна")
    expect(page.get_by_test_id("detail-title")).to_have_text(f"Запрос № {request_id}")
    expect(page.get_by_test_id("pane-request")).to_contain_text(number)
    shot(page, "buffer-registered")

    saved = buffer_request(db, request_id)
    assert (saved.operation, saved.event_code, saved.status) == ("register", "П01", FORMAT_CHECKED)
    assert saved.proposed["snils"] == snils
    assert (saved.proposed["doc_type"], saved.proposed["doc_number"]) == (14, number)
    assert saved.proposed["birth_date"] == "1990-03-15"
    assert saved.enp and saved.enp.startswith("50") and len(saved.enp) == 16
    expect(row).to_contain_text(saved.enp)
    assert_clean(page)


# --- the buffer's colours ----------------------------------------------------------------


def test_buffer_rows_are_coloured_by_status(login_as, shot, db) -> None:
    statuses = {ACCEPTED: "green", REJECTED: "red", MULTIPLE: "yellow", FORMAT_CHECKED: "white"}
    classes = {"green": "table-success", "red": "table-danger", "yellow": "table-warning"}
    made: dict[int, str] = {}
    for status, colour in statuses.items():
        person = pick_person(db, editable=True)
        request_id = put_edit_request(db, "tfoms", person, {"email": "e2e@example.ru"})
        if status != FORMAT_CHECKED:
            errors = (
                [{"field": "doc_number", "message": "ДУЛ не найден в ФЕРЗЛ"}]
                if status == REJECTED
                else []
            )
            answer_request(db, request_id, status, errors)
        made[request_id] = colour

    page = login_as("tfoms")
    page.goto("/buffer/")
    for request_id, colour in made.items():
        row = _buffer_row(page, request_id)
        expect(row).to_have_attribute("data-colour", colour)
        if colour in classes:
            expect(row).to_have_class(re.compile(rf"\b{classes[colour]}\b"))
        else:
            expect(row).not_to_have_class(re.compile(r"table-(success|danger|warning)"))
    expect(page.locator(".legend")).to_contain_text("завершён с ошибкой")
    shot(page, "buffer-colours")
    assert_clean(page)


# --- 5. A rejected request corrected and sent again -------------------------------------


def test_rejected_request_corrected_and_resent(login_as, shot, db) -> None:
    person = pick_person(db, Person.snils.is_not(None), editable=True)
    request_id = put_edit_request(db, "tfoms", person, {"birth_place": "г. Коломна"})
    message = "СНИЛС не соответствует ФИО по сведениям СФР"
    answer_request(db, request_id, REJECTED, [{"field": "snils", "message": message}])

    page = login_as("tfoms")
    page.goto("/buffer/")
    row = _buffer_row(page, request_id)
    expect(row).to_have_attribute("data-colour", "red")
    expect(row).to_have_class(re.compile(r"\btable-danger\b"))
    expect(row).to_contain_text("Отклонён")
    row.get_by_test_id("buffer-row-select").click()
    expect(page.get_by_test_id("detail-title")).to_have_text(f"Запрос № {request_id}")
    expect(page.get_by_test_id("detail-status")).to_have_text("Отклонён")
    errors = page.get_by_test_id("buffer-errors")
    expect(errors.get_by_test_id("buffer-error")).to_have_text(f"СНИЛС: {message}")
    shot(page, "buffer-rejected")

    page.get_by_test_id("btn-resend").click()
    form = page.get_by_test_id("resend-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("resend-answer")).to_contain_text(message)
    expect(form.get_by_test_id("field-snils-messages")).to_contain_text(message)
    expect(form.locator("#f-birth_place")).to_have_value("г. Коломна")
    expect(form.locator("#f-snils")).to_be_focused()
    shot(page, "buffer-resend-form")

    # A mistyped СНИЛС is caught by the ФЛК before anything is sent.
    fixed = unique_snils(db)
    typo = fixed[:9] + f"{(int(fixed[9:]) + 1) % 100:02d}"
    form.locator("#f-snils").fill(snils_shown(typo))
    form.get_by_test_id("resend-submit").click()
    expect(page.get_by_test_id("resend-message")).to_contain_text("Запрос не отправлен")
    expect(form.get_by_test_id("field-snils-messages")).to_contain_text("контрольное число")
    expect(form.locator("#f-snils")).to_have_value(snils_shown(typo))
    assert buffer_request(db, request_id).status == REJECTED
    shot(page, "buffer-resend-form-errors")

    form.locator("#f-snils").fill(snils_shown(fixed))
    form.get_by_test_id("resend-submit").click()

    expect(page.get_by_test_id("flash")).to_contain_text(f"Запрос № {request_id} исправлен")
    expect(page.get_by_test_id("detail-status")).to_have_text("ФЛК пройден")
    expect(page.get_by_test_id("buffer-errors")).to_contain_text("Ошибок нет.")
    row = _buffer_row(page, request_id)
    expect(row).to_have_attribute("data-colour", "white")
    expect(row).not_to_have_class(re.compile(r"\btable-danger\b"))
    expect(page.get_by_test_id("btn-resend")).to_be_disabled()
    shot(page, "buffer-resent")

    saved = buffer_request(db, request_id)
    assert saved.status == FORMAT_CHECKED and saved.errors == []
    assert saved.proposed["snils"] == fixed
    assert saved.proposed["birth_place"] == "г. Коломна"
    assert_clean(page)


# --- closing insurance -------------------------------------------------------------------


def test_close_for_death_through_the_form(login_as, shot, db) -> None:
    person = pick_person(db, Person.insurance_start < dt.date.today())
    yesterday = (dt.date.today() - dt.timedelta(days=1)).strftime("%d.%m.%Y")
    page = login_as("tfoms")
    page.goto("/persons/")
    page.get_by_test_id("person-filter").locator("#enp").fill(person.enp)
    page.get_by_test_id("btn-find").click()
    page.locator(f"#person-{person.id} td").nth(2).click()
    expect(page.get_by_test_id("selection")).to_have_attribute("data-person-id", str(person.id))
    page.get_by_test_id("btn-close").click()

    form = page.get_by_test_id("close-form")
    expect(form.locator("#closure_date")).to_have_value(today_ru())
    expect(form.get_by_test_id("death-date-group")).to_be_hidden()
    form.locator("#closure_reason").select_option("П022")
    expect(form.get_by_test_id("death-date-group")).to_be_visible()
    form.get_by_test_id("btn-save").click()
    expect(page.get_by_test_id("error-confirm")).to_have_text(
        "Отметьте «Подтверждаю снятие с учёта»"
    )
    form.locator("#confirm").check()
    form.get_by_test_id("btn-save").click()
    expect(page.get_by_test_id("error-death_date")).to_have_text(
        "Для причины «Смерть» укажите дату смерти"
    )
    shot(page, "close-form-errors")

    form.locator("#death_date").fill(yesterday)
    form.get_by_test_id("btn-save").click()
    flash = page.get_by_test_id("flash-request")
    expect(flash).to_be_visible()
    request_id = int(flash.get_attribute("data-request-id") or 0)
    # Back on the register screen, the person's requests tab shows the new request.
    expect(page).to_have_url(re.compile(rf"[?&]selected={person.id}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]tab=requests(&|$)"))
    request_row = page.locator(f'[data-testid=request-row][data-request-id="{request_id}"]')
    expect(request_row).to_contain_text("П02")
    expect(request_row).to_have_attribute("data-colour", "white")
    expect(page.get_by_test_id("btn-close")).to_have_attribute("aria-disabled", "true")
    shot(page, "register-after-close")

    saved = buffer_request(db, request_id)
    assert (saved.operation, saved.event_code) == ("close", "П02")
    assert saved.proposed["status"] == "deceased"
    assert saved.proposed["closure_reason"] == "П022"
    assert current_person(db, person.id).status == "insured"  # until ФЕРЗЛ confirms
    assert_clean(page)


# --- 7. Two operators edit the same person -------------------------------------------------


def test_concurrent_edit_is_refused_and_nothing_is_overwritten(login_as, shot, db) -> None:
    person = pick_person(db, editable=True)
    other_login = f"tfoms-{secrets.token_hex(3)}"
    with transaction(db) as s:
        create_user(
            s, login=other_login, full_name="Орлова Анна Сергеевна", role=TFOMS, password=PASSWORD
        )

    first, second = login_as("tfoms"), login_as(other_login)
    for page in (first, second):
        page.goto(f"/persons/{person.id}/edit")
        expect(page.get_by_test_id("edit-form")).to_be_visible()
        expect(page.get_by_test_id("form-person")).to_contain_text(person.enp)
        expect(page.get_by_test_id("base-version")).to_have_value(str(person.version))
        expect(page.locator("#surname")).to_have_value(person.surname)
    shot(first, "edit-form")

    # The first operator mistypes the e-mail: refused beside the field, the form kept.
    first.locator("#phone").fill("+7 (916) 111-22-33")
    first.locator("#email").fill("volkov.mail.ru")
    first.get_by_test_id("btn-save").click()
    expect(first.get_by_test_id("error-email")).to_have_text("Неверный адрес электронной почты")
    expect(first.locator("#phone")).to_have_value("+7 (916) 111-22-33")
    shot(first, "edit-form-errors")
    first.locator("#email").fill(person.email or "")
    first.get_by_test_id("btn-save").click()
    flash = first.get_by_test_id("flash-request")
    expect(flash).to_be_visible()
    request_id = int(flash.get_attribute("data-request-id") or 0)
    expect(first).to_have_url(re.compile(rf"/persons/\?.*selected={person.id}"))
    expect(first.get_by_test_id("pending-note")).to_contain_text(f"№ {request_id}")

    second.locator("#phone").fill("+7 (916) 999-88-77")
    second.get_by_test_id("btn-save").click()
    conflict = second.get_by_test_id("conflict")
    expect(conflict).to_contain_text(f"незавершённый запрос в буфере № {request_id}")
    # The form shows the person as they are, and what the operator typed, to enter again.
    expect(second.locator("#phone")).to_have_value(person.phone or "")
    expect(second.get_by_test_id("yours-phone")).to_have_text("Вы вводили: «+7 (916) 999-88-77»")
    expect(second.get_by_test_id("blocked")).to_contain_text(f"№ {request_id}")
    expect(second.get_by_test_id("btn-save")).to_be_disabled()
    shot(second, "edit-conflict")

    requests = requests_of_person(db, person.id)
    assert [r.id for r in requests] == [request_id]
    assert requests[0].proposed["phone"] == "+7 (916) 111-22-33"
    now = current_person(db, person.id)
    assert (now.phone, now.version) == (person.phone, person.version)
    assert_clean(first)
    assert_clean(second)
