"""The synchronous look-up of ФЕРЗЛ (FORMATS.md §5), JSON over HTTP: search, person, history.

Contract: docs/exchange.md «HTTP look-up». Each request opens its own connection
to the store (the server is threaded; SQLite connections are not shared).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ferzl.emulator import store
from register.names import normalize_name
from register.snils import normalize_snils

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
NOT_FOUND = "Застрахованное лицо не найдено в ФЕРЗЛ"
CRITERIA_HELP = (
    "Укажите критерии поиска: фамилия, имя и дата рождения (отчество — по желанию); "
    "тип и номер ДУЛ (серия — по желанию); ЕНП; номер полиса; СНИЛС и дата рождения"
)
_ENP_RE = re.compile(r"\d{16}")
_FIELD_NAMES_RU = {
    "surname": "фамилия",
    "name": "имя",
    "patronymic": "отчество",
    "birth_date": "дата рождения",
    "doc_type": "тип ДУЛ",
    "doc_series": "серия ДУЛ",
    "doc_number": "номер ДУЛ",
    "enp": "ЕНП",
    "policy_number": "номер полиса",
    "snils": "СНИЛС",
}
_CRITERIA = tuple(_FIELD_NAMES_RU)


class LookupError400(ValueError):
    """A request the look-up cannot answer; the text is Russian, for the caller's screen."""


def _page(args: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise LookupError400(f"Параметр {name}: ожидалось целое число не меньше 1")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise LookupError400(f"Параметр {name}: не больше {maximum}")
    return value


def _criteria(args: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """WHERE clause and parameters for the given criteria; every given criterion applies."""
    given = {name: (args.get(name) or "").strip() for name in _CRITERIA}
    given = {name: value for name, value in given.items() if value}
    clauses: list[str] = []
    params: list[Any] = []

    birth = given.get("birth_date")
    if birth is not None:
        try:
            birth = date.fromisoformat(birth).isoformat()
        except ValueError:
            raise LookupError400("Дата рождения: ожидалась дата в формате ГГГГ-ММ-ДД") from None
        clauses.append("birth_date = ?")
        params.append(birth)
    if "surname" in given:
        clauses.append("surname_norm = ?")
        params.append(normalize_name(given["surname"]))
    if "name" in given:
        clauses.append("name_norm = ?")
        params.append(normalize_name(given["name"]))
    if "patronymic" in given:
        clauses.append("patronymic_norm = ?")
        params.append(normalize_name(given["patronymic"]))
    if "doc_type" in given and not given["doc_type"].isdigit():
        raise LookupError400("Тип ДУЛ: ожидался код по справочнику F011 (число)")
    if "doc_number" in given:
        if "doc_series" in given and "doc_type" in given:
            clauses.append("doc_key = ?")
            params.append(
                store.doc_key(given["doc_type"], given["doc_series"], given["doc_number"])
            )
        else:
            clauses.append("doc_number = ?")
            params.append(given["doc_number"])
            if "doc_type" in given:
                clauses.append("doc_type = ?")
                params.append(int(given["doc_type"]))
            if "doc_series" in given:
                clauses.append("series_key(doc_series) = ?")
                params.append(store.series_key(given["doc_series"]))
    elif "doc_series" in given:
        clauses.append("series_key(doc_series) = ?")
        params.append(store.series_key(given["doc_series"]))
    if "enp" in given:
        if not _ENP_RE.fullmatch(given["enp"]):
            raise LookupError400("ЕНП: ожидалось 16 цифр")
        clauses.append("enp = ?")
        params.append(given["enp"])
    if "policy_number" in given:
        clauses.append("policy_number = ?")
        params.append(given["policy_number"])
    if "snils" in given:
        snils = normalize_snils(given["snils"]) or ""
        if not (len(snils) == 11 and snils.isdigit()):
            raise LookupError400("СНИЛС: ожидалось 11 цифр")
        clauses.append("snils = ?")
        params.append(snils)

    complete = (
        {"surname", "name", "birth_date"} <= given.keys()
        or {"doc_type", "doc_number"} <= given.keys()
        or "enp" in given
        or "policy_number" in given
        or {"snils", "birth_date"} <= given.keys()
    )
    if not complete:
        if given:
            named = ", ".join(_FIELD_NAMES_RU[n] for n in given)
            raise LookupError400(f"Неполный набор критериев ({named}). {CRITERIA_HELP}")
        raise LookupError400(CRITERIA_HELP)
    return " AND ".join(clauses), tuple(params)


def search(conn: sqlite3.Connection, args: Mapping[str, str]) -> dict[str, Any]:
    """``GET /api/v1/persons``: one page of the persons matching the criteria."""
    where, params = _criteria(args)
    page = _page(args, "page", 1, None)
    page_size = _page(args, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    total = store.count_persons(conn, where, params)
    rows = conn.execute(
        f"SELECT {', '.join(store.PERSON_FIELDS)} FROM federal_person WHERE {where} "
        "ORDER BY surname_norm, name_norm, patronymic_norm, birth_date, enp LIMIT ? OFFSET ?",
        (*params, page_size, (page - 1) * page_size),
    ).fetchall()
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [store.person_dict(r) for r in rows],
    }


def person(conn: sqlite3.Connection, enp: str) -> dict[str, Any] | None:
    """``GET /api/v1/persons/<enp>``."""
    row = store.person_by_enp(conn, enp)
    return None if row is None else store.person_dict(row)


def history(conn: sqlite3.Connection, enp: str) -> dict[str, Any] | None:
    """``GET /api/v1/persons/<enp>/history``: the versions, oldest first."""
    row = store.person_by_enp(conn, enp)
    if row is None:
        return None
    versions = conn.execute(
        f"SELECT {', '.join((*store.PERSON_FIELDS, *store.VERSION_EXTRA))} FROM federal_version "
        "WHERE person_id = ? ORDER BY valid_from, id",
        (row["id"],),
    ).fetchall()
    return {
        "enp": enp,
        "versions": [
            {**store.person_dict(v), **{f: v[f] for f in store.VERSION_EXTRA}} for v in versions
        ],
    }


def open_store(path: Path) -> sqlite3.Connection:
    """A connection for one request (the store exists: it is seeded before the server starts)."""
    if not path.exists():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    conn.create_function("series_key", 1, store.series_key, deterministic=True)
    return conn
