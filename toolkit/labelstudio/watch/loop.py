"""`toolkit watch`: validate each submitted or updated annotation and show the problems on its task.

Two ways to learn that an annotation changed. Webhook mode: Label Studio posts
ANNOTATION_CREATED/ANNOTATION_UPDATED to the receiver on 127.0.0.1, which wakes the watcher at
once; a catch-up check every `catch_up` seconds picks up anything missed, and if it finds an
annotation saved after the webhook was registered that no webhook announced, webhooks are not
arriving and the watcher switches to polling. Polling mode (Label Studio elsewhere, webhooks
refused, or asked for): one filtered listing per `interval` of the tasks updated since the last
check. Either way the changed tasks are read back in one export request and validated with
`toolkit validate`'s checks, and the task's problems field is written only when it changes (the
watcher's own writes are recognised by their `updated_at` and not checked again).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...errors import LabelStudioError
from ...io.reader import iter_records
from ...labelschema import LabelSchema
from ...validation import Checker
from ..api import Api, parse_time, updated_after
from ..settings import Connection
from .hooks import LOOPBACK_NAMES, hook_path, register, unregister
from .problems import check_task
from .receiver import Receiver

MARGIN = timedelta(seconds=2)  # server clock steps and the 1-second Date header
EXPORT_IDS = 200  # task ids per export request (they travel in the URL)
LISTED = "id,updated_at"
TICK = 0.25  # seconds between looks at the stop flag while idle


@dataclass
class WatchSettings:
    title: str
    workdir: Path  # exports are written under workdir/watch/
    poll_only: bool = False
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    interval: float = 2.0  # seconds between polls in polling mode
    catch_up: float = 30.0  # seconds between catch-up polls in webhook mode


@dataclass
class Watcher:
    """Runs until `stop` is set; every line for people goes to `say` (the CLI prints it)."""

    conn: Connection
    labels: LabelSchema
    settings: WatchSettings
    say: Callable[[str], None]
    on_retry: Callable[[str], None] | None = None
    mode: str = field(default="", init=False)  # "webhook" or "polling" once running
    handled: int = field(default=0, init=False)
    _pending: set[int] = field(default_factory=set, init=False)
    _announced: set[int] = field(default_factory=set, init=False)  # tasks a webhook named
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False)
    _seen: dict[int, Any] = field(default_factory=dict, init=False)  # task id -> updated_at last handled
    _hooked_at: datetime | None = field(default=None, init=False)

    def run(self, stop: threading.Event) -> None:
        with Api(self.conn, self.on_retry) as api:
            api.version()
            project = self._project(api, stop)
            if project is None:
                return
            checker = Checker(self.labels)
            receiver, hook = self._webhook(api, project)
            try:
                self._loop(api, checker, project, stop)
            finally:
                if receiver is not None:
                    receiver.close()
                if hook is not None:
                    try:
                        unregister(api, hook)
                    except LabelStudioError as exc:
                        self.say(f"could not remove webhook {hook} ({exc}); the next `toolkit watch` reuses it")

    def notify(self, task_id: int) -> None:
        """A webhook named `task_id` (called on a receiver thread)."""
        with self._lock:
            self._pending.add(task_id)
            self._announced.add(task_id)
        self._wake.set()

    # -- setting up -------------------------------------------------------------------------------

    def _project(self, api: Api, stop: threading.Event) -> int | None:
        told = False
        while not stop.is_set():
            found = api.find_project(self.settings.title)
            if found is not None:
                self.say(f"watching project {self.settings.title!r} (id {found['id']}) at {api.url}")
                return int(found["id"])
            if not told:
                self.say(f"waiting for project {self.settings.title!r} at {api.url} (create it with `toolkit push`)")
                told = True
            stop.wait(self.settings.interval)
        return None

    def _webhook(self, api: Api, project: int) -> tuple[Receiver | None, int | None]:
        """Webhook mode when Label Studio can post to us and accepts the webhook; else polling, saying why."""
        s = self.settings
        if s.poll_only:
            self._polling("asked for with --poll")
            return None, None
        if urlsplit(self.conn.url).hostname not in LOOPBACK_NAMES:
            self._polling(f"Label Studio at {api.url} is not on this machine: it cannot reach 127.0.0.1")
            return None, None
        try:
            receiver = Receiver(s.host, s.port, hook_path(project), secrets.token_urlsafe(24), project, self.notify)
        except OSError as exc:
            self._polling(f"cannot listen on {s.host}:{s.port} ({exc.strerror or exc})")
            return None, None
        try:
            hook = register(api, project, receiver.url, receiver.secret)
        except LabelStudioError as exc:
            receiver.close()
            why = (
                "its SSRF protection refuses loopback addresses; `make label-studio` starts it allowing 127.0.0.1 only"
                if "HTTP 403" in str(exc)
                else str(exc)
            )
            self._polling(f"Label Studio did not accept a webhook to {receiver.url}: {why}")
            return None, None
        receiver.start()
        self._hooked_at = api.server_time
        self.mode = "webhook"
        self.say(
            f"mode: webhook (Label Studio posts annotation events to {receiver.url}, webhook {hook}); "
            f"catching up every {s.catch_up:g} s"
        )
        return receiver, hook

    def _polling(self, why: str) -> None:
        self.mode = "polling"
        self.say(f"mode: polling every {self.settings.interval:g} s for tasks updated since the last check ({why})")

    # -- running ----------------------------------------------------------------------------------

    def _loop(self, api: Api, checker: Checker, project: int, stop: threading.Event) -> None:
        since = (api.server_time or datetime.now().astimezone()) - MARGIN
        next_poll = time.monotonic() + self._every()
        while not stop.is_set():
            self._wake.wait(min(TICK, max(0.0, next_poll - time.monotonic())))
            self._wake.clear()
            with self._lock:
                todo, self._pending = sorted(self._pending), set()
            try:
                if todo:
                    self._handle(api, checker, project, todo, "webhook")
                if time.monotonic() >= next_poll and not stop.is_set():
                    since = self._poll(api, checker, project, since)
                    next_poll = time.monotonic() + self._every()
            except LabelStudioError as exc:  # a long-running watcher outlives a Label Studio restart
                self.say(f"error: {exc}; checking again in {self.settings.interval:g} s")
                next_poll = time.monotonic() + self.settings.interval  # `since` was kept: nothing is lost

    def _every(self) -> float:
        return self.settings.catch_up if self.mode == "webhook" else self.settings.interval

    def _poll(self, api: Api, checker: Checker, project: int, since: datetime) -> datetime:
        """One filtered listing of the tasks updated since `since`; returns the next `since`."""
        listed = api.list_tasks(project, LISTED, [updated_after(since)])
        fresh = [
            t["id"] for t in listed if isinstance(t.get("id"), int) and self._seen.get(t["id"]) != t.get("updated_at")
        ]
        after = (api.server_time - MARGIN) if api.server_time else since
        if fresh:
            missed = self._handle(api, checker, project, fresh, "poll" if self.mode == "polling" else "catch-up")
            if self.mode == "webhook" and missed:
                self._polling(f"no webhook arrived for task(s) {missed[:5]} saved after it was registered")
        return max(since, after)

    def _handle(self, api: Api, checker: Checker, project: int, ids: list[int], via: str) -> list[int]:
        """Export `ids`, validate each task, write its problems field when it changed.

        Returns the tasks a catch-up found with an annotation saved after the webhook was registered
        that no webhook announced (then webhooks are not reaching the receiver).
        """
        missed = []
        folder = self.settings.workdir / "watch"
        for start in range(0, len(ids), EXPORT_IDS):
            path = api.export(project, folder / f"export-{project}.json", ids[start : start + EXPORT_IDS])
            for _, task in iter_records(path):
                if not isinstance(task, dict) or not isinstance(task.get("id"), int):
                    continue
                if not isinstance(task.get("data"), dict):
                    continue
                self._show(api, checker, task, via)
                if via == "catch-up" and self._unannounced(task):
                    missed.append(task["id"])
        return missed

    def _show(self, api: Api, checker: Checker, task: dict[str, Any], via: str) -> None:
        checked = check_task(checker, task)
        tid, updated = task["id"], task.get("updated_at")
        data = checked.data(task["data"])
        if data is not None:
            answer = api.json("PATCH", f"/api/tasks/{tid}", f"show the problems of task {tid}", json={"data": data})
            updated = answer.get("updated_at") if isinstance(answer, dict) else None
        self._seen[tid] = updated
        self.handled += 1
        noun = "problem" if checked.problems == 1 else "problems"
        change = "" if data is None else (" (shown on the task)" if checked.text else " (cleared on the task)")
        self.say(f"task {tid} (doc {checked.doc_id}): {checked.problems} {noun}{change} [{via}]")

    def _unannounced(self, task: dict[str, Any]) -> bool:
        if self._hooked_at is None or task["id"] in self._announced:
            return False
        anns = task.get("annotations")
        anns = anns if isinstance(anns, list) else []
        saved = [parse_time(a.get("updated_at")) for a in anns if isinstance(a, dict)]
        return any(t is not None and t > self._hooked_at + MARGIN for t in saved)
