"""A loopback TCP proxy that can cut one connection mid-transfer, for sync fault tests.

``CutProxy(port)`` listens on a free port of 127.0.0.1 and relays every connection to
``port``. Each connection is one HTTP exchange of the sync client (it closes after each),
recorded whole as ``Exchange``: the request as the client sent it and the answer as the
server wrote it, whatever reached the other side. ``cut(exchange, side, after)`` arms one
cut: on that exchange (counted from 0 since the proxy started), after ``after`` bytes of
the ``"request"`` or the ``"response"``, both connections are closed (``reset``: with a
TCP reset, else an ordinary close, which the client reads as a short answer).
``flip(exchange)`` changes the last byte of that exchange's answer instead.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class Exchange:
    request: bytearray = field(default_factory=bytearray)
    response: bytearray = field(default_factory=bytearray)
    forwarded_request: int = 0
    forwarded_response: int = 0
    cut: str = ""

    @staticmethod
    def _body(raw: bytes) -> bytes | None:
        head, sep, body = bytes(raw).partition(b"\r\n\r\n")
        if not sep:
            return None
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None or len(body) < length:
            return None
        return body[:length]

    def payload(self, side: str, key=None) -> dict | None:
        """The sync message of one side (``None`` if incomplete or not a sync message).
        Bodies are sealed to the receiving node: ``key`` is its ``Identity`` (the parent's
        for a request, the child's for a response)."""
        body = self._body(self.request if side == "request" else self.response)
        try:
            if body and key is not None:
                body = key.unseal(body)
            return json.loads(gzip.decompress(body)) if body else None
        except (OSError, ValueError, Exception):
            return None


def _read_request(sock: socket.socket) -> bytes:
    """One whole HTTP request (headers and the body its Content-Length announces)."""
    data = bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
        data += chunk
    return bytes(data)


class CutProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.exchanges: list[Exchange] = []
        self._cut: tuple[int, str, int, bool] | None = None
        self._flip: int | None = None
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def flip(self, exchange: int) -> None:
        """On that exchange, flip the last byte of the answer (its body) on its way."""
        with self._lock:
            self._flip = exchange

    def cut(self, exchange: int, side: str, after: int, *, reset: bool = True) -> None:
        assert side in ("request", "response")
        with self._lock:
            self._cut = (exchange, side, after, reset)

    def close(self) -> None:
        self._closed = True
        self.server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self._lock:
                index = len(self.exchanges)
                exchange = Exchange()
                self.exchanges.append(exchange)
                cut = self._cut if self._cut and self._cut[0] == index else None
                flip = self._flip == index
            threading.Thread(target=self._relay, args=(client, exchange, cut, flip),
                             daemon=True).start()

    @staticmethod
    def _abort(sock: socket.socket, reset: bool) -> None:
        if reset:  # a reset rather than an orderly close, as a dropped line gives
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _relay(self, client: socket.socket, exchange: Exchange, cut, flip: bool = False) -> None:
        upstream = socket.create_connection(self.target)
        try:
            request = _read_request(client)
            exchange.request += request
            if cut and cut[1] == "request":
                upstream.sendall(request[:cut[2]])
                exchange.forwarded_request = min(len(request), cut[2])
                exchange.cut = "request"
                self._abort(upstream, cut[3])
                self._abort(client, cut[3])
                return
            upstream.sendall(request)
            exchange.forwarded_request = len(request)
            if flip:  # the whole answer, its last byte changed
                while chunk := upstream.recv(65536):
                    exchange.response += chunk
                changed = bytes(exchange.response[:-1]) + bytes([exchange.response[-1] ^ 1])
                client.sendall(changed)
                exchange.forwarded_response = len(changed)
                client.close()
                return
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                exchange.response += chunk
                if cut and cut[1] == "response":
                    room = cut[2] - exchange.forwarded_response
                    if room <= 0:
                        continue  # read on: the answer is recorded whole
                    chunk = chunk[:room]
                client.sendall(chunk)
                exchange.forwarded_response += len(chunk)
            if cut and cut[1] == "response" and exchange.forwarded_response < len(exchange.response):
                exchange.cut = "response"
                self._abort(client, cut[3])
                return
            client.close()
        except OSError:
            client.close()
        finally:
            upstream.close()
