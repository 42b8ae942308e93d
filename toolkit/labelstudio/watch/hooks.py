"""The project webhook that points Label Studio at the receiver: registered once, whatever the restarts.

Our webhook is recognised by its URL (a loopback host and a path under `/toolkit-watch/`), so a
restart on another port updates it instead of adding a second one, and extra copies are removed.
Label Studio's SSRF protection refuses webhooks to loopback addresses; `loopback_webhook_env` is
the narrowest setting that lets it post to 127.0.0.1 alone (every other reserved range, and the
rest of 127.0.0.0/8, stays banned).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from ...errors import LabelStudioError
from ..api import Api
from .receiver import ACTIONS, SECRET_HEADER

PATH_PREFIX = "/toolkit-watch/"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# Label Studio 1.23's default banned subnets (core/utils/io.py, validate_ip).
DEFAULT_BANNED = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "233.252.0.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "::ffff:0:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:0000::/32",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)


def loopback_webhook_env(allowed: str = "127.0.0.1") -> dict[str, str]:
    """Environment for Label Studio that bans what it bans by default, except the one address `allowed`."""
    keep = ipaddress.ip_network(allowed)
    subnets: list[str] = []
    for text in DEFAULT_BANNED:
        net = ipaddress.ip_network(text)
        if net.version == keep.version and keep.subnet_of(net):  # type: ignore[arg-type]
            subnets += sorted(str(n) for n in net.address_exclude(keep))  # type: ignore[arg-type]
        else:
            subnets.append(text)
    return {
        "LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS": "false",
        "LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS": ",".join(subnets),
    }


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
