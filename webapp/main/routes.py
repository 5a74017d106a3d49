"""Tiles: what the current user may open."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for
from flask_login import current_user

from webapp.auth.permissions import (
    ADMIN_ROLES,
    AUDIT_ROLES,
    BUFFER_ROLES,
    PERSONS_ROLES,
    RSERZ_ROLES,
    SNAPSHOTS_ROLES,
    require_role,
)
from webapp.main import bp


@dataclass(frozen=True)
class Tile:
    title: str
    description: str
    url: str | None  # None: announced, not built yet
    roles: tuple[str, ...]


def _visible(tiles: list[Tile]) -> list[Tile]:
    return [t for t in tiles if current_user.role in t.roles]


@bp.get("/")
def index() -> str:
    tiles = _visible(
        [
            Tile(
                "РСЕРЗ",
                "Регистр застрахованных лиц, буфер запросов в ФЕРЗЛ, срезы",
                url_for("main.rserz"),
                RSERZ_ROLES,
            ),
            Tile(
                "Администрирование",
                "Пользователи, роли, сертификаты",
                url_for("admin.users"),
                ADMIN_ROLES,
            ),
        ]
    )
    return render_template("main/index.html", tiles=tiles, page_title="Главная")


@bp.get("/rserz")
@require_role(*RSERZ_ROLES)
def rserz() -> str:
    tiles = _visible(
        [
            Tile(
                "Регистр застрахованных лиц",
                "Поиск застрахованных, карточка, история изменений",
                url_for("persons.search"),
                PERSONS_ROLES,
            ),
            Tile(
                "Буфер",
                "Запросы на изменение сведений и ответы ФЕРЗЛ",
                url_for("buffer.requests"),
                BUFFER_ROLES,
            ),
            Tile(
                "Срезы",
                "Опубликованные срезы регистра на первое число месяца",
                url_for("snapshots.list_snapshots"),
                SNAPSHOTS_ROLES,
            ),
            Tile(
                "Журнал аудита",
                "Кто и когда смотрел и изменял сведения, входы в систему",
                url_for("audit.journal"),
                AUDIT_ROLES,
            ),
        ]
    )
    return render_template("main/rserz.html", tiles=tiles, page_title="РСЕРЗ")
