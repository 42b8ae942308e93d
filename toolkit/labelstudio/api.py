"""The toolkit's one way to talk to Label Studio: a small HTTP client with retries and plain errors.

Why not the SDK's calls directly: a real team's server is behind proxies that reset connections
and answer 502, and sometimes the URL points at something that is not Label Studio at all. Here
every request:
- is retried with bounded exponential backoff on connection errors, timeouts and HTTP 429/502/503/
  504 when it is safe to repeat (reads, and writes the caller marks idempotent), saying so through
  `on_retry`;
- turns 401/403/404 and "this is not a Label Studio server" into one line without a response body;
- never shows credentials that are part of the URL;
- pages with guards: a page that is not Label Studio's shape, or one that repeats, stops the loop.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from ..errors import LabelStudioError
from ..io.writer import atomic_writer
from .settings import Connection, redact

TRANSIENT_STATUS = frozenset({429, 502, 503, 504})
MAX_PAGES = 100_000
PAGE_SIZE = 1000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # what the Data Manager's datetime filters accept


class Transient(Exception):
    """A failure worth retrying (connection trouble, 429/5xx gateway answers)."""

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int


@dataclass
class Api:
    """One Label Studio server. `on_retry` receives a one-line note before each retry."""

    conn: Connection
    on_retry: Callable[[str], None] | None = None
    timeout: float = 300.0
    attempts: int = 8
    server_time: datetime | None = field(default=None, init=False)  # from the last response's Date header
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.url = redact(self.conn.url)
        self._http = httpx.Client(
            base_url=self.conn.url,
            headers={"Authorization": f"Token {self.conn.api_key}"},
            timeout=httpx.Timeout(self.timeout, connect=15.0),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------------

    def request(self, method: str, path: str, what: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        """One request; transient failures retried when `retry`, everything else a LabelStudioError.

        A write that must not be repeated blindly passes `retry=False`: a transient failure then
        becomes a LabelStudioError too (callers that can check what landed use `once`).
        """
        if not retry:
            try:
                return self.once(method, path, what, **kwargs)
            except Transient as exc:
                raise LabelStudioError(f"{exc}; not repeated automatically: run the command again") from exc
        for attempt in self._retrying(what):
            with attempt:
                return self.once(method, path, what, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, method: str, path: str, what: str, *, retry: bool = True, **kwargs: Any) -> Any:
        resp = self.request(method, path, what, retry=retry, **kwargs)
        return self._decode(resp, what)

    def once_json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """One attempt; raises `Transient` for the caller to decide (e.g. by checking what landed)."""
        return self._decode(self.once(method, path, what, **kwargs), what)

    def _retrying(self, what: str) -> Retrying:
        def note(state: RetryCallState) -> None:
            if self.on_retry is not None and state.outcome is not None:
                exc = state.outcome.exception()
                wait = state.next_action.sleep if state.next_action else 0
                self.on_retry(f"{exc}; retrying to {what} in {wait:.1f} s (attempt {state.attempt_number + 1})")

        return Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, Transient)),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.conn.retry_seconds),
            wait=wait_exponential_jitter(multiplier=0.5, max=10, jitter=0.5),
            before_sleep=note,
            retry_error_callback=self._give_up,
        )

    def _give_up(self, state: RetryCallState) -> Any:
        exc = state.outcome.exception() if state.outcome else None
        raise LabelStudioError(f"{exc}; gave up after {state.attempt_number} attempts") from exc

    def once(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            reason = self._hide(_reason(exc))
            raise Transient(f"cannot reach Label Studio at {self.url} to {what} ({reason})", exc) from exc
        except (httpx.HTTPError, ValueError) as exc:  # an invalid URL, a redirect loop
            reason = self._hide(_reason(exc))
            raise LabelStudioError(f"cannot talk to Label Studio at {self.url} to {what}: {reason}") from exc
        self._check_status(resp, what)
        return resp

    def _hide(self, text: str) -> str:
        """A message with the URL's credentials (if any) taken out."""
        return text.replace(self.conn.url, self.url) if self.url != self.conn.url else text

    def _check_status(self, resp: httpx.Response, what: str) -> None:
        self.server_time = _date_header(resp) or self.server_time
        status = resp.status_code
        if status < 300:
            return
        where = f"Label Studio at {self.url}"
        if status in TRANSIENT_STATUS:
            raise Transient(f"{where} answered HTTP {status} to {what}")
        if status in (401, 403):
            raise LabelStudioError(
                f"{where} refused to {what}: HTTP {status} (check LABEL_STUDIO_API_KEY: it must be an API token "
                "of a user of this server, with the legacy token setting enabled)"
            )
        if not _is_json(resp):
            raise LabelStudioError(
                f"the server at {self.url} answered HTTP {status} with a {_kind(resp)} page to {what}: "
                "it does not look like Label Studio; check LABEL_STUDIO_URL"
            )
        detail = _detail(resp)
        if status == 404:
            raise LabelStudioError(f"{where} could not {what}: not found (HTTP 404){detail}")
        raise LabelStudioError(f"{where} refused to {what}: HTTP {status}{detail}")

    def _decode(self, resp: httpx.Response, what: str) -> Any:
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            raise LabelStudioError(
                f"the server at {self.url} answered {what} with a {_kind(resp)} body, not JSON: it does not look "
                "like Label Studio; check LABEL_STUDIO_URL"
            ) from exc

    # -- server and projects -----------------------------------------------------------------------

    def version(self) -> str:
        """Label Studio's release; refuses a server that is not Label Studio."""
        data = self.json("GET", "/api/version", "report its version")
        release = data.get("release") if isinstance(data, dict) else None
        if not isinstance(release, str):
            raise LabelStudioError(
                f"the server at {self.url} answered /api/version without a Label Studio release: it does not look "
                "like Label Studio; check LABEL_STUDIO_URL"
            )
        return release

    def find_project(self, title: str) -> dict[str, Any] | None:
        for page in self._pages("/api/projects", "list projects", {"title": title}, "results"):
            for proj in page.items:
                if proj.get("title") == title and isinstance(proj.get("id"), int):
                    return proj
        return None

    def _pages(self, path: str, what: str, params: dict[str, Any], key: str) -> Iterator[Page]:
        """Pages of a listing until one comes back short, with guards against a server that never ends."""
        seen = 0
        for number in range(1, MAX_PAGES + 1):
            data = self.json("GET", path, what, params={**params, "page": number, "page_size": PAGE_SIZE})
            items = data.get(key) if isinstance(data, dict) else None
            if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
                raise LabelStudioError(
                    f"the server at {self.url} answered {what} without a list of {key!r}: it does not look like "
                    "Label Studio; check LABEL_STUDIO_URL"
                )
            total = data.get("count", data.get("total"))
            total = total if isinstance(total, int) else seen + len(items)
            seen += len(items)
            yield Page(items, total)
            if len(items) < PAGE_SIZE or seen >= total:
                return
        raise LabelStudioError(f"the server at {self.url} kept sending pages to {what}; stopped after {MAX_PAGES}")

    # -- tasks -----------------------------------------------------------------------------------

    def count_tasks(self, project: int, filters: list[dict[str, Any]] | None = None) -> int:
        """How many tasks (matching `filters`, all joined with AND) the project has: one cheap request."""
        data = self.json("GET", "/api/tasks", "count tasks", params=_task_query(project, filters, "id", 1, 1))
        total = data.get("total") if isinstance(data, dict) else None
        if not isinstance(total, int):
            raise LabelStudioError(f"the server at {self.url} answered the task count without a total")
        return total

    def list_tasks(
        self, project: int, include: str, filters: list[dict[str, Any]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Tasks with only the `include`d fields; Label Studio's listing costs about 1 ms per task."""
        seen: set[Any] = set()
        for number in range(1, MAX_PAGES + 1):
            params = _task_query(project, filters, include, number, PAGE_SIZE)
            try:
                data = self.json("GET", "/api/tasks", "list tasks", params=params)
            except LabelStudioError as exc:
                if "Invalid page" in str(exc):  # asked one page past the end
                    return
                raise
            tasks = data.get("tasks") if isinstance(data, dict) else None
            if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
                raise LabelStudioError(f"the server at {self.url} answered the task listing without a list of tasks")
            fresh = [t for t in tasks if t.get("id") not in seen]
            if tasks and not fresh:
                raise LabelStudioError(f"the server at {self.url} sent the same page of tasks twice; stopped")
            seen.update(t.get("id") for t in fresh)
            yield from fresh
            total = data.get("total")
            if len(tasks) < PAGE_SIZE or (isinstance(total, int) and len(seen) >= total):
                return
        raise LabelStudioError(f"the server at {self.url} kept sending pages of tasks; stopped after {MAX_PAGES}")

    def export(self, project: int, dest: Path, ids: list[int] | None = None) -> Path:
        """The project's JSON export (all tasks, or only `ids`) streamed to `dest`; never held in memory."""
        params: list[tuple[str, Any]] = [("exportType", "JSON"), ("download_all_tasks", "true")]
        params += [("ids[]", i) for i in ids or []]
        what = "export the project" if ids is None else f"export {len(ids)} task(s)"
        for attempt in self._retrying(what):
            with attempt, atomic_writer(dest) as fh:
                try:
                    with self._http.stream("GET", f"/api/projects/{project}/export", params=params) as resp:
                        self._check_status(resp, what)
                        if not _is_json(resp):
                            raise LabelStudioError(
                                f"the server at {self.url} answered {what} with a {_kind(resp)} body, not JSON: it "
                                "does not look like Label Studio; check LABEL_STUDIO_URL"
                            )
                        for chunk in resp.iter_bytes(1 << 20):
                            fh.write(chunk)
                except httpx.TransportError as exc:  # a connection dropped mid-response: start again
                    reason = self._hide(_reason(exc))
                    raise Transient(f"the export from {self.url} broke off ({reason})", exc) from exc
        return dest


def _task_query(
    project: int, filters: list[dict[str, Any]] | None, include: str, page: int, size: int
) -> dict[str, Any]:
    params: dict[str, Any] = {"project": project, "page": page, "page_size": size, "include": include}
    if filters:
        query = {"filters": {"conjunction": "and", "items": filters}, "ordering": ["tasks:id"]}
        params["query"] = orjson.dumps(query).decode()
    return params


def updated_after(when: datetime) -> dict[str, Any]:
    """A Data Manager filter: tasks updated (annotation saved, deleted, task edited) after `when`."""
    value = when.astimezone(UTC).strftime(DATETIME_FORMAT)
    return {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": value}


def number_above(column: str, value: int) -> dict[str, Any]:
    return {"filter": f"filter:tasks:{column}", "operator": "greater", "type": "Number", "value": value}


def parse_time(value: Any) -> datetime | None:
    """Label Studio's ISO timestamps (`2026-11-28T22:20:45.586473Z`)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _date_header(resp: httpx.Response) -> datetime | None:
    raw = resp.headers.get("date")
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _is_json(resp: httpx.Response) -> bool:
    return "json" in resp.headers.get("content-type", "")


def _kind(resp: httpx.Response) -> str:
    ctype = resp.headers.get("content-type", "").split(";")[0].strip()
    return {"text/html": "HTML", "text/plain": "plain text"}.get(ctype, ctype or "untyped")


def _detail(resp: httpx.Response) -> str:
    """Label Studio's own short error text (its `detail`/`validation_errors`), cut to one line."""
    try:
        body = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        return ""
    text = body.get("detail") or body.get("validation_errors") if isinstance(body, dict) else None
    if not text:
        return ""
    line = " ".join(str(text).split())
    return f": {line[:300]}"


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
