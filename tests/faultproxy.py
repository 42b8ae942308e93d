"""A TCP proxy in front of the real Label Studio that injects network faults, one plan step per connection.

Steps: `pass`; `reset` (the connection is accepted, then reset); `503` (answers the first request
itself with HTTP 503); `delay:S` (waits S seconds before passing); `cut:N` (passes, but closes the
connection after N bytes of responses); `lose-import` (passes, but drops the answer to an import
request after the server has processed it). Connections beyond the plan pass. The client is the
toolkit's own, unmodified: faults happen where they happen in real networks.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class FaultProxy:
    target: tuple[str, int]
    plan: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stopped = False
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stopped = True
        self.server.close()

    def _next(self) -> str:
        with self.lock:
            return self.plan.pop(0) if self.plan else "pass"

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            step = self._next()
            self.log.append(step)
            threading.Thread(target=self._handle, args=(client, step), daemon=True).start()

    def _handle(self, client: socket.socket, step: str) -> None:
        with contextlib.closing(client):
            if step == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if step == "503":
                _read_request(client)
                client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            if step.startswith("delay:"):
                time.sleep(float(step.split(":")[1]))
            limit = int(step.split(":")[1]) if step.startswith("cut:") else None
            with contextlib.closing(socket.create_connection(self.target)) as upstream:
                self._pump(client, upstream, limit, lose_import=step == "lose-import")

    def _pump(self, client: socket.socket, upstream: socket.socket, limit: int | None, lose_import: bool) -> None:
        state = {"import": False, "sent": 0}
        done = threading.Event()

        def up() -> None:
            with contextlib.suppress(OSError):
                while not done.is_set():
                    data = client.recv(65536)
                    if not data:
                        break
                    if lose_import and b"/import?" in data and data.startswith(b"POST"):
                        state["import"] = True
                    upstream.sendall(data)
            done.set()

        threading.Thread(target=up, daemon=True).start()
        with contextlib.suppress(OSError):
            while not done.is_set():
                data = upstream.recv(65536)
                if not data:
                    break
                if state["import"]:  # the server did the work; its answer never arrives
                    break
                if limit is not None and state["sent"] + len(data) > limit:
                    client.sendall(data[: max(0, limit - state["sent"])])
                    break
                client.sendall(data)
                state["sent"] += len(data)
        done.set()
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_RDWR)


def _read_request(sock: socket.socket) -> bytes:
    data = b""
    sock.settimeout(5)
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


@contextlib.contextmanager
def proxy(url: str, plan: list[str]) -> Iterator[FaultProxy]:
    host, port = url.removeprefix("http://").split(":")
    p = FaultProxy((host, int(port.rstrip("/"))), list(plan))
    try:
        yield p
    finally:
        p.close()


@contextlib.contextmanager
def odd_server(routes: dict[str, tuple[int, str, bytes]], default: tuple[int, str, bytes]) -> Iterator[str]:
    """A server that is not (quite) Label Studio: fixed answers per path, `default` for the rest."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, ctype, body = routes.get(self.path.split("?")[0], default)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PATCH = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
