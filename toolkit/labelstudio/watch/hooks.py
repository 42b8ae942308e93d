"""The project webhook that points Label Studio at the receiver: registered once, whatever the restarts.

Our webhook is recognised by its URL (a loopback host and a path under `/toolkit-watch/`), so a
restart on another port updates it instead of adding a second one, and extra copies are removed.
Label Studio's SSRF protection refuses webhooks to loopback addresses; the server started by the
toolkit runs with `settings.loopback_webhook_env`, which lets it post to 127.0.0.1 alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ...errors import LabelStudioError
from ..api import Api
from ..settings import DEFAULT_BANNED as DEFAULT_BANNED
from ..settings import loopback_webhook_env as loopback_webhook_env
from .receiver import ACTIONS, SECRET_HEADER

PATH_PREFIX = "/toolkit-watch/"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def hook_path(project: int) -> str:
    return f"{PATH_PREFIX}{project}"


def is_ours(hook: Any, project: int) -> bool:
    if not isinstance(hook, dict) or hook.get("project") != project or not isinstance(hook.get("url"), str):
        return False
    if not isinstance(hook.get("id"), int) or isinstance(hook.get("id"), bool):
        return False
    try:
        parts = urlsplit(hook["url"])
        host = parts.hostname
    except ValueError:
        return False
    return (host in LOOPBACK_NAMES or (host or "").startswith("127.")) and parts.path.startswith(PATH_PREFIX)


def register(api: Api, project: int, url: str, secret: str) -> int:
    """Point the project's one toolkit webhook at `url`; returns its id. Raises LabelStudioError when refused."""
    listed = api.json("GET", "/api/webhooks/", "list the project's webhooks", params={"project": project})
    items = listed.get("results") if isinstance(listed, dict) else listed
    ours = sorted((h for h in items or [] if is_ours(h, project)), key=lambda h: int(h["id"]))
    body = {
        "url": url,
        "send_payload": True,
        "send_for_all_actions": False,
        "actions": list(ACTIONS),
        "headers": {SECRET_HEADER: secret},
        "is_active": True,
    }
    what = f"point the project's webhook at {url}"
    if not ours:
        made = api.json("POST", "/api/webhooks/", what, json={"project": project, **body}, retry=False)
        if not isinstance(made, dict) or not isinstance(made.get("id"), int):
            raise LabelStudioError(f"Label Studio at {api.url} did not return the new webhook's id")
        return made["id"]
    keep, extra = ours[0], ours[1:]
    api.request("PATCH", f"/api/webhooks/{keep['id']}/", what, json=body)
    for hook in extra:
        api.request("DELETE", f"/api/webhooks/{hook['id']}/", "remove a duplicate toolkit webhook")
    return int(keep["id"])


def unregister(api: Api, hook_id: int) -> None:
    """Remove the webhook when the watcher stops, so Label Studio does not post to a closed port."""
    api.request("DELETE", f"/api/webhooks/{hook_id}/", "remove the toolkit webhook", retry=False)
