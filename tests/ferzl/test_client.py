"""The look-up client over HTTP: the JSON of docs/exchange.md in, register-shaped dicts out, and
every failure in Russian (FerzlUnavailable / FerzlQueryError), against a small local server."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ferzl.client import FerzlQueryError, FerzlUnavailable, FoundPage, HttpLookupClient
from ferzl.emulator import store
from ferzl.emulator.seed import special_enp
from ferzl.emulator.server import create_app
from register.enp import make_enp
from tests.ferzl.emulator_support import make_region

PERSON = {
    "enp": "5052410834000017",
    "surname": "ИВАНОВ",
    "name": "ИВАН",
    "patronymic": None,
    "sex": 1,
    "birth_date": "1985-07-15",
    "insurance_start": "2011-05-01",
    "insurance_end": None,
    "smo_ogrn": "1027700001234",
    "region_code": "50",
    "working": True,
}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


class Canned:
    """The answers of the fake central segment, by path; ``seen`` keeps the query strings."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(dict(request.args))
        path = request.path
        if path == "/api/v1/persons":
            if "surname" in request.args and "birth_date" not in request.args:
                response = _json({"error": "Неполный набор критериев (фамилия)"}, 400)
            else:
                response = _json({"total": 41, "page": 2, "page_size": 20, "items": [PERSON]})
        elif path == f"/api/v1/persons/{PERSON['enp']}":
            response = _json(PERSON)
        elif path == f"/api/v1/persons/{PERSON['enp']}/history":
            version = {**PERSON, "valid_from": "2011-05-01", "valid_to": None, "event_code": "П01"}
            response = _json({"enp": PERSON["enp"], "versions": [version]})
        elif path.endswith("/5000000000000000"):
            response = _json({"error": "Застрахованное лицо не найдено в ФЕРЗЛ"}, 404)
        elif path.endswith("/5000000000000001"):
            response = Response("<html>oops</html>", 200, mimetype="text/html")
        elif path.endswith("/5000000000000002"):
            response = _json({"error": "boom"}, 503)
        elif path.endswith("/5000000000000003"):
            time.sleep(1.5)
            response = _json(PERSON)
        elif path.endswith("/5000000000000004"):
            response = _json({**PERSON, "birth_date": "15.07.1985"})
        else:
            response = _json({"error": "Неизвестный адрес"}, 404)
        return response(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Canned]]:
    app = Canned()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()


def test_person_history_and_search_come_back_register_shaped(
    server: tuple[str, Canned],
) -> None:
    url, app = server
    client = HttpLookupClient(url + "/")
    person = client.get_person(PERSON["enp"])
    assert person is not None
    assert person["birth_date"] == dt.date(1985, 7, 15) and person["insurance_end"] is None
    assert person["working"] is True and person["smo_ogrn"] == "1027700001234"
    (version,) = client.get_history(PERSON["enp"])
    assert version["valid_from"] == dt.date(2011, 5, 1) and version["event_code"] == "П01"
    found = client.find_persons(
        {"surname": "Иванов", "name": "Иван", "birth_date": dt.date(1985, 7, 15), "x": "1"},
        page=2,
    )
    assert isinstance(found, FoundPage)
    assert (found.total, found.page, found.has_next) == (41, 2, True)
    assert found.items[0]["birth_date"] == dt.date(1985, 7, 15)
    # Dates go out as ISO; unknown criteria are not sent; the page and its size always are.
    assert app.seen[-1] == {
        "surname": "Иванов",
        "name": "Иван",
        "birth_date": "1985-07-15",
        "page": "2",
        "page_size": "20",
    }


def test_not_found_is_none_and_no_history(server: tuple[str, Canned]) -> None:
    client = HttpLookupClient(server[0])
    assert client.get_person("5000000000000000") is None
    assert client.get_history("5000000000000000") == []


def test_refused_query_carries_the_services_text(server: tuple[str, Canned]) -> None:
    with pytest.raises(FerzlQueryError, match=r"^Неполный набор критериев \(фамилия\)$"):
        HttpLookupClient(server[0]).find_persons({"surname": "Иванов"})


@pytest.mark.parametrize(
    ("enp", "message"),
    [
        ("5000000000000001", "ответ не в формате JSON"),
        ("5000000000000002", "ошибка сервера \\(HTTP 503\\)"),
        ("5000000000000003", "нет ответа"),
        ("5000000000000004", "некорректная дата"),
    ],
)
def test_failures_say_ferzl_is_unavailable(
    server: tuple[str, Canned], enp: str, message: str
) -> None:
    client = HttpLookupClient(server[0], timeout=0.5)
    with pytest.raises(FerzlUnavailable, match=f"^ФЕРЗЛ недоступен: .*{message}"):
        client.get_person(enp)


def test_nobody_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HttpLookupClient(f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(FerzlUnavailable, match="соединение отклонено"):
        client.get_person(PERSON["enp"])
    with pytest.raises(FerzlUnavailable):
        client.find_persons({"enp": PERSON["enp"]})


def test_against_the_real_emulator(tmp_path: Path, sqlite_url: str) -> None:
    """The client and the emulator's own WSGI app agree on the JSON of docs/exchange.md."""
    settings, enps = make_region(tmp_path, sqlite_url, persons=2)
    httpd = make_server("127.0.0.1", 0, create_app(store.store_path(settings.data_dir)),
                        threaded=True)  # fmt: skip
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = HttpLookupClient(f"http://127.0.0.1:{httpd.server_port}", timeout=10)
        twin = client.get_person(special_enp(0))
        assert twin is not None
        assert (twin["surname"], twin["birth_date"], twin["doc_type"]) == (
            "ДВОЙНИКОВ", dt.date(1980, 5, 5), 14,
        )  # fmt: skip
        found = client.find_persons(
            {"surname": "двойников", "name": "Иван", "birth_date": dt.date(1980, 5, 5)},
            page_size=1,
        )
        assert (found.total, found.page, found.has_next, len(found.items)) == (2, 1, True, 1)
        by_document = client.find_persons({"doc_type": 14, "doc_number": "990 001"})
        assert [p["enp"] for p in by_document.items] == [special_enp(0)]
        (version,) = client.get_history(enps[0])
        assert version["event_code"] == "П01" and isinstance(version["valid_from"], dt.date)
        unknown = make_enp("50", dt.date(1990, 1, 1), 1, 99_999)
        assert client.get_person(unknown) is None and client.get_history(unknown) == []
        with pytest.raises(FerzlQueryError, match=r"^Неверное контрольное число ЕНП$"):
            client.find_persons({"enp": "5000000000000000"})
        with pytest.raises(FerzlQueryError, match="Неполный набор критериев"):
            client.find_persons({"surname": "Иванов"})
    finally:
        httpd.shutdown()
        thread.join(10)
