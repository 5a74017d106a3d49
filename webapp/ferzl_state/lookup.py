"""The web app's look-up client (one factory) and what one screen asks of the central segment.

``install_client`` puts the client into ``app.extensions`` when the blueprint is
registered: ``FERZL_CLIENT_FACTORY`` (a callable taking the app) when the config names
one, else ``ferzl.client.HttpLookupClient`` on ``FERZL_URL`` or the settings' address of
the ФЕРЗЛ service. Tests swap it with :func:`use_lookup_client`.

A failure of the central segment never fails the page: it becomes the Russian text of
:class:`ferzl.client.FerzlError`, and the register's side is shown all the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from ferzl.client import FerzlError, FoundPage, HttpLookupClient, LookupClient
from register.records import parse_date
from register.snils import format_snils, normalize_snils

CLIENT_EXTENSION = "rserz_ferzl_client"
DEFAULT_TIMEOUT = 5.0
CANDIDATES_PAGE_SIZE = 20


def make_client(app: Flask) -> LookupClient:
    factory = app.config.get("FERZL_CLIENT_FACTORY")
    if factory is not None:
        client: LookupClient = factory(app)
        return client
    url = app.config.get("FERZL_URL") or app.config["RSERZ_SETTINGS"].ferzl_url
    return HttpLookupClient(url, timeout=float(app.config.get("FERZL_TIMEOUT", DEFAULT_TIMEOUT)))


def install_client(app: Flask) -> None:
    app.extensions.setdefault(CLIENT_EXTENSION, make_client(app))


def use_lookup_client(app: Flask, client: LookupClient) -> None:
    """Replace the app's client (tests, a SOAP adapter chosen at start-up)."""
    app.extensions[CLIENT_EXTENSION] = client


def lookup_client() -> LookupClient:
    client: LookupClient = current_app.extensions[CLIENT_EXTENSION]
    return client


# --- the look-up by other criteria -----------------------------------------------------

#: Criteria sets of the look-up when ФЕРЗЛ has no such ЕНП: (key, title, required fields).
SEARCH_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("fio", "ФИО и дата рождения", ("surname", "name", "birth_date")),
    ("doc", "ДУЛ", ("doc_type", "doc_number")),
    ("snils", "СНИЛС и дата рождения", ("snils", "birth_date")),
)
#: The fields each set sends (the required ones and the optional ones beside them).
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "fio": ("surname", "name", "patronymic", "birth_date"),
    "doc": ("doc_type", "doc_series", "doc_number"),
    "snils": ("snils", "birth_date"),
}
SEARCH_INPUTS: tuple[str, ...] = (
    "surname",
    "name",
    "patronymic",
    "birth_date",
    "doc_type",
    "doc_series",
    "doc_number",
    "snils",
)
REQUIRED = "Укажите для этого способа поиска"


@dataclass
class Search:
    """The look-up form as typed (or prefilled from the register), and what it found."""

    kind: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    page: FoundPage | None = None
    error: str | None = None  # ФЕРЗЛ's refusal or unavailability, in Russian

    @property
    def ran(self) -> bool:
        return self.page is not None


def snils_text(value: str) -> str:
    try:
        return format_snils(value)
    except ValueError:
        return value


def prefilled_search(record: Mapping[str, Any], kind: str = "fio") -> Search:
    """The form filled from the register's record of the person."""
    values = {}
    for name in SEARCH_INPUTS:
        value = record.get(name)
        if isinstance(value, dt.date):
            value = value.strftime("%d.%m.%Y")
        elif name == "snils" and value:
            value = snils_text(str(value))
        values[name] = "" if value is None else str(value)
    return Search(kind=kind, values=values)


def search_from_args(args: Mapping[str, str], record: Mapping[str, Any]) -> Search:
    """The form as submitted (GET); empty inputs not sent fall back to the register's values."""
    kind = args.get("by", "fio")
    kind = kind if kind in SEARCH_FIELDS else "fio"
    search = prefilled_search(record, kind)
    for name in SEARCH_INPUTS:
        if name in args:
            search.values[name] = args[name].strip()[:40]
    return search


def _criteria(search: Search) -> dict[str, Any]:
    """The criteria of the chosen set, checked; problems go into ``search.errors``."""
    required = dict((k, r) for k, _, r in SEARCH_KINDS)[search.kind]
    criteria: dict[str, Any] = {}
    for name in SEARCH_FIELDS[search.kind]:
        value = search.values.get(name, "").strip()
        if not value:
            if name in required:
                search.errors[name] = REQUIRED
            continue
        if name == "birth_date":
            try:
                criteria[name] = parse_date(value)
            except ValueError as exc:
                search.errors[name] = str(exc)
        elif name == "snils":
            digits = normalize_snils(value) or ""
            if not (len(digits) == 11 and digits.isdigit()):
                search.errors[name] = "СНИЛС — 11 цифр"
            criteria[name] = digits
        elif name == "doc_type":
            if not value.isdigit():
                search.errors[name] = "Код вида ДУЛ — число (F011)"
            criteria[name] = value
        else:
            criteria[name] = value
    return criteria


def run_search(client: LookupClient, search: Search, page: int = 1) -> Search:
    criteria = _criteria(search)
    if search.errors:
        return search
    try:
        search.page = client.find_persons(criteria, page=page, page_size=CANDIDATES_PAGE_SIZE)
    except FerzlError as exc:
        search.error = str(exc)
    return search


# --- one screen's look-up ---------------------------------------------------------------------


@dataclass
class Lookup:
    """What the central segment said about one ЕНП (and, if asked, its history)."""

    enp: str
    central: dict[str, Any] | None = None
    error: str | None = None  # «ФЕРЗЛ недоступен: …»
    history: list[dict[str, Any]] | None = None
    history_error: str | None = None
    search: Search | None = None

    @property
    def not_found(self) -> bool:
        return self.central is None and self.error is None

    def audit_details(self) -> dict[str, Any]:
        outcome = "unavailable" if self.error else ("not_found" if self.not_found else "found")
        details: dict[str, Any] = {"enp": self.enp, "outcome": outcome}
        if self.history is not None or self.history_error:
            details["history"] = True
        if self.search is not None and (self.search.ran or self.search.error):
            details["search"] = {
                "by": self.search.kind,
                "found": self.search.page.total if self.search.page else None,
            }
        return details


def look_up(client: LookupClient, enp: str, *, with_history: bool) -> Lookup:
    found = Lookup(enp)
    try:
        found.central = client.get_person(enp)
    except FerzlError as exc:
        found.error = str(exc)
        return found
    if with_history and found.central is not None:
        try:
            found.history = client.get_history(enp)
        except FerzlError as exc:
            found.history_error = str(exc)
    return found
