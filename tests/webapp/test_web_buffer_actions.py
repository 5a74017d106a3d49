"""«Буфер»: correcting and resending a request, deleting it, forcing it (CSRF on)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.buffer import person_record, record_to_json
from register.db import transaction
from register.models import AuditLog, BufferRequest, Person
from tests.webapp.support import add_request, csrf_token


class _FormValues(HTMLParser):
    """What a browser would submit from one form of a page (text inputs, hidden, selects)."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid = testid
        self.inside = False
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("data-testid") == self.testid
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "submit"):
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select, self.first_option = a["name"], None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
                self.values.setdefault(self.select, self.first_option)
            if "selected" in a:
                self.values[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_values(html: str, testid: str) -> dict[str, str]:
    parser = _FormValues(testid)
    parser.feed(html)
    return parser.values


def field_messages(html: str, field: str) -> str:
    """The text shown beside one input of the correction form."""
    match = re.search(rf'data-testid="field-{field}-messages">(.*?)</div>\s*</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def follow(client: FlaskClient, response: Any) -> str:
    assert response.status_code == 302, response.text
    return client.get(response.location).text


def audit_rows(factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def rejected_edit(session_factory: sessionmaker[Session], persons: dict[str, int]) -> int:
    """An edit of Ёлкин (insured by СМО 50001) made by СМО 50001 and rejected by ФЕРЗЛ."""
    with transaction(session_factory) as s:
        yolkin = s.get(Person, persons["yolkin"])
        assert yolkin is not None
        proposed = record_to_json({**person_record(yolkin), "patronymic": "Семенович"})
        return add_request(
            s,
            yolkin,
            status="rejected",
            author_smo="50001",
            proposed=proposed,
            errors=[{"field": "snils", "message": "СНИЛС не найден в ФЕРЗЛ"}],
        ).id


# --- correct and send again -------------------------------------------------------------


def test_resend_form_is_prefilled_with_the_errors_beside_the_fields(
    login_as: Callable[[str], FlaskClient], rejected_edit: int
) -> None:
    page = login_as("smo1").get(f"/buffer/{rejected_edit}/resend")
    assert page.status_code == 200
    values = form_values(page.text, "resend-form")
    assert values["surname"] == "Ёлкин"
    assert values["patronymic"] == "Семенович"
    assert values["birth_date"] == "15.07.1985"  # ДД.ММ.ГГГГ, not the stored ISO date
    assert values["sex"] == "1"
    assert "enp" not in values  # an edit does not change the ЕНП
    assert field_messages(page.text, "snils") == "СНИЛС не найден в ФЕРЗЛ"
    # The keyboard starts at the field to correct; the answer of ФЕРЗЛ is summed up above.
    assert re.search(r'id="f-snils"[^>]*\sautofocus', page.text)
    answer = page.text[page.text.index('data-testid="resend-answer"') :].split("</details>")[0]
    assert "СНИЛС:</span> СНИЛС не найден в ФЕРЗЛ" in answer
    # Required fields of an edit are marked.
    assert re.search(r'for="f-surname">Фамилия<span class="req-mark"', page.text)


def test_resend_with_a_flk_error_then_success(
    login_as: Callable[[str], FlaskClient],
    rejected_edit: int,
    session_factory: sessionmaker[Session],
) -> None:
    client = login_as("smo1")
    page = client.get(f"/buffer/{rejected_edit}/resend").text
    values = form_values(page, "resend-form")

    refused = client.post(
        f"/buffer/{rejected_edit}/resend", data={**values, "birth_date": "31.02.1985"}
    )
    assert refused.status_code == 200
    assert "исправьте ошибки форматно-логического контроля" in refused.text
    assert field_messages(refused.text, "birth_date") == "Несуществующая дата: 31.02.1985"
    assert 'value="31.02.1985"' in refused.text  # what the operator typed stays
    with session_factory() as s:
        request = s.get(BufferRequest, rejected_edit)
        assert request is not None and request.status == "rejected"

    done = client.post(
        f"/buffer/{rejected_edit}/resend",
        data={**values, "patronymic": "Семёнович", "back": "/buffer/?status=rejected"},
    )
    assert done.status_code == 302
    # Back to the operator's list, the request selected.
    assert done.location.startswith("/buffer/?")
    assert "status=rejected" in done.location and f"selected={rejected_edit}" in done.location
    assert "исправлен и прошёл ФЛК" in client.get(done.location).text
    with session_factory() as s:
        request = s.get(BufferRequest, rejected_edit)
        assert request is not None
        assert request.status == "format_checked"
        assert [e for e in request.errors if not e.get("warning")] == []
        assert request.proposed["patronymic"] == "Семёнович"
    (row,) = audit_rows(session_factory, "buffer_request.resend")
    assert row.object_id == str(rejected_edit) and row.user_login == "smo1"


def test_resend_of_a_stale_version_shows_the_current_data(
    login_as: Callable[[str], FlaskClient],
    rejected_edit: int,
    session_factory: sessionmaker[Session],
) -> None:
    client = login_as("tfoms")
    values = form_values(client.get(f"/buffer/{rejected_edit}/resend").text, "resend-form")
    # Meanwhile another operator changes the request.
    with transaction(session_factory) as s:
        request = s.get(BufferRequest, rejected_edit)
        assert request is not None
        request.proposed = {**request.proposed, "patronymic": "ИЗМЕНЕНО"}
        new_version = request.version + 1

    response = client.post(f"/buffer/{rejected_edit}/resend", data=values)
    assert response.status_code == 200
    assert "Запрос изменён другим пользователем" in response.text
    assert "текущие данные запроса" in response.text
    now = form_values(response.text, "resend-form")
    assert now["patronymic"] == "ИЗМЕНЕНО"
    assert now["version"] == str(new_version)
    with session_factory() as s:
        request = s.get(BufferRequest, rejected_edit)
        assert request is not None and request.status == "rejected"
    assert audit_rows(session_factory, "buffer_request.resend") == []


def test_only_an_erroneous_request_is_resent(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        sent = add_request(s, status="sent").id
    client = login_as("tfoms")
    response = client.get(f"/buffer/{sent}/resend")
    assert "только запрос, завершённый с ошибкой" in follow(client, response)


def test_smo_may_not_resend_for_a_person_of_another_smo(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    # Seeded: Ёлкин (СМО 50001), a request of СМО 50002 rejected.
    with session_factory() as s:
        request_id = s.scalars(
            select(BufferRequest.id).where(BufferRequest.status == "rejected")
        ).one()
    client = login_as("smo2")
    page = client.get(f"/buffer/{request_id}/resend").text
    response = client.post(f"/buffer/{request_id}/resend", data=form_values(page, "resend-form"))
    assert response.status_code == 403
    assert "относится к другой СМО" in response.text


# --- delete ----------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_then_deletes_and_audits(
    login_as: Callable[[str], FlaskClient],
    rejected_edit: int,
    session_factory: sessionmaker[Session],
) -> None:
    client = login_as("tfoms")
    listing = client.get("/buffer/", query_string={"selected": rejected_edit}).text
    link = re.search(r'data-testid="btn-delete"\s+href="([^"]+)"', listing)
    assert link is not None and link.group(1).startswith(f"/buffer/{rejected_edit}/delete?back=")
    confirm = client.get(link.group(1).replace("&amp;", "&"))
    assert confirm.status_code == 200
    assert "Удаление необратимо" in confirm.text
    data = form_values(confirm.text, "delete-form")
    assert set(data) == {"csrf_token", "version", "back"}

    response = client.post(f"/buffer/{rejected_edit}/delete", data=data)
    assert f"Запрос № {rejected_edit} удалён" in follow(client, response)
    with session_factory() as s:
        assert s.get(BufferRequest, rejected_edit) is None
    (row,) = audit_rows(session_factory, "buffer_request.delete")
    assert row.object_id == str(rejected_edit) and row.user_login == "tfoms"
    assert row.details is not None
    assert row.details["status"] == "rejected"
    assert row.details["proposed"]["patronymic"] == "Семенович"


def test_delete_without_csrf_is_refused(
    login_as: Callable[[str], FlaskClient],
    rejected_edit: int,
    session_factory: sessionmaker[Session],
) -> None:
    response = login_as("tfoms").post(f"/buffer/{rejected_edit}/delete", data={"version": "1"})
    assert response.status_code == 400
    with session_factory() as s:
        assert s.get(BufferRequest, rejected_edit) is not None


def test_delete_is_for_tfoms_only(
    login_as: Callable[[str], FlaskClient],
    rejected_edit: int,
    session_factory: sessionmaker[Session],
) -> None:
    client = login_as("smo1")
    assert client.get(f"/buffer/{rejected_edit}/delete").status_code == 403
    token = csrf_token(client.get("/buffer/").text)
    response = client.post(f"/buffer/{rejected_edit}/delete", data={"csrf_token": token})
    assert response.status_code == 403
    with session_factory() as s:
        assert s.get(BufferRequest, rejected_edit) is not None


def test_applied_or_changed_request_is_not_deleted(
    login_as: Callable[[str], FlaskClient],
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as s:
        applied = add_request(
            s, status="accepted", applied_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        ).id
        other = add_request(s, status="rejected").id
    client = login_as("tfoms")
    data = form_values(client.get(f"/buffer/{applied}/delete").text, "delete-form")
    response = client.post(f"/buffer/{applied}/delete", data=data)
    assert "уже применён к регистру" in follow(client, response)

    stale = form_values(client.get(f"/buffer/{other}/delete").text, "delete-form")
    with transaction(session_factory) as s:
        request = s.get(BufferRequest, other)
        assert request is not None
        request.errors = [{"field": None, "message": "новая ошибка"}]
    response = client.post(f"/buffer/{other}/delete", data=stale)
    assert "изменён другим пользователем" in follow(client, response)
    with session_factory() as s:
        assert s.get(BufferRequest, applied) is not None
        assert s.get(BufferRequest, other) is not None
    assert audit_rows(session_factory, "buffer_request.delete") == []


# --- force sending --------------------------------------------------------------------------


def test_force_send_marks_the_request_and_audits(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        queued = add_request(s, status="format_checked").id
    client = login_as("tfoms")
    page = client.get("/buffer/", query_string={"selected": queued, "status": "format_checked"})
    data = form_values(page.text, "force-send-form")
    assert set(data) == {"csrf_token", "version", "back"}
    response = client.post(f"/buffer/{queued}/force", data=data)
    assert "status=format_checked" in response.location
    assert "отмечен для принудительной отправки" in follow(client, response)
    with session_factory() as s:
        request = s.get(BufferRequest, queued)
        assert request is not None and request.forced_at is not None
    (row,) = audit_rows(session_factory, "buffer_request.force_send")
    assert row.object_id == str(queued) and row.user_login == "tfoms"


def test_a_finished_request_is_not_forced(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        finished = add_request(s, status="accepted").id
    client = login_as("tfoms")
    token = csrf_token(client.get("/buffer/").text)
    response = client.post(f"/buffer/{finished}/force", data={"csrf_token": token})
    assert "в состоянии «Принят» отправить нельзя" in follow(client, response)
    with session_factory() as s:
        request = s.get(BufferRequest, finished)
        assert request is not None and request.forced_at is None
    assert audit_rows(session_factory, "buffer_request.force_send") == []


def test_force_send_is_for_tfoms_only(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        queued = add_request(s, status="format_checked", author_smo="50001").id
    client = login_as("smo1")
    token = csrf_token(client.get("/buffer/").text)
    assert client.post(f"/buffer/{queued}/force", data={"csrf_token": token}).status_code == 403
    assert audit_rows(session_factory, "buffer_request.force_send") == []


def test_tampered_request_number_is_404(login_as: Callable[[str], FlaskClient]) -> None:
    client = login_as("tfoms")
    token = csrf_token(client.get("/buffer/").text)
    assert client.get("/buffer/999999/delete").status_code == 404
    assert client.post("/buffer/999999/force", data={"csrf_token": token}).status_code == 404
    assert client.get("/buffer/", query_string={"selected": 999999}).status_code == 404
