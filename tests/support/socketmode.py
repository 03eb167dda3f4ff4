"""A stand-in for Slack's Socket Mode: a WebSocket server on 127.0.0.1 that speaks Slack's
envelope protocol, so that `serve` in Socket Mode can be run and tested without Slack.

Point a `SlackStandIn` at it (``standin.socket_mode_url = socket.url``): the app's
``apps.connections.open`` then answers with this server's address, the app connects, and the
server greets it with ``hello``. `send(type, payload)` delivers an envelope as Slack would
(``slash_commands``, ``interactive``, ``events_api``); `ack(envelope_id)` waits for the
app's acknowledgement and returns its ``payload`` (what an HTTP app would have answered).

Only what Socket Mode needs of WebSocket (RFC 6455) is here: the opening handshake, text,
ping, pong and close frames, unfragmented, masked from the client and not from the server.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from types import TracebackType
from typing import Any, Self

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA
#: Largest frame accepted from the app.
_MAX_FRAME = 16 * 1024 * 1024


class SocketModeStandIn:
    """Slack's side of a Socket Mode connection, on a loopback port."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, app_id: str = "A0STANDIN"):
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.2)
        self.host, self.port = self._listener.getsockname()[:2]
        self.app_id = app_id
        self._lock = threading.Condition()
        self._client: socket.socket | None = None
        self._acks: dict[str, dict[str, Any]] = {}
        self._connections = 0
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/link/?ticket=standin"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        thread = threading.Thread(target=self._accept, name="socket-mode-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.sendall(_frame(_CLOSE, struct.pack("!H", 1001)))
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests use ---------------------------------------------------------------------

    def wait_connected(self, timeout: float = 10.0, *, count: int = 1) -> None:
        """Wait until the app has connected (`count` times in all)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._connections >= count, timeout):
                raise TimeoutError(f"the app did not connect within {timeout} s")

    def send(self, envelope_type: str, payload: dict[str, Any]) -> str:
        """Deliver an envelope to the connected app; returns its `envelope_id`."""
        envelope_id = f"env-{next(self._ids):06d}"
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        with self._lock:
            client = self._client
        if client is None:
            raise ConnectionError("no app is connected")
        client.sendall(_frame(_TEXT, json.dumps(envelope).encode()))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the app to acknowledge `envelope_id`; its response payload ({} if none)."""
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no acknowledgement of {envelope_id} within {timeout} s")
            return self._acks[envelope_id]

    # -- the server -------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(conn,), name="socket-mode-conn", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(None)
            if not _handshake(conn):
                return
            with self._lock:
                previous, self._client = self._client, conn
                self._connections += 1
                self._lock.notify_all()
            if previous is not None:
                with contextlib.suppress(OSError):
                    previous.close()
            hello = {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "standin", "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
            conn.sendall(_frame(_TEXT, json.dumps(hello).encode()))
            self._read(conn)
        except OSError:
            pass
        finally:
            with self._lock:
                if self._client is conn:
                    self._client = None
            conn.close()

    def _read(self, conn: socket.socket) -> None:
        while not self._stopping.is_set():
            frame = _read_frame(conn)
            if frame is None:
                return
            opcode, data = frame
            if opcode == _PING:
                conn.sendall(_frame(_PONG, data))
            elif opcode == _CLOSE:
                with contextlib.suppress(OSError):
                    conn.sendall(_frame(_CLOSE, data[:2]))
                return
            elif opcode == _TEXT:
                self._received(data)

    def _received(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
            payload = message.get("payload")
            with self._lock:
                self._acks[message["envelope_id"]] = payload if isinstance(payload, dict) else {}
                self._lock.notify_all()


def _handshake(conn: socket.socket) -> bool:
    """Read the client's opening handshake and accept it."""
    request = b""
    deadline = time.monotonic() + 5
    while b"\r\n\r\n" not in request:
        if time.monotonic() > deadline or len(request) > 16384:
            return False
        chunk = conn.recv(4096)
        if not chunk:
            return False
        request += chunk
    headers = {}
    for line in request.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    key = headers.get("sec-websocket-key")
    if not key:
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        return False
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()  # noqa: S324 (the protocol's)
    conn.sendall(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
    )
    return True


def _frame(opcode: int, data: bytes) -> bytes:
    """One unmasked, final frame (server to client)."""
    size = len(data)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + data


def _exactly(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes] | None:
    """One frame from the client (masked); None when the connection is gone."""
    head = _exactly(conn, 2)
    if head is None:
        return None
    opcode, size = head[0] & 0x0F, head[1] & 0x7F
    if size == 126:
        extended = _exactly(conn, 2)
        size = struct.unpack("!H", extended)[0] if extended else 0
    elif size == 127:
        extended = _exactly(conn, 8)
        size = struct.unpack("!Q", extended)[0] if extended else 0
    if size > _MAX_FRAME:
        return None
    mask = _exactly(conn, 4) if head[1] & 0x80 else b"\0\0\0\0"
    data = _exactly(conn, size) if size else b""
    if mask is None or data is None:
        return None
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))
