"""Who may open which screen: every role against every page, and the tiles each role sees."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from register.roles import ADMIN, MO, SMO, STATISTICIAN, TFOMS
from tests.webapp.support import LOGIN_OF_ROLE

PAGES = {
    "rserz": "/rserz",
    "persons": "/persons/",
    "search": "/persons/?surname=Ёлкин",
    "card": "/persons/{yolkin}",
    "buffer": "/buffer/",
    "snapshots": "/snapshots/",
    "snapshot": "/snapshots/2024-05-01",
}
ALLOWED: dict[str, set[str]] = {
    TFOMS: set(PAGES),
    SMO: {"rserz", "persons", "search", "card", "buffer"},
    MO: {"rserz", "persons", "search", "card"},
    STATISTICIAN: {"rserz", "snapshots", "snapshot"},
    ADMIN: set(),
}
CASES = [(role, page) for role in ALLOWED for page in PAGES]


@pytest.mark.parametrize(("role", "page"), [c for c in CASES if c[1] not in ALLOWED[c[0]]])
def test_forbidden_for_role(
    login_as: Callable[[str], FlaskClient], persons: dict[str, int], role: str, page: str
) -> None:
    response = login_as(LOGIN_OF_ROLE[role]).get(PAGES[page].format(**persons))
    assert response.status_code == 403
    assert "Доступ запрещён" in response.text
    # Nothing of the person leaks into the refusal.
    assert "Ёлкин" not in response.text


@pytest.mark.parametrize(
    ("role", "page"), [c for c in CASES if c[1] in ALLOWED[c[0]] and c[1] != "snapshot"]
)
def test_allowed_for_role(
    login_as: Callable[[str], FlaskClient], persons: dict[str, int], role: str, page: str
) -> None:
    assert login_as(LOGIN_OF_ROLE[role]).get(PAGES[page].format(**persons)).status_code == 200


@pytest.mark.parametrize(
    ("role", "main_tiles", "mode_tiles"),
    [
        (TFOMS, ["РСЕРЗ"], ["Регистр застрахованных лиц", "Буфер", "Срезы", "Журнал аудита"]),
        (SMO, ["РСЕРЗ"], ["Регистр застрахованных лиц", "Буфер"]),
        (MO, ["РСЕРЗ"], ["Регистр застрахованных лиц"]),
        (STATISTICIAN, ["РСЕРЗ"], ["Срезы"]),
        (ADMIN, ["Администрирование"], None),
    ],
)
def test_tiles_of_role(
    login_as: Callable[[str], FlaskClient],
    role: str,
    main_tiles: list[str],
    mode_tiles: list[str] | None,
) -> None:
    client = login_as(LOGIN_OF_ROLE[role])
    main = client.get("/").text
    assert _tiles(main) == main_tiles
    if mode_tiles is None:
        assert client.get("/rserz").status_code == 403
    else:
        assert _tiles(client.get("/rserz").text) == mode_tiles


def _tiles(html: str) -> list[str]:
    return re.findall(r'<span class="tile-title">([^<]+)</span>', html)
