"""The forms of changes: register a person, edit, close insurance — through the buffer only.

Every POST carries the CSRF token of the form it was served with, as a browser would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import lxml.html
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog, BufferRequest, Person
from tests.webapp.support import add_request, csrf_token

#: A person to register: every required field, a valid passport of an adult.
NEW_PERSON: dict[str, str] = {
    "surname": "Новиков",
    "name": "Николай",
    "patronymic": "Петрович",
    "sex": "1",
    "birth_date": "12.03.1990",
    "birth_date_reliability": "1",
    "citizenship": "RUS",
    "person_category": "1",
    "doc_type": "14",
    "doc_series": "4512",
    "doc_number": "654321",
    "doc_issue_date": "20.03.2010",
    "smo_code": "50001",
    "insurance_start": "01.02.2024",
    "policy_form": "Э",
    "mo_code": "500001",
    "attach_date": "01.03.2024",
}


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def by_testid(doc: lxml.html.HtmlElement, name: str) -> list[lxml.html.HtmlElement]:
    return doc.xpath(f'//*[@data-testid="{name}"]')


def text_of(doc: lxml.html.HtmlElement, name: str) -> str:
    return " ".join(e.text_content().strip() for e in by_testid(doc, name))


def form_values(doc: lxml.html.HtmlElement) -> dict[str, Any]:
    """What the browser would send for the page's change form, as it stands."""
    (form,) = doc.xpath("//form[@method='post'][contains(@class, 'change-form')]")
    return {k: v for k, v in form.form_values()}


def submit(client: FlaskClient, url: str, changes: dict[str, Any], drop: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """Open the form, change some fields (``None`` removes one), send it like the browser."""
    shown = client.get(url)
    assert shown.status_code == 200, shown.text
    data = form_values(page(shown.text))
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None and k not in drop}
    return client.post(url, data=data)


def counts(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    with transaction(session_factory) as s:
        return (
            s.scalar(select(func.count()).select_from(BufferRequest)) or 0,
            s.scalar(select(func.count()).select_from(Person)) or 0,
        )


def last_request(session_factory: sessionmaker[Session]) -> BufferRequest:
    with transaction(session_factory) as s:
        return s.scalars(select(BufferRequest).order_by(BufferRequest.id.desc()).limit(1)).one()


@pytest.fixture
def tfoms(login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return login_as("tfoms")


# --- register -----------------------------------------------------------------


def test_register_form_marks_required_fields(tfoms: FlaskClient) -> None:
    doc = page(tfoms.get("/persons/new").text)
    (form,) = by_testid(doc, "register-form")
    required = {label.get("for") for label in form.xpath('.//label[span[@class="required-mark"]]')}
    assert required == {
        "surname",
        "name",
        "sex",
        "birth_date",
        "doc_type",
        "doc_number",
        "smo_code",
        "insurance_start",
        "policy_form",
    }
    assert form.xpath('.//input[@id="birth_date"]/@placeholder') == ["ДД.ММ.ГГГГ"]
    # The ДУЛ type options carry the hints of their series and number.
    (passport,) = form.xpath('.//select[@id="doc_type"]/option[@value="14"]')
    assert passport.get("data-series-hint") == "4 цифры в формате 99 99"
    assert form.xpath('.//input[@name="csrf_token"]')
    assert form.xpath('.//select[@id="mo_code"]/option[@value="500001"]')


def test_register_puts_a_request_into_the_buffer(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    requests_before, persons_before = counts(session_factory)
    response = submit(tfoms, "/persons/new?back=surname%3D%D0%9D%D0%BE%D0%B2", NEW_PERSON)
    assert response.status_code == 302
    assert response.location.startswith("/persons/?surname=")

    request = last_request(session_factory)
    assert counts(session_factory) == (requests_before + 1, persons_before)  # nothing in person yet
    assert (request.operation, request.event_code, request.status) == (
        "register",
        "П01",
        "format_checked",
    )
    assert request.person_id is None
    assert request.enp and request.enp.startswith("50")  # the region of the app's settings
    assert request.proposed["doc_series"] == "45 12"

    doc = page(tfoms.get(response.location).text)
    (flash,) = by_testid(doc, "flash-request")
    assert flash.text_content() == f"Запрос № {request.id} отправлен в буфер."
    assert flash.get("data-request-id") == str(request.id)
    assert by_testid(doc, "flash-request-link")[0].get("href") == (
        f"/buffer/?request_id={request.id}"
    )


def test_flk_errors_are_shown_beside_the_fields_and_nothing_is_written(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory)
    response = submit(
        tfoms,
        "/persons/new",
        {**NEW_PERSON, "birth_date": "31.02.1990", "sex": "", "snils": "123", "doc_number": "65"},
    )
    assert response.status_code == 422
    doc = page(response.text)
    assert text_of(doc, "error-birth_date") == "Несуществующая дата: 31.02.1990"  # no «обязательно»
    assert "обязательно" in text_of(doc, "error-sex")
    assert text_of(doc, "error-snils")
    assert "6 цифр" in text_of(doc, "error-doc_number")
    assert by_testid(doc, "form-errors")
    # The field says it is wrong, and what the operator typed is kept.
    (birth,) = doc.xpath('//input[@id="birth_date"]')
    assert birth.get("aria-invalid") == "true" and birth.get("value") == "31.02.1990"
    assert "birth_date-error" in birth.get("aria-describedby")
    assert doc.xpath('//input[@id="surname"]/@value') == ["Новиков"]
    assert counts(session_factory) == before


def test_child_with_a_passport_is_refused(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory)
    response = submit(
        tfoms,
        "/persons/new",
        {**NEW_PERSON, "birth_date": "05.06.2018", "doc_issue_date": "10.06.2024"},
    )
    assert response.status_code == 422
    assert "выдаётся с 14 лет" in text_of(page(response.text), "error-doc_type")
    assert counts(session_factory) == before


def test_warnings_do_not_block_saving(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    # An adult with a birth certificate: the ФЛК only warns.
    response = submit(
        tfoms,
        "/persons/new",
        {**NEW_PERSON, "doc_type": "3", "doc_series": "IV-МЮ", "doc_number": "123456"},
    )
    assert response.status_code == 302
    assert last_request(session_factory).errors[0]["warning"] is True
    doc = page(tfoms.get(response.location).text)
    warning = [f for f in by_testid(doc, "flash") if f.get("data-category") == "warning"]
    assert "Предупреждения ФЛК" in warning[0].text_content()


def test_smo_operator_registers_in_own_smo_only(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    smo1 = login_as("smo1")
    doc = page(smo1.get("/persons/new").text)
    assert doc.xpath('//select[@id="smo_code"]/option/@value') == ["50001"]
    before = counts(session_factory)
    response = submit(smo1, "/persons/new", {**NEW_PERSON, "smo_code": "50002"})
    assert response.status_code == 422
    assert "своей СМО" in text_of(page(response.text), "error-smo_code")
    assert counts(session_factory) == before


def test_cancel_leaves_nothing_behind(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory)
    doc = page(tfoms.get("/persons/new?back=surname%3D%D0%AF%26page%3D2").text)
    cancel = by_testid(doc, "btn-cancel")[0].get("href")
    assert cancel.startswith("/persons/?") and "page=2" in cancel
    assert tfoms.get(cancel).status_code == 200
    assert counts(session_factory) == before


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "next=/admin"])
def test_back_cannot_lead_elsewhere(tfoms: FlaskClient, back: str) -> None:
    response = submit(tfoms, f"/persons/new?back={back}", NEW_PERSON)
    assert response.status_code == 302
    assert response.location == "/persons/"


def test_forms_need_the_csrf_token(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory)
    response = tfoms.post("/persons/new", data=NEW_PERSON)
    assert response.status_code == 400
    response = tfoms.post(
        f"/persons/{persons['yolkin']}/close",
        data={"closure_reason": "П021", "closure_date": "01.01.2024", "confirm": "y"},
    )
    assert response.status_code == 400
    assert counts(session_factory) == before


# --- edit -----------------------------------------------------------------------


def test_edit_form_shows_the_current_record_and_version(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    doc = page(tfoms.get(f"/persons/{yolkin}/edit").text)
    values = form_values(doc)
    assert values["surname"] == "Ёлкин" and values["birth_date"] == "15.07.1985"
    assert values["snils"] == "112-233-445 95"
    with transaction(session_factory) as s:
        assert values["base_version"] == str(s.get(Person, yolkin).version)
    assert "enp" not in values  # a ЕНП never changes
    with transaction(session_factory) as s:
        # Opening the form shows the person: audited as a view.
        assert s.scalar(select(AuditLog.object_id).where(AuditLog.action == "person.view")) == (
            str(yolkin)
        )


def test_edit_puts_the_change_into_the_buffer(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    response = submit(tfoms, f"/persons/{yolkin}/edit?back=surname%3D%D0%81", {"phone": "+7 900 1"})
    assert response.status_code == 302
    assert f"selected={yolkin}" in response.location and "tab=requests" in response.location
    request = last_request(session_factory)
    assert (request.operation, request.event_code, request.person_id) == ("edit", "П04", yolkin)
    assert request.proposed["phone"] == "+7 900 1"
    with transaction(session_factory) as s:
        assert request.base_person_version == s.get(Person, yolkin).version
    with transaction(session_factory) as s:
        assert s.get(Person, yolkin).phone is None  # the register waits for ФЕРЗЛ
    doc = page(tfoms.get(response.location).text)
    assert by_testid(doc, "flash-request")[0].get("data-request-id") == str(request.id)
    # The selected person's requests show the new one, and the buttons are blocked now.
    assert str(request.id) in [r.get("data-request-id") for r in by_testid(doc, "request-row")]
    assert by_testid(doc, "btn-edit")[0].get("href") is None


def test_edit_without_changes_writes_nothing(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory)
    response = submit(tfoms, f"/persons/{persons['yolkin']}/edit", {})
    assert response.status_code == 422
    assert "Изменений нет" in text_of(page(response.text), "form-errors")
    assert counts(session_factory) == before


def test_stale_edit_shows_the_conflict_with_current_data(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    url = f"/persons/{yolkin}/edit"
    data = form_values(page(tfoms.get(url).text))
    # Meanwhile the register took another change of the person (its version goes up).
    with transaction(session_factory) as s:
        person = s.get(Person, yolkin)
        person.email = "new@example.ru"
        s.flush()
        version = person.version
    assert str(version) != data["base_version"]
    before = counts(session_factory)
    response = tfoms.post(url, data={**data, "phone": "+7 900 2"})
    assert response.status_code == 409
    doc = page(response.text)
    assert "изменены другим пользователем" in text_of(doc, "conflict")
    values = form_values(doc)
    assert values["email"] == "new@example.ru"  # the current data…
    assert values["phone"] == ""  # …not the operator's, which is shown beside the field
    assert text_of(doc, "yours-phone") == "Вы вводили: «+7 900 2»"
    assert text_of(doc, "yours-email") == "Вы вводили: «пусто»"
    assert values["base_version"] == str(version)
    assert counts(session_factory) == before
    with transaction(session_factory) as s:
        assert s.get(Person, yolkin).phone is None


@pytest.mark.parametrize("version", ["", "abc", "-1", "²", "9" * 30])
def test_tampered_version_is_a_conflict(
    tfoms: FlaskClient,
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
    version: str,
) -> None:
    before = counts(session_factory)
    response = submit(
        tfoms, f"/persons/{persons['yolkin']}/edit", {"phone": "+7 900 3", "base_version": version}
    )
    assert response.status_code == 409
    assert counts(session_factory) == before


def test_edit_while_a_request_is_pending_is_refused(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    url = f"/persons/{yolkin}/edit"
    data = form_values(page(tfoms.get(url).text))
    with transaction(session_factory) as s:
        number = add_request(s, s.get(Person, yolkin), status="sent").id
    # Opened now, the form says so and offers no saving.
    doc = page(tfoms.get(url).text)
    assert f"№ {number}" in text_of(doc, "blocked")
    assert by_testid(doc, "btn-save")[0].get("disabled") is not None
    # Sent anyway (the form was open before): refused, nothing written.
    before = counts(session_factory)
    response = tfoms.post(url, data={**data, "phone": "+7 900 4"})
    assert response.status_code == 409
    assert f"незавершённый запрос в буфере № {number}" in text_of(page(response.text), "conflict")
    assert counts(session_factory) == before


def test_smo_operator_cannot_move_a_person_to_another_smo(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    before = counts(session_factory)
    response = submit(login_as("smo1"), f"/persons/{persons['yolkin']}/edit", {"smo_code": "50002"})
    assert response.status_code == 422
    assert text_of(page(response.text), "error-smo_code")
    assert counts(session_factory) == before


# --- close insurance --------------------------------------------------------------


def test_close_needs_the_confirmation(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    url = f"/persons/{persons['yolkin']}/close"
    doc = page(tfoms.get(url).text)
    assert form_values(doc)["closure_date"] == dt.date.today().strftime("%d.%m.%Y")
    assert by_testid(doc, "death-date-group")[0].get("data-show-value") == "П022"
    before = counts(session_factory)
    response = submit(tfoms, url, {"closure_reason": "П021", "closure_date": "01.01.2024"})
    assert response.status_code == 422
    assert "Подтверждаю снятие с учёта" in text_of(page(response.text), "error-confirm")
    assert counts(session_factory) == before


def test_close_with_confirmation_goes_to_the_buffer(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    yolkin = persons["yolkin"]
    response = submit(
        tfoms,
        f"/persons/{yolkin}/close",
        {"closure_reason": "П021", "closure_date": "01.01.2024", "confirm": "y"},
    )
    assert response.status_code == 302
    request = last_request(session_factory)
    assert (request.operation, request.event_code, request.buffer_type) == ("close", "П02", 1)
    assert request.proposed["closure_reason"] == "П021"
    assert request.proposed["status"] == "closed"
    with transaction(session_factory) as s:
        assert s.get(Person, yolkin).status == "insured"


def test_death_needs_its_date(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    url = f"/persons/{persons['yolkin']}/close"
    before = counts(session_factory)
    response = submit(
        tfoms, url, {"closure_reason": "П022", "closure_date": "01.01.2024", "confirm": "y"}
    )
    assert response.status_code == 422
    assert "дату смерти" in text_of(page(response.text), "error-death_date")
    assert counts(session_factory) == before
    response = submit(
        tfoms,
        url,
        {
            "closure_reason": "П022",
            "closure_date": "01.01.2024",
            "death_date": "31.12.2023",
            "confirm": "y",
        },
    )
    assert response.status_code == 302
    assert last_request(session_factory).proposed["status"] == "deceased"


def test_closed_person_cannot_be_closed_again(
    tfoms: FlaskClient, persons: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    url = f"/persons/{persons['closed']}/close"
    doc = page(tfoms.get(url).text)
    assert "Страхование уже прекращено" in text_of(doc, "blocked")
    before = counts(session_factory)
    response = submit(
        tfoms, url, {"closure_reason": "П021", "closure_date": "01.01.2024", "confirm": "y"}
    )
    assert response.status_code == 422
    assert counts(session_factory) == before


# --- who may -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["edit", "close"])
def test_smo_operator_is_refused_another_smos_person(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
    action: str,
) -> None:
    smo2 = login_as("smo2")  # Ёлкин is insured by 50001
    url = f"/persons/{persons['yolkin']}/{action}"
    shown = smo2.get(url)
    assert shown.status_code == 403
    assert "другой СМО" in shown.text
    assert "Ёлкин" not in shown.text
    with transaction(session_factory) as s:  # refused, so nothing was viewed
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "person.view")) is None
    # A form made up by hand: refused as well, nothing written.
    token = csrf_token(smo2.get("/persons/").text)
    before = counts(session_factory)
    response = smo2.post(
        url,
        data={
            "csrf_token": token,
            "base_version": "1",
            "surname": "Ёлкин",
            "name": "Пётр",
            "sex": "1",
            "birth_date": "15.07.1985",
            "smo_code": "50002",
            "closure_reason": "П021",
            "closure_date": "01.01.2024",
            "confirm": "y",
        },
    )
    assert response.status_code == 403
    assert counts(session_factory) == before


@pytest.mark.parametrize("login", ["mo", "admin"])
def test_roles_without_changes_get_403_on_the_forms(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
    login: str,
) -> None:
    client = login_as(login)
    token = csrf_token(client.get("/").text)
    before = counts(session_factory)
    for url in (
        "/persons/new",
        f"/persons/{persons['yolkin']}/edit",
        f"/persons/{persons['yolkin']}/close",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={**NEW_PERSON, "csrf_token": token}).status_code == 403, url
    assert counts(session_factory) == before


@pytest.mark.parametrize("action", ["edit", "close"])
def test_unknown_person_is_404(
    tfoms: FlaskClient, session_factory: sessionmaker[Session], action: str
) -> None:
    token = csrf_token(tfoms.get("/persons/").text)
    before = counts(session_factory)
    assert tfoms.get(f"/persons/999999/{action}").status_code == 404
    response = tfoms.post(
        f"/persons/999999/{action}",
        data={**NEW_PERSON, "csrf_token": token, "base_version": "1", "confirm": "y"},
    )
    assert response.status_code == 404
    assert counts(session_factory) == before


def test_tampered_codes_get_messages_not_errors(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    before = counts(session_factory)
    response = submit(
        tfoms, "/persons/new", {**NEW_PERSON, "doc_type": "²", "sex": "x", "smo_code": "99999"}
    )
    assert response.status_code == 422
    doc = page(response.text)
    assert text_of(doc, "error-doc_type") and text_of(doc, "error-sex")
    assert "не найдена" in text_of(doc, "error-smo_code")
    assert counts(session_factory) == before


def test_html_in_names_is_shown_as_text_in_forms(
    tfoms: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    response = submit(tfoms, "/persons/new", {**NEW_PERSON, "surname": "<b>Жир</b>", "sex": ""})
    assert response.status_code == 422
    assert "<b>Жир</b>" not in response.text
    assert "&lt;b&gt;Жир&lt;/b&gt;" in response.text
