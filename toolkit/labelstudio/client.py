"""The connection to a Label Studio server: one client, one error mapping, the project and export calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from ..errors import LabelStudioError
from ..io.writer import atomic_writer
from ..labelschema import LabelSchema, guidelines_html, label_config
from .settings import Connection

DEFAULT_TITLE = "News relations"


def client(conn: Connection) -> LabelStudio:
    return LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=120)


def call(what: str, conn_url: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        body = str(exc.body)[:500]
        hint = " (check LABEL_STUDIO_API_KEY)" if exc.status_code in (401, 403) else ""
        raise LabelStudioError(
            f"Label Studio at {conn_url} refused to {what}: HTTP {exc.status_code}{hint}: {body}"
        ) from exc
    except (httpx.HTTPError, OSError) as exc:
        raise LabelStudioError(
            f"cannot reach Label Studio at {conn_url} to {what}: {exc}; is it running (`make label-studio`)?"
        ) from exc


def find_project(ls: LabelStudio, url: str, title: str) -> Any | None:
    for proj in call("list projects", url, lambda: list(ls.projects.list(title=title))):
        if proj.title == title:
            return proj
    return None


def ensure_project(ls: LabelStudio, url: str, labels: LabelSchema, title: str) -> tuple[Any, bool]:
    """Create the project, or bring an existing one's config and instructions up to date."""
    config, instructions = label_config(labels), guidelines_html(labels)
    description = f"{labels.title}. Label schema {labels.name} {labels.version}."
    project = find_project(ls, url, title)
    if project is None:
        project = call(
            "create the project",
            url,
            ls.projects.create,
            title=title,
            label_config=config,
            expert_instruction=instructions,
            show_instruction=True,
            description=description,
            enable_empty_annotation=False,
        )
        return project, True
    call(
        "update the project",
        url,
        ls.projects.update,
        project.id,
        label_config=config,
        expert_instruction=instructions,
        show_instruction=True,
        description=description,
    )
    return project, False


def download_export(ls: LabelStudio, url: str, project_id: int, dest: Path) -> Path:
    """Stream the project's full JSON export to `dest` (one request, never held in memory)."""

    def run() -> None:
        with atomic_writer(dest) as fh:
            for chunk in ls.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True):
                fh.write(chunk)

    call("export the project", url, run)
    return dest


def user_emails(ls: LabelStudio, url: str) -> dict[int, str]:
    return {u.id: u.email for u in call("list users", url, ls.users.list) if u.email}
