"""The look-up client turns a peer that does not speak HTTP into «ФЕРЗЛ недоступен»."""

from __future__ import annotations

import socket
import threading

import pytest

from ferzl.client import FerzlUnavailable, HttpLookupClient


@pytest.mark.parametrize(
    "reply",
    [
        b"garbage that is not HTTP\r\n\r\n",  # BadStatusLine
        b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"enp"',  # body cut short
    ],
)
def test_a_broken_peer_is_reported_as_unavailable(reply: bytes) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_once() -> None:
        conn, _ = server.accept()
        conn.recv(4096)
        conn.sendall(reply)
        conn.close()

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    client = HttpLookupClient(f"http://127.0.0.1:{server.getsockname()[1]}", timeout=5)
    with pytest.raises(FerzlUnavailable, match="ФЕРЗЛ недоступен"):
        client.get_person("5052410834500016")
    thread.join(5)
    server.close()
