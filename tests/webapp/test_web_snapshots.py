"""«Срезы»: the list of published snapshots and the pages of one, read from Parquet."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.models import AuditLog

ROW = re.compile(r"<td>(СРЕЗОВ\d{3})</td>")


@pytest.fixture
def stat(login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    return login_as("stat")


def test_nothing_published(stat: FlaskClient) -> None:
    page = stat.get("/snapshots/")
    assert page.status_code == 200
    assert "Срезы не опубликованы" in page.text


def test_unpublished_date_is_404(stat: FlaskClient) -> None:
    assert stat.get("/snapshots/2024-05-01").status_code == 404


def test_published_snapshot_is_listed(stat: FlaskClient, published: dt.date) -> None:
    page = stat.get("/snapshots/").text
    assert "Срезы не опубликованы" not in page
    assert "01.05.2024" in page
    assert '<td class="text-end">60</td>' in page
    assert f'href="/snapshots/{published.isoformat()}"' in page


def test_pages_of_a_snapshot(
    stat: FlaskClient, published: dt.date, session_factory: sessionmaker[Session]
) -> None:
    first = stat.get(f"/snapshots/{published.isoformat()}")
    assert first.status_code == 200
    assert "Срез на 01.05.2024" in first.text
    assert "Записи 1–50 из 60" in first.text
    names = ROW.findall(first.text)
    assert names == [f"СРЕЗОВ{i:03d}" for i in range(1, 51)]
    assert "Фамилия" in first.text  # column titles in Russian
    assert 'rel="next"' in first.text
    second = stat.get(f"/snapshots/{published.isoformat()}", query_string={"page": 2}).text
    assert ROW.findall(second) == [f"СРЕЗОВ{i:03d}" for i in range(51, 61)]
    assert "Записи 51–60 из 60" in second
    with transaction(session_factory) as s:
        views = s.scalars(select(AuditLog).where(AuditLog.action == "snapshot.view")).all()
    assert [(v.object_id, v.user_login) for v in views] == [("2024-05-01", "stat")] * 2


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "01.05.2024"])
def test_malformed_date_is_404(stat: FlaskClient, bad: str) -> None:
    assert stat.get(f"/snapshots/{bad}").status_code == 404
