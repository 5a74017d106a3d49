"""The synchronous look-up of ФЕРЗЛ (FORMATS.md §5), JSON over HTTP: search, person, history.

Contract: docs/exchange.md «HTTP look-up». Each request opens its own connection
to the store (the server is threaded; SQLite connections are not shared).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ferzl.emulator import store
from register.documents import DOCUMENT_TYPES
from register.enp import validate_enp
from register.names import normalize_name
from register.snils import normalize_snils, validate_snils
from register.validation import FieldError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
NOT_FOUND = "Застрахованное лицо не найдено в ФЕРЗЛ"
CRITERIA_HELP = (
    "Укажите критерии поиска: фамилия, имя и дата рождения (отчество — по желанию); "
    "тип и номер ДУЛ (серия — по желанию); ЕНП; номер полиса; СНИЛС и дата рождения"
)
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


def _page(args: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()) or not digits:
        raise LookupError400(f"Параметр {name}: ожидалось целое число не меньше 1")
    # Compared by length first: int() of thousands of digits is refused by Python itself.
    if len(digits) > len(str(maximum)) or int(digits) > maximum:
        raise LookupError400(f"Параметр {name}: не больше {maximum}")
    return int(digits)


def _first_error(errors: list[FieldError]) -> str | None:
    blocking = [e.message for e in errors if not e.warning]
    return blocking[0] if blocking else None


def _doc_type(raw: str) -> int:
    code = store.doc_type_code(raw)
    if not isinstance(code, int):
        raise LookupError400("Тип ДУЛ: ожидался код по справочнику F011 (число)")
    if code not in DOCUMENT_TYPES:
        raise LookupError400(f"Тип ДУЛ: код {code} отсутствует в справочнике F011")
    return code


def _glob_literal(value: str) -> str:
    """``value`` matched literally by GLOB (``*``, ``?`` and ``[`` in brackets)."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in value)


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
    doc_type = _doc_type(given["doc_type"]) if "doc_type" in given else None
    series, number = given.get("doc_series"), given.get("doc_number")
    # ДУЛ compare as the register writes them (store.doc_key): "45 12" = "4512",
    # a passport number "100 001" = "100001".
    if doc_type is not None and number is not None and series is not None:
        clauses.append("doc_key = ?")
        params.append(store.doc_key(doc_type, series, number))
    elif doc_type is not None and number is not None:
        clauses.append("doc_key GLOB ?")
        params.append(f"{doc_type}|*|{_glob_literal(store.number_key(doc_type, number))}")
    else:
        if doc_type is not None:
            clauses.append("doc_type = ?")
            params.append(doc_type)
        if number is not None:
            clauses.append("number_key(doc_type, doc_number) = number_key(doc_type, ?)")
            params.append(number)
        if series is not None:
            clauses.append("series_key(doc_type, doc_series) = series_key(doc_type, ?)")
            params.append(series)
    if "enp" in given:
        reason = _first_error(validate_enp(given["enp"]))
        if reason:
            raise LookupError400(reason)
        clauses.append("enp = ?")
        params.append(given["enp"])
    if "policy_number" in given:
        clauses.append("policy_number = ?")
        params.append(given["policy_number"])
    if "snils" in given:
        reason = _first_error(validate_snils(given["snils"]))
        if reason:
            raise LookupError400(reason)
        clauses.append("snils = ?")
        params.append(normalize_snils(given["snils"]))

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
    page = _page(args, "page", 1, MAX_PAGE)
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
    conn.create_function("series_key", 2, store.series_key, deterministic=True)
    conn.create_function("number_key", 2, store.number_key, deterministic=True)
    return conn
