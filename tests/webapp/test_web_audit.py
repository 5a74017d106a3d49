"""«Журнал аудита»: filters, paging, times in the region's zone, readable details; ТФОМС only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog
from webapp import create_app


def audit_ids(html: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            r'data-testid="audit-row" data-action="[^"]+" data-audit-id="(\d+)"', html
        )
    ]


def actions(html: str) -> list[str]:
    return re.findall(r'data-testid="audit-row" data-action="([^"]+)"', html)


@pytest.fixture
def journal(session_factory: sessionmaker[Session], persons: dict[str, int]) -> dict[str, int]:
    """A few rows of known times, users and objects."""
    rows = {
        "view": AuditLog(
            at=dt.datetime(2024, 3, 1, 21, 30, tzinfo=dt.UTC),  # 02.03 00:30 in Moscow
            user_login="smo1",
            action="person.view",
            object_type="person",
            object_id=str(persons["yolkin"]),
            remote_addr="10.1.2.3",
        ),
        "delete": AuditLog(
            at=dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC),
            user_login="tfoms",
            action="buffer_request.delete",
            object_type="buffer_request",
            object_id="77",
            details={"status": "rejected", "proposed": {"surname": "ПЕТРОВ", "sex": 1}},
        ),
        "update": AuditLog(
            at=dt.datetime(2024, 3, 10, 9, 0, tzinfo=dt.UTC),
            user_login="admin",
            action="user.update",
            object_type="user",
            object_id="3",
            details={"before": {"active": True}, "after": {"active": False}, "note": None},
        ),
    }
    with transaction(session_factory) as s:
        s.add_all(rows.values())
        s.flush()
        return {k: r.id for k, r in rows.items()}


def test_journal_shows_rows_newest_first_in_moscow_time(
    login_as: Callable[[str], FlaskClient], journal: dict[str, int]
) -> None:
    page = login_as("tfoms").get("/audit/").text
    found = audit_ids(page)
    # The login of «tfoms» itself is the newest row.
    assert (
        found.index(journal["update"])
        < found.index(journal["delete"])
        < found.index(journal["view"])
    )
    assert "Время (Europe/Moscow, UTC+03:00)" in page
    view = page[page.index(f'data-audit-id="{journal["view"]}"') :]
    assert "02.03.2024 00:30:00" in view.split("</tr>")[0]
    assert 'datetime="2024-03-01T21:30:00+00:00"' in view
    assert "Просмотр карточки ЗЛ" in view and "10.1.2.3" in view


def test_details_are_readable(
    login_as: Callable[[str], FlaskClient], journal: dict[str, int]
) -> None:
    page = login_as("tfoms").get("/audit/", query_string={"action": "buffer_request.delete"}).text
    assert audit_ids(page) == [journal["delete"]]
    row = page[page.index('data-testid="audit-details"') :].split("</tr>")[0]
    assert "<dt>status</dt><dd>rejected</dd>" in row
    # A nested value: indented JSON, Cyrillic as it is, folded under «показать».
    assert "<summary>показать</summary><pre>{\n  &#34;surname&#34;: &#34;ПЕТРОВ&#34;," in row


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"user_login": "smo1"}, ["view"]),
        ({"user_login": "ADMIN"}, ["update"]),
        ({"action": "user.update"}, ["update"]),
        ({"object_type": "buffer_request", "object_id": "77"}, ["delete"]),
        ({"date_from": "05.03.2024", "date_to": "05.03.2024"}, ["delete"]),
        ({"date_to": "04.03.2024"}, ["view"]),
    ],
)
def test_filters(
    login_as: Callable[[str], FlaskClient],
    journal: dict[str, int],
    args: dict[str, str],
    expected: list[str],
) -> None:
    page = login_as("tfoms").get("/audit/", query_string=args).text
    assert audit_ids(page) == [journal[name] for name in expected]


def test_link_from_the_register_screen(
    login_as: Callable[[str], FlaskClient], journal: dict[str, int], persons: dict[str, int]
) -> None:
    page = (
        login_as("tfoms")
        .get("/audit/", query_string={"object_type": "person", "object_id": persons["yolkin"]})
        .text
    )
    assert audit_ids(page) == [journal["view"]]
    assert re.search(r'<option selected value="person">|<option value="person" selected>', page)
    assert f'href="/persons/{persons["yolkin"]}"' in page


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ({"date_from": "1.13.2024"}, "Несуществующая дата"),
        ({"date_from": "2024/01/01"}, "Дата должна быть в формате ДД.ММ.ГГГГ"),
        ({"date_from": "10.03.2024", "date_to": "01.03.2024"}, "Дата «по» раньше даты «с»"),
        ({"action": "nonsense"}, "Неизвестное действие"),
    ],
)
def test_bad_filter_gets_a_russian_message(
    login_as: Callable[[str], FlaskClient], args: dict[str, str], text: str
) -> None:
    page = login_as("tfoms").get("/audit/", query_string=args).text
    assert text in page
    assert audit_ids(page) == []


def test_pages(
    login_as: Callable[[str], FlaskClient], session_factory: sessionmaker[Session]
) -> None:
    with transaction(session_factory) as s:
        s.add_all(
            AuditLog(
                user_login="smo2", action="person.view", object_type="person", object_id=str(i)
            )
            for i in range(60)
        )
    client = login_as("tfoms")
    first = client.get("/audit/", query_string={"user_login": "smo2"}).text
    assert len(audit_ids(first)) == 50 and 'rel="next"' in first
    assert "user_login=smo2" in re.search(r'rel="next" href="([^"]+)"', first).group(1)  # type: ignore[union-attr]
    second = client.get("/audit/", query_string={"user_login": "smo2", "page": 2}).text
    assert len(audit_ids(second)) == 10


def test_tile_on_the_screen_of_modes(login_as: Callable[[str], FlaskClient]) -> None:
    assert 'href="/audit/"' in login_as("tfoms").get("/rserz").text
    assert 'href="/audit/"' not in login_as("smo1").get("/rserz").text


@pytest.mark.parametrize("login_", ["smo1", "mo", "stat", "admin"])
def test_forbidden_for_other_roles(login_as: Callable[[str], FlaskClient], login_: str) -> None:
    response = login_as(login_).get("/audit/")
    assert response.status_code == 403
    assert "Доступ запрещён" in response.text


def test_time_zone_is_configurable(tmp_path: Path, sqlite_url: str) -> None:
    config = {"RSERZ_DATA_DIR": str(tmp_path / "d"), "RSERZ_DATABASE_URL": sqlite_url}
    app = create_app({**config, "RSERZ_TIMEZONE": "Asia/Novosibirsk"})
    assert str(app.config["RSERZ_TIMEZONE"]) == "Asia/Novosibirsk"
    app.extensions["rserz_db"].engine.dispose()
    with pytest.raises(ValueError, match="RSERZ_TIMEZONE"):
        create_app({**config, "RSERZ_TIMEZONE": "Mars/Olympus"})
