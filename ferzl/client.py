"""The synchronous look-up of the central segment (ФЕРЗЛ) for «Просмотр состояния в ФЕРЗЛ».

``LookupClient`` is the one interface the screens use: find persons by criteria, get a
person's current data, get a person's history. ``HttpLookupClient`` implements it over
the JSON API that the emulator serves (``docs/exchange.md``, «HTTP look-up»), with the
standard library only. The real ФЕРЗЛ publishes SOAP web services behind the closed
network; a ``SoapLookupClient`` with the same three methods can be added beside this one
(and chosen by the web app's client factory) without touching the screens.

Person dicts come back with the register's field names and dates parsed to
``datetime.date``; a history version also carries ``valid_from``, ``valid_to`` and
``event_code``. Every failure to get an answer (no connection, timeout, a server error,
an unreadable body) raises :class:`FerzlUnavailable`; a query the service refuses
(HTTP 400) raises :class:`FerzlQueryError` with the service's own Russian text.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Fields of a person (or a history version) that carry a date ``YYYY-MM-DD``.
DATE_FIELDS: frozenset[str] = frozenset(
    {
        "birth_date",
        "doc_issue_date",
        "doc_expiry",
        "death_date",
        "insurance_start",
        "insurance_end",
        "valid_from",
        "valid_to",
    }
)

#: The criteria the service accepts (one complete set is required, see docs/exchange.md).
CRITERIA: frozenset[str] = frozenset(
    {
        "surname",
        "name",
        "patronymic",
        "birth_date",
        "doc_type",
        "doc_series",
        "doc_number",
        "enp",
        "policy_number",
        "snils",
    }
)

DEFAULT_PAGE_SIZE = 20
UNAVAILABLE = "ФЕРЗЛ недоступен"


class FerzlError(Exception):
    """A look-up of the central segment failed; the message is Russian, for the operator."""


class FerzlUnavailable(FerzlError):
    """No usable answer: no connection, timeout, a server error or an unreadable body."""


class FerzlQueryError(FerzlError):
    """The service refused the query (HTTP 400); the message is the service's own."""


@dataclass(frozen=True)
class FoundPage:
    """One page of persons found by criteria."""

    total: int
    items: list[dict[str, Any]] = field(default_factory=list)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


class LookupClient(Protocol):
    """What the screens ask of the central segment (HTTP now, SOAP for the real ФЕРЗЛ later)."""

    def find_persons(
        self, criteria: Mapping[str, Any], page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> FoundPage: ...

    def get_person(self, enp: str) -> dict[str, Any] | None: ...

    def get_history(self, enp: str) -> list[dict[str, Any]]: ...


def parse_person(data: Mapping[str, Any]) -> dict[str, Any]:
    """A person (or a version) from JSON: dates to ``datetime.date``; FerzlUnavailable if bad."""
    out = dict(data)
    for key in DATE_FIELDS & out.keys():
        value = out[key]
        if value is None or isinstance(value, dt.date):
            continue
        try:
            out[key] = dt.date.fromisoformat(str(value))
        except ValueError:
            raise FerzlUnavailable(
                f"{UNAVAILABLE}: в ответе некорректная дата ({key} = {value!r})"
            ) from None
    return out


def _criteria_query(criteria: Mapping[str, Any]) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in criteria.items():
        if key not in CRITERIA or value is None or value == "":
            continue
        query[key] = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    return query


class HttpLookupClient:
    """``LookupClient`` over the JSON API of docs/exchange.md (the emulator serves it).

    ``proxies``: by default none — the central segment is reached over the closed
    network directly, and an ``http_proxy`` of the environment must not catch it.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = 5,
        *,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler(dict(proxies or {})))

    def __repr__(self) -> str:
        return f"HttpLookupClient({self.base_url!r}, timeout={self.timeout})"

    # --- the three operations ------------------------------------------------

    def find_persons(
        self, criteria: Mapping[str, Any], page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> FoundPage:
        query = {**_criteria_query(criteria), "page": str(page), "page_size": str(page_size)}
        data = self._get("/api/v1/persons?" + urllib.parse.urlencode(query))
        if data is None:  # a 404 of the search itself: no such service at that address
            raise FerzlUnavailable(f"{UNAVAILABLE}: сервис поиска не найден (HTTP 404)")
        items = data.get("items")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise FerzlUnavailable(f"{UNAVAILABLE}: некорректный ответ на поиск")
        try:
            return FoundPage(
                total=int(data.get("total", len(items))),
                items=[parse_person(item) for item in items],
                page=int(data.get("page", page)),
                page_size=int(data.get("page_size", page_size)),
            )
        except (TypeError, ValueError):
            raise FerzlUnavailable(f"{UNAVAILABLE}: некорректный ответ на поиск") from None

    def get_person(self, enp: str) -> dict[str, Any] | None:
        data = self._get(f"/api/v1/persons/{self._enp(enp)}")
        return None if data is None else parse_person(data)

    def get_history(self, enp: str) -> list[dict[str, Any]]:
        data = self._get(f"/api/v1/persons/{self._enp(enp)}/history")
        if data is None:
            return []
        versions = data.get("versions")
        if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
            raise FerzlUnavailable(f"{UNAVAILABLE}: некорректный ответ на запрос истории")
        return [parse_person(v) for v in versions]

    # --- transport -----------------------------------------------------------

    @staticmethod
    def _enp(enp: str) -> str:
        return urllib.parse.quote(enp.strip(), safe="")

    def _get(self, path: str) -> dict[str, Any] | None:
        """The JSON object at ``path``; None on 404 (nothing found)."""
        request = urllib.request.Request(
            self.base_url + path, headers={"Accept": "application/json"}, method="GET"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            self._raise_for_status(exc)
            return None  # 404: nothing found
        except TimeoutError:
            raise FerzlUnavailable(f"{UNAVAILABLE}: нет ответа за {self.timeout:g} с") from None
        except urllib.error.URLError as exc:
            raise FerzlUnavailable(f"{UNAVAILABLE}: {_reason(exc.reason)}") from None
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # connection reset, a malformed URL, a peer that does not speak HTTP, a cut body
            raise FerzlUnavailable(f"{UNAVAILABLE}: {_reason(exc)}") from None
        return _json_object(body)

    def _raise_for_status(self, exc: urllib.error.HTTPError) -> None:
        """Raise the error an HTTP status means; return for 404 (not found)."""
        try:
            body = exc.read()
        except OSError:
            body = b""
        finally:
            exc.close()
        if exc.code == 404:
            return
        if exc.code == 400:
            text = _error_text(body) or "Некорректные условия поиска"
            raise FerzlQueryError(text)
        if exc.code >= 500:
            raise FerzlUnavailable(f"{UNAVAILABLE}: ошибка сервера (HTTP {exc.code})")
        raise FerzlUnavailable(f"{UNAVAILABLE}: сервис отказал в запросе (HTTP {exc.code})")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FerzlUnavailable(f"{UNAVAILABLE}: ответ не в формате JSON") from None
    if not isinstance(data, dict):
        raise FerzlUnavailable(f"{UNAVAILABLE}: некорректный ответ")
    return data


def _error_text(body: bytes) -> str | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error else None


def _reason(reason: object) -> str:
    """A Russian word for why the connection failed."""
    if isinstance(reason, TimeoutError):
        return "нет ответа (истекло время ожидания)"
    if isinstance(reason, ConnectionRefusedError):
        return "соединение отклонено (сервис не запущен?)"
    if isinstance(reason, ConnectionResetError):
        return "соединение разорвано"
    if isinstance(reason, socket.gaierror):
        return "адрес сервиса не найден"
    return f"нет соединения ({reason})"
