"""Validation problems back in Label Studio while people annotate (`toolkit watch`).

`problems` turns one task into the text shown above it; `receiver` is the webhook endpoint on
127.0.0.1; `hooks` registers the project's webhook once; `loop` is the watcher (webhook mode with
a catch-up check, or polling).
"""

from .hooks import loopback_webhook_env, register, unregister
from .loop import Watcher, WatchSettings
from .problems import Checked, check_task, problems_text
from .receiver import ACTIONS, SECRET_HEADER, Receiver, task_of

__all__ = [
    "ACTIONS",
    "SECRET_HEADER",
    "Checked",
    "Receiver",
    "WatchSettings",
    "Watcher",
    "check_task",
    "loopback_webhook_env",
    "problems_text",
    "register",
    "task_of",
    "unregister",
]
