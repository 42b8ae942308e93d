"""The webhook receiver: a small HTTP server on 127.0.0.1 that only learns *which* task changed.

Label Studio waits for the answer (its webhook timeout is one second), so the receiver answers at
once and leaves the work to the watcher. Payloads are hostile input: the body's size is capped,
a request without the shared secret is refused, and anything that is not a JSON object naming an
annotation event with an integer task id gets a 400. Nothing in the payload is trusted beyond the
task id: the watcher reads the task back from Label Studio before it validates it.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeGuard

import orjson

ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
SECRET_HEADER = "X-Toolkit-Watch"
MAX_BODY = 64 << 20  # the payload carries the task's text; bigger bodies are refused, not read
READ_TIMEOUT = 10.0  # seconds a client may take to send its request


def task_of(payload: Any, project: int) -> int | None:
    """The task id an annotation event names, when it is one of `project`'s; None when it is not."""
    if not isinstance(payload, dict) or payload.get("action") not in ACTIONS:
        return None
    ann, task = payload.get("annotation"), payload.get("task")
    tid = task.get("id") if isinstance(task, dict) else None
    if tid is None and isinstance(ann, dict):
        tid = ann.get("task")
    pid = ann.get("project") if isinstance(ann, dict) else None
    if pid is None and isinstance(payload.get("project"), dict):
        pid = payload["project"].get("id")
    if not _is_int(tid) or (pid is not None and pid != project):
        return None
    return tid


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer is its own business; never a traceback on stderr."""


class Receiver:
    """`on_task(task_id)` is called (on a server thread, quickly) for every accepted event."""

    def __init__(self, host: str, port: int, path: str, secret: str, project: int, on_task: Callable[[int], None]):
        self.path, self.secret, self.project, self.on_task = path, secret, project, on_task
        self.server = _Server((host, port), _handler(self))
        self._thread = threading.Thread(target=self.server.serve_forever, name="toolkit-watch-receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}{self.path}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, which must be running
            self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, secret: str | None, length: str | None, read: Callable[[int], bytes]) -> int:
        """The HTTP status for one POST (the body is read only once the request looks right)."""
        if path != self.path:
            return 404
        if secret is None or not hmac.compare_digest(secret.encode(), self.secret.encode()):
            return 403
        try:
            size = int(length or "")
        except ValueError:
            return 411
        if size < 0 or size > MAX_BODY:
            return 413
        try:
            payload = orjson.loads(read(size))
        except (orjson.JSONDecodeError, OSError):
            return 400
        tid = task_of(payload, self.project)
        if tid is None:
            return 400
        self.on_task(tid)
        return 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = READ_TIMEOUT
        server_version = "toolkit-watch"
        sys_version = ""

        def do_POST(self) -> None:
            status = receiver.handle(
                self.path, self.headers.get(SECRET_HEADER), self.headers.get("Content-Length"), self.rfile.read
            )
            self._answer(status)

        def do_GET(self) -> None:
            self._answer(405)

        def _answer(self, status: int) -> None:
            body = orjson.dumps({"ok": status == 200})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # library code never prints
            return

    return Handler
