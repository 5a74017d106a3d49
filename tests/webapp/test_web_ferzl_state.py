"""«Просмотр состояния в ФЕРЗЛ» and the tab «Запросы к ФЕРЗЛ», with a fake look-up client
(and once with the real HTTP client against a closed port)."""

from __future__ import annotations

import copy
import datetime as dt
import socket
from collections.abc import Callable, Mapping
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ferzl.client import FerzlQueryError, FerzlUnavailable, FoundPage, HttpLookupClient
from register.db import transaction
from register.ferzl_state import NOT_YOUR_SMO, NOTHING_DIFFERS, OTHER_ENP
from register.models import AuditLog, BufferRequest, ExchangeBatch, ExchangeMessage, Person
from tests.factories import OGRN, central_of
from tests.webapp.support import add_request, csrf_token
from webapp.ferzl_state.lookup import use_lookup_client


class FakeFerzl:
    """A LookupClient holding its persons in memory; ``unavailable`` makes every call fail."""

    def __init__(self) -> None:
        self.persons: dict[str, dict[str, Any]] = {}
        self.histories: dict[str, list[dict[str, Any]]] = {}
        self.found: list[dict[str, Any]] = []
        self.unavailable: str | None = None
        self.refuse: str | None = None
        self.searches: list[dict[str, Any]] = []

    def _check(self) -> None:
        if self.unavailable:
            raise FerzlUnavailable(self.unavailable)

    def find_persons(
        self, criteria: Mapping[str, Any], page: int = 1, page_size: int = 20
    ) -> FoundPage:
        self._check()
        self.searches.append(dict(criteria))
        if self.refuse:
            raise FerzlQueryError(self.refuse)
        start = (page - 1) * page_size
        return FoundPage(len(self.found), self.found[start : start + page_size], page, page_size)

    def get_person(self, enp: str) -> dict[str, Any] | None:
        self._check()
        found = self.persons.get(enp)
        return copy.deepcopy(found) if found else None

    def get_history(self, enp: str) -> list[dict[str, Any]]:
        self._check()
        return copy.deepcopy(self.histories.get(enp, []))


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def by_testid(doc: lxml.html.HtmlElement, name: str) -> list[lxml.html.HtmlElement]:
    return doc.xpath(f'//*[@data-testid="{name}"]')


def one(doc: lxml.html.HtmlElement, name: str) -> lxml.html.HtmlElement:
    (found,) = by_testid(doc, name)
    return found


def text(doc: lxml.html.HtmlElement, name: str) -> str:
    return " ".join(one(doc, name).text_content().split())


def rows(doc: lxml.html.HtmlElement) -> dict[str, lxml.html.HtmlElement]:
    return {r.get("data-field"): r for r in by_testid(doc, "compare-row")}


def flashes(doc: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    return [
        (f.get("data-category"), " ".join(f.text_content().split()))
        for f in by_testid(doc, "flash")
    ]


def person_of(factory: sessionmaker[Session], person_id: int) -> Person:
    with factory() as s:
        person = s.get(Person, person_id)
        assert person is not None
        s.expunge(person)
        return person


def audits(factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with factory() as s:
        return list(
            s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


@pytest.fixture
def ferzl(app: Flask) -> FakeFerzl:
    fake = FakeFerzl()
    use_lookup_client(app, fake)
    return fake


@pytest.fixture
def yolkin(
    persons: dict[str, int], session_factory: sessionmaker[Session], ferzl: FakeFerzl
) -> Person:
    """Ёлкин in the register; in ФЕРЗЛ with another patronymic and СНИЛС (the rest the same,
    the surname in capitals without «Ё»)."""
    person = person_of(session_factory, persons["yolkin"])
    ferzl.persons[person.enp] = central_of(
        person, surname="ЕЛКИН", patronymic="Сергеевич", snils="12345678964"
    )
    return person


def url(person: Person, tail: str = "") -> str:
    return f"/persons/{person.id}/ferzl{tail}"


# --- the screen ----------------------------------------------------------------------


def test_differences_are_marked_and_the_view_is_audited(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    session_factory: sessionmaker[Session],
) -> None:
    response = login_as("tfoms").get(url(yolkin))
    assert response.status_code == 200
    doc = page(response.text)
    found = rows(doc)
    marked = {field for field, row in found.items() if row.get("data-differs")}
    assert marked == {"patronymic", "snils"}  # capitals and «Ё» are not differences
    row = found["patronymic"]
    assert "row-differs" in row.get("class")
    assert "≠" in row.text_content() and "различается" in row.text_content()
    assert row.xpath('td[@data-side="rserz"]')[0].text_content() == "Семёнович"
    assert row.xpath('td[@data-side="ferzl"]')[0].text_content() == "Сергеевич"
    # Regional-only data is shown, never marked.
    assert "row-regional" in found["mo_code"].get("class")
    assert "не ведётся в ФЕРЗЛ" in found["mo_code"].text_content()
    assert "≠" not in found["surname"].text_content()
    assert found["region_code"].xpath('td[@data-side="ferzl"]')[0].text_content() == "50"
    assert text(doc, "diff-summary").startswith("Различий: 2")
    assert "≠ — значения различаются" in doc.text_content()  # the legend
    # ТФОМС: both actions are open.
    assert by_testid(doc, "refresh-form") and by_testid(doc, "send-form")
    assert (
        one(doc, "btn-print-ferzl").get("href").endswith(f"/persons/{yolkin.id}/ferzl/print/ferzl")
    )
    (entry,) = audits(session_factory, "person.view_ferzl")
    assert (entry.user_login, entry.object_id) == ("tfoms", str(yolkin.id))
    assert entry.details == {"enp": yolkin.enp, "outcome": "found"}


def test_unavailable_ferzl_still_shows_the_register_side(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    ferzl: FakeFerzl,
    session_factory: sessionmaker[Session],
) -> None:
    ferzl.unavailable = "ФЕРЗЛ недоступен: нет ответа за 5 с"
    response = login_as("tfoms").get(url(yolkin, "?history=1"))
    assert response.status_code == 200
    doc = page(response.text)
    assert text(doc, "ferzl-unavailable").startswith("ФЕРЗЛ недоступен: нет ответа за 5 с")
    assert "Семёнович" in text(doc, "rserz-record")
    assert one(doc, "btn-refresh").get("disabled") is not None
    assert one(doc, "btn-print-ferzl").get("disabled") is not None
    assert by_testid(doc, "history-rserz-row")  # the register's history still shows
    (entry,) = audits(session_factory, "person.view_ferzl")
    assert entry.details["outcome"] == "unavailable"


def test_the_real_client_against_a_closed_port_gives_a_page_not_a_500(
    app: Flask, login_as: Callable[[str], FlaskClient], persons: dict[str, int]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    use_lookup_client(app, HttpLookupClient(f"http://127.0.0.1:{port}", timeout=2))
    response = login_as("tfoms").get(f"/persons/{persons['yolkin']}/ferzl")
    assert response.status_code == 200
    assert "ФЕРЗЛ недоступен: соединение отклонено" in text(
        page(response.text), "ferzl-unavailable"
    )


def test_no_such_enp_offers_the_look_up_by_other_criteria(
    login_as: Callable[[str], FlaskClient],
    persons: dict[str, int],
    session_factory: sessionmaker[Session],
    ferzl: FakeFerzl,
) -> None:
    person = person_of(session_factory, persons["yolkin"])
    other_enp = "7700000000000017"
    ferzl.found = [
        central_of(person, enp=other_enp, region_code="77", smo_ogrn="1177700000001"),
        central_of(person, enp="5000000000000024", name="ПАВЕЛ"),
    ]
    ferzl.persons[other_enp] = ferzl.found[0]
    tfoms = login_as("tfoms")
    doc = page(tfoms.get(url(person)).text)
    assert person.enp in text(doc, "ferzl-not-found")
    # Run at once with the register's ФИО and birth date.
    assert ferzl.searches == [
        {
            "surname": "Ёлкин",
            "name": "Пётр",
            "patronymic": "Семёнович",
            "birth_date": dt.date(1985, 7, 15),
        }
    ]
    assert "is-current" in one(doc, "search-fio").get("class")
    assert text(doc, "candidates-count").startswith("Найдено в ФЕРЗЛ: 2")
    first = by_testid(doc, "candidate")[0]
    assert first.get("data-enp") == other_enp and "ОГРН 1177700000001" in first.text_content()
    (audit,) = audits(session_factory, "person.view_ferzl")
    assert audit.details["outcome"] == "not_found"
    assert audit.details["search"] == {"by": "fio", "found": 2}

    # «Сравнить»: the register's person beside that record; refreshing from it is refused.
    compare_url = first.xpath('.//a[@data-testid="candidate-compare"]')[0].get("href")
    doc = page(tfoms.get(compare_url).text)
    assert other_enp in text(doc, "other-enp-note")
    assert rows(doc)["enp"].get("data-differs") == "1"
    assert "другом субъекте РФ (код 77)" in text(doc, "central-note")
    assert one(doc, "btn-refresh").get("title") == OTHER_ENP

    # Another set of criteria; a value that cannot be sent is reported, not sent.
    doc = page(tfoms.get(url(person), query_string={"by": "snils", "snils": "123"}).text)
    assert "СНИЛС — 11 цифр" in text(doc, "search-snils")
    assert len(ferzl.searches) == 1  # only the automatic search of the first view ran
    doc = page(
        tfoms.get(
            url(person), query_string={"by": "doc", "doc_type": "14", "doc_number": "123456"}
        ).text
    )
    assert ferzl.searches[-1] == {
        "doc_type": "14",
        "doc_series": person.doc_series,
        "doc_number": "123456",
    }
    ferzl.refuse = "Не задан ни один набор условий поиска"
    doc = page(tfoms.get(url(person), query_string={"by": "fio"}).text)
    assert text(doc, "search-error") == "Не задан ни один набор условий поиска"


def test_histories_side_by_side(
    login_as: Callable[[str], FlaskClient], yolkin: Person, ferzl: FakeFerzl
) -> None:
    first = central_of(yolkin, snils=None, smo_ogrn=OGRN["50002"])
    ferzl.histories[yolkin.enp] = [
        {
            **first,
            "valid_from": dt.date(2011, 5, 1),
            "valid_to": dt.date(2020, 3, 1),
            "event_code": "П01",
        },
        {
            **ferzl.persons[yolkin.enp],
            "valid_from": dt.date(2020, 3, 1),
            "valid_to": None,
            "event_code": "П03",
        },
    ]
    tfoms = login_as("tfoms")
    doc = page(tfoms.get(url(yolkin)).text)
    assert not by_testid(doc, "histories")
    assert one(doc, "btn-history").get("aria-pressed") == "false"
    doc = page(tfoms.get(one(doc, "btn-history").get("href")).text)
    assert one(doc, "btn-history").get("aria-pressed") == "true"
    assert len(by_testid(doc, "history-rserz-row")) == 2
    central = by_testid(doc, "history-ferzl-row")
    assert len(central) == 2
    newest = " ".join(central[0].text_content().split())
    assert newest.startswith("01.03.2020 – н. в. П03") and "Альфа-Мед" in newest
    assert "Бета-Полис" in central[1].text_content()
    # The cells that changed against the version before are marked, as in the register.
    changed = [" ".join(e.text_content().split()) for e in central[0].xpath(".//*[@data-changed]")]
    assert changed == [
        "ЕЛКИН Пётр Сергеевич (изменено)",
        "123-456-789 64 (изменено)",
        "Альфа-Мед (изменено)",
    ]
    assert central[0].get("title") == "Изменено: Фамилия, Отчество, СНИЛС, СМО"


# --- roles and CSRF --------------------------------------------------------------------


def test_who_sees_and_does_what(
    login_as: Callable[[str], FlaskClient], yolkin: Person, persons: dict[str, int]
) -> None:
    for login in ("mo", "stat", "admin"):
        client = login_as(login)
        assert client.get(url(yolkin)).status_code == 403, login
        assert client.get(url(yolkin, "/print/rserz")).status_code == 403, login
    # МО: the register screen and the card offer no «Состояние в ФЕРЗЛ», and no exchange.
    mo = login_as("mo")
    doc = page(mo.get("/persons/", query_string={"selected": yolkin.id}).text)
    assert not by_testid(doc, "btn-state") and not by_testid(doc, "messages-table")
    assert "операторы ТФОМС и СМО" in text(doc, "pane-requests")
    assert mo.get(f"/persons/{yolkin.id}?state=1").status_code == 200  # the card, as before
    assert not by_testid(page(mo.get(f"/persons/{yolkin.id}").text), "card-ferzl-state")

    # СМО of another insurer: may look, may not send; no refresh at all.
    smo2 = login_as("smo2")
    doc = page(smo2.get(url(yolkin)).text)
    assert not by_testid(doc, "btn-refresh") and not by_testid(doc, "send-form")
    assert one(doc, "btn-send").get("title") == NOT_YOUR_SMO
    token = csrf_token(smo2.get("/persons/").text)
    assert smo2.post(url(yolkin, "/send"), data={"csrf_token": token}).status_code == 403
    assert smo2.post(url(yolkin, "/refresh"), data={"csrf_token": token}).status_code == 403
    # Their own insurer's person: they may send.
    closed = page(smo2.get(f"/persons/{persons['closed']}/ferzl").text)
    assert by_testid(closed, "send-form")

    # СМО of the person's insurer: send open, refresh is the ТФОМС's.
    doc = page(login_as("smo1").get(url(yolkin)).text)
    assert by_testid(doc, "send-form") and not by_testid(doc, "btn-refresh")

    tfoms = login_as("tfoms")
    assert tfoms.get("/persons/999999/ferzl").status_code == 404
    assert tfoms.get(url(yolkin, "/print/other")).status_code == 404
    # No CSRF token, no change.
    assert tfoms.post(url(yolkin, "/refresh"), data={}).status_code == 400
    assert tfoms.post(url(yolkin, "/send"), data={}).status_code == 400


def test_register_screen_and_card_lead_to_the_screen(
    login_as: Callable[[str], FlaskClient], yolkin: Person
) -> None:
    tfoms = login_as("tfoms")
    doc = page(tfoms.get("/persons/", query_string={"selected": yolkin.id}).text)
    button = one(doc, "btn-state")
    assert button.get("href") == url(yolkin) and "Состояние в ФЕРЗЛ" in button.text_content()
    card = page(tfoms.get(f"/persons/{yolkin.id}").text)
    assert one(card, "card-ferzl-state").get("href") == url(yolkin)
    # The old address of «Просмотр состояния» leads here.
    response = tfoms.get(f"/persons/{yolkin.id}?state=1")
    assert response.status_code == 302 and response.location == url(yolkin)


# --- «Обновить данные в РСЕРЗ из ФЕРЗЛ» ---------------------------------------------------


def _post_form(client: FlaskClient, doc: lxml.html.HtmlElement, testid: str, **override: str):  # type: ignore[no-untyped-def]
    form = one(doc, testid)
    data = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
    data.update(override)
    return client.post(form.get("action"), data=data)


def test_refresh_applies_the_central_data_at_once(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    session_factory: sessionmaker[Session],
) -> None:
    tfoms = login_as("tfoms")
    doc = page(tfoms.get(url(yolkin)).text)
    assert one(doc, "refresh-form").get("data-confirm")
    response = _post_form(tfoms, doc, "refresh-form")
    assert response.status_code == 302 and response.location == url(yolkin)
    doc = page(tfoms.get(response.location).text)
    ((category, message),) = flashes(doc)
    assert category == "success" and "Данные РСЕРЗ обновлены из ФЕРЗЛ" in message
    assert "Отчество, СНИЛС" in message
    request_id = int(one(doc, "flash-request").get("data-request-id"))
    assert one(doc, "flash-request-link").get("href") == f"/buffer/?request_id={request_id}"
    with session_factory() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        assert (request.status, request.event_code, request.operation) == (
            "accepted",
            "П04",
            "edit",
        )
        assert request.applied_at is not None
        person = s.get(Person, yolkin.id)
        assert person is not None
        assert (person.patronymic, person.snils) == ("Сергеевич", "12345678964")
        assert person.surname == "Ёлкин"  # not a difference: not overwritten
    (entry,) = audits(session_factory, "person.refresh_from_ferzl")
    assert entry.details["fields"] == ["patronymic", "snils"]
    assert audits(session_factory, "person.apply_forced")
    # Now the two agree; the button says why it is grey.
    assert text(doc, "diff-summary") == "Данные РСЕРЗ и ФЕРЗЛ совпадают."
    assert one(doc, "btn-refresh").get("title") == NOTHING_DIFFERS


def test_refresh_conflicts_are_said_in_russian(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    ferzl: FakeFerzl,
    session_factory: sessionmaker[Session],
) -> None:
    tfoms = login_as("tfoms")
    doc = page(tfoms.get(url(yolkin)).text)
    # Opened before someone else changed the person.
    stale = page(
        tfoms.get(
            _post_form(tfoms, doc, "refresh-form", base_version=str(yolkin.version - 1)).location
        ).text
    )
    assert flashes(stale) == [
        (
            "danger",
            "Данные РСЕРЗ не обновлены: Сведения о застрахованном изменены другим пользователем."
            " Откройте запись заново.",
        )
    ]
    # ФЕРЗЛ went away between the view and the click.
    ferzl.unavailable = "ФЕРЗЛ недоступен: соединение отклонено (сервис не запущен?)"
    gone = page(tfoms.get(_post_form(tfoms, doc, "refresh-form").location).text)
    assert flashes(gone)[0][0] == "danger"
    assert "ФЕРЗЛ недоступен" in flashes(gone)[0][1]
    ferzl.unavailable = None
    # Insured in another region per ФЕРЗЛ.
    ferzl.persons[yolkin.enp]["region_code"] = "77"
    elsewhere = page(tfoms.get(_post_form(tfoms, doc, "refresh-form").location).text)
    assert "другом субъекте РФ (код 77)" in flashes(elsewhere)[0][1]
    assert "другом субъекте РФ (код 77)" in one(elsewhere, "btn-refresh").get("title")
    ferzl.persons[yolkin.enp]["region_code"] = "50"
    # Central data that fails the ФЛК: its messages, nothing written.
    ferzl.persons[yolkin.enp]["snils"] = "12345678900"
    failed = page(tfoms.get(_post_form(tfoms, doc, "refresh-form").location).text)
    ((category, message),) = flashes(failed)
    assert category == "danger" and message.startswith("Данные РСЕРЗ не обновлены: СНИЛС:")
    # A request waiting in the buffer.
    with transaction(session_factory) as s:
        pending = add_request(s, s.get(Person, yolkin.id), status="sent").id
    doc2 = page(tfoms.get(url(yolkin)).text)
    assert f"№ {pending}" in text(doc2, "pending-note")
    assert f"№ {pending}" in one(doc2, "btn-refresh").get("title")
    assert f"№ {pending}" in one(doc2, "btn-send").get("title")
    waiting = page(tfoms.get(_post_form(tfoms, doc, "refresh-form").location).text)
    assert f"№ {pending}" in flashes(waiting)[0][1]
    with session_factory() as s:
        assert (
            s.scalar(
                select(BufferRequest.id).where(
                    BufferRequest.status == "accepted", BufferRequest.id > pending
                )
            )
            is None
        )
    assert not audits(session_factory, "person.refresh_from_ferzl")


# --- «Отправить в ФЕРЗЛ» ----------------------------------------------------------------


def test_send_queues_the_register_data(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    session_factory: sessionmaker[Session],
) -> None:
    smo1 = login_as("smo1")
    doc = page(smo1.get(url(yolkin)).text)
    response = _post_form(smo1, doc, "send-form")
    doc = page(smo1.get(response.location).text)
    ((category, message),) = flashes(doc)
    assert category == "success" and "поставлен на отправку в ФЕРЗЛ" in message
    request_id = int(one(doc, "flash-request").get("data-request-id"))
    with session_factory() as s:
        request = s.get(BufferRequest, request_id)
        assert request is not None
        assert (request.status, request.event_code) == ("format_checked", "П04")
        assert request.forced_at is not None and request.author_smo == "50001"
    assert audits(session_factory, "buffer_request.send_to_ferzl")
    # Waiting for the answer: no second send, no refresh.
    assert f"№ {request_id}" in one(doc, "btn-send").get("title")
    assert f"№ {request_id}" in text(doc, "pending-note")
    assert not by_testid(doc, "send-form")
    token = csrf_token(smo1.get("/persons/").text)
    response = smo1.post(
        url(yolkin, "/send"), data={"csrf_token": token, "base_version": str(yolkin.version)}
    )
    ((category, message),) = flashes(page(smo1.get(response.location).text))
    assert category == "danger" and f"№ {request_id}" in message


# --- print ---------------------------------------------------------------------------------


def test_print_either_side(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    ferzl: FakeFerzl,
    session_factory: sessionmaker[Session],
) -> None:
    tfoms = login_as("tfoms")
    rserz = page(tfoms.get(url(yolkin, "/print/rserz")).text)
    sheet = " ".join(one(rserz, "print-rserz").text_content().split())
    assert "Сведения о застрахованном лице в РСЕРЗ" in sheet and "Семёнович" in sheet
    assert "Химкинская" in sheet  # the register's own data is printed on its side
    assert "≠ — значение отличается от данных ФЕРЗЛ" in sheet
    central = page(tfoms.get(url(yolkin, "/print/ferzl")).text)
    sheet = " ".join(one(central, "print-ferzl").text_content().split())
    assert "в ФЕРЗЛ" in sheet and "Сергеевич" in sheet
    assert "Химкинская" not in sheet  # not kept there: not printed
    assert [e.details.get("print") for e in audits(session_factory, "person.view_ferzl")] == [
        "rserz",
        "ferzl",
    ]
    ferzl.unavailable = "ФЕРЗЛ недоступен: ошибка сервера (HTTP 503)"
    failed = page(tfoms.get(url(yolkin, "/print/ferzl")).text)
    assert "HTTP 503" in text(failed, "print-no-data")


# --- the tab «Запросы к ФЕРЗЛ» -------------------------------------------------------------


def _exchange(
    session: Session,
    request: BufferRequest,
    n: int,
    *,
    answer: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    transport: str | None = None,
) -> None:
    batch_id = f"00000000-0000-0000-0000-{n:012d}"
    session.add(
        ExchangeBatch(
            id=batch_id,
            file_name=f"46000-{batch_id}.uprmes",
            state="transport_error" if transport in ("CE", "CR") else "transport_accepted",
            message_count=1,
            sent_at=dt.datetime(2024, 6, 3, 9, n, tzinfo=dt.UTC),
            transport_code=transport or "CA",
            transport_errors=[{"message": "Нарушена структура пакета", "code": "41"}]
            if transport in ("CE", "CR")
            else [],
        )
    )
    session.flush()
    session.add(
        ExchangeMessage(
            message_id=f"11111111-0000-0000-0000-{n:012d}",
            batch_id=batch_id,
            kind="change",
            buffer_request_id=request.id,
            person_id=request.person_id,
            event_code=request.event_code,
            answer_code=answer,
            answer_errors=errors or [],
            answered_at=dt.datetime(2024, 6, 3, 10, n, tzinfo=dt.UTC) if answer else None,
            answer_count=1 if answer else 0,
        )
    )


def test_requests_tab_lists_the_messages_coloured_like_the_buffer(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as s:
        person = s.get(Person, yolkin.id)
        own = add_request(s, person, status="accepted", author_smo="50001")
        other = add_request(s, person, status="rejected", author_smo="50002")
        _exchange(s, own, 1, answer="AA")
        _exchange(
            s,
            own,
            2,
            answer="AR",
            errors=[{"message": "Найдено несколько застрахованных", "code": "69"}],
        )
        _exchange(
            s,
            other,
            3,
            answer="AR",
            errors=[
                {"message": "СНИЛС принадлежит другому лицу", "code": "68", "position": "PID.3"}
            ],
        )
        _exchange(s, own, 4, transport="CR")
        _exchange(s, own, 5)
    doc = page(
        login_as("tfoms")
        .get("/persons/", query_string={"selected": yolkin.id, "tab": "requests"})
        .text
    )
    found = by_testid(doc, "message-row")
    assert [r.get("data-colour") for r in found] == ["white", "red", "red", "yellow", "green"]
    assert [r.get("class") for r in found] == [
        "",
        "table-danger",
        "table-danger",
        "table-warning",
        "table-success",
    ]
    texts = [" ".join(r.text_content().split()) for r in found]
    assert "AA — Принято" in texts[4] and "46000-00000000-0000-0000-0000-000000000001" in texts[4]
    assert "AR — Отклонено" in texts[3] and "Найдено несколько застрахованных (код 69)" in texts[3]
    assert "СНИЛС принадлежит другому лицу (код 68)" in texts[2]
    assert "CR — пакет не принят" in texts[1] and "Нарушена структура пакета" in texts[1]
    assert "Нет ответа" in texts[0] and "пакет: принят (транспорт)" in texts[0]
    assert "11111111-0000-0000-0000-000000000005" in texts[0]
    # An СМО operator sees the messages of their СМО's requests only.
    doc = page(login_as("smo1").get("/persons/", query_string={"selected": yolkin.id}).text)
    assert len(by_testid(doc, "message-row")) == 4
    # The card shows them too.
    card = page(login_as("tfoms").get(f"/persons/{yolkin.id}").text)
    assert len(card.xpath('//*[@data-testid="card-messages"]//*[@data-testid="message-row"]')) == 5


def test_a_change_without_the_version_it_was_based_on_is_refused(
    login_as: Callable[[str], FlaskClient],
    yolkin: Person,
    ferzl: FakeFerzl,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        before = len(list(s.scalars(select(BufferRequest))))
    tfoms = login_as("tfoms")
    token = csrf_token(tfoms.get("/persons/").text)
    for action in ("/refresh", "/send"):
        response = tfoms.post(url(yolkin, action), data={"csrf_token": token})
        ((category, message),) = flashes(page(tfoms.get(response.location).text))
        assert category == "danger" and "изменены другим пользователем" in message
    with session_factory() as s:
        assert len(list(s.scalars(select(BufferRequest)))) == before


def test_a_malformed_enp_in_the_address_is_said_not_silently_replaced(
    login_as: Callable[[str], FlaskClient], yolkin: Person, ferzl: FakeFerzl
) -> None:
    ferzl.persons[yolkin.enp] = central_of(yolkin)
    doc = page(login_as("tfoms").get(url(yolkin) + "?enp=12345").text)
    ((category, message),) = flashes(doc)
    assert category == "warning" and "«12345» в адресе некорректен" in message
