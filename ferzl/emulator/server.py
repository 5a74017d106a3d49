"""HTTP side of the FERZL emulator.

For now it answers only "alive"; the exchange issue fills in the look-up
service and the batch answering loop.
"""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SERVICE_NAME = "ФЕРЗЛ (эмулятор центрального сегмента)"


def application(environ: dict[str, Any], start_response: Any) -> Any:
    request = Request(environ)
    if request.path in ("/", "/health"):
        body = {"status": "alive", "service": SERVICE_NAME}
        response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
    else:
        response = Response(
            json.dumps({"error": "Неизвестный адрес"}, ensure_ascii=False),
            status=404,
            mimetype="application/json",
        )
    return response(environ, start_response)


def serve(host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT."""
    server = make_server(host, port, application, threaded=True)
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"{SERVICE_NAME}: http://{host}:{port}/health", flush=True)
    server.serve_forever()
