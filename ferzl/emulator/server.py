"""The emulator's process: the HTTP look-up (werkzeug, threaded) and the answering loop.

``serve`` seeds the store on first start, starts the answering loop in a thread,
serves HTTP until SIGTERM/SIGINT, then lets the loop finish the batch in hand.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ferzl.emulator import lookup, store
from ferzl.emulator.answering import run_loop
from ferzl.emulator.faults import Faults
from ferzl.emulator.seed import DEFAULT_OTHER_REGIONS, seed_store

SERVICE_NAME = "ФЕРЗЛ (эмулятор центрального сегмента)"
INTERNAL_ERROR = "Внутренняя ошибка эмулятора ФЕРЗЛ"

_URLS = Map(
    [
        Rule("/", endpoint="health"),
        Rule("/health", endpoint="health"),
        Rule("/api/v1/persons", endpoint="search"),
        Rule("/api/v1/persons/<enp>", endpoint="person"),
        Rule("/api/v1/persons/<enp>/history", endpoint="history"),
    ],
    strict_slashes=False,
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def _error(text: str, status: int) -> Response:
    return _json({"error": text}, status)


def create_app(store_file: Path) -> Any:
    """The WSGI application over the store at ``store_file``."""

    def dispatch(request: Request) -> Response:
        try:
            endpoint, values = _URLS.bind_to_environ(request.environ).match()
        except NotFound:
            return _error("Неизвестный адрес", 404)
        if request.method not in ("GET", "HEAD"):
            return _error("Метод не поддерживается: только GET", 405)
        if endpoint == "health":
            return _json({"status": "alive", "service": SERVICE_NAME})
        try:
            conn = lookup.open_store(store_file)
        except (FileNotFoundError, sqlite3.Error):
            return _error("Хранилище ФЕРЗЛ ещё не готово", 503)
        try:
            if endpoint == "search":
                return _json(lookup.search(conn, request.args))
            found = (lookup.person if endpoint == "person" else lookup.history)(conn, values["enp"])
            return _json(found) if found is not None else _error(lookup.NOT_FOUND, 404)
        except lookup.LookupError400 as exc:
            return _error(str(exc), 400)
        finally:
            conn.close()

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            response = dispatch(Request(environ))
        except Exception as exc:  # never an HTML traceback: the caller expects JSON
            traceback.print_exc(file=sys.stderr)
            response = _error(f"{INTERNAL_ERROR}: {exc.__class__.__name__}", 500)
        return response(environ, start_response)

    return application


def serve(
    settings: Any,
    *,
    faults: Faults | None = None,
    poll: float = 0.5,
    other_regions: int = DEFAULT_OTHER_REGIONS,
    answer: bool = True,
) -> None:
    """Seed if needed, answer batches in a thread, serve HTTP; stop on SIGTERM/SIGINT."""
    print(seed_store(settings, other_regions_count=other_regions), flush=True)
    store_file = store.store_path(Path(settings.data_dir))
    server = make_server(settings.host, settings.ferzl_port, create_app(store_file), threaded=True)
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    loop: threading.Thread | None = None
    if answer:
        loop = threading.Thread(
            target=run_loop,
            args=(settings, stop),
            kwargs={"faults": faults, "poll": poll},
            name="ferzl-answering",
        )
        loop.start()
    mode = "ответы на пакеты и поиск" if answer else "только поиск"
    print(
        f"{SERVICE_NAME}: http://{settings.host}:{settings.ferzl_port}/health ({mode}); "
        f"каталог обмена {settings.exchange_outbound.parent}",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        stop.set()
        if loop is not None:
            loop.join()
        print(f"{SERVICE_NAME}: остановлен", flush=True)
