"""`toolkit watch`: show validation problems on the tasks in Label Studio while people annotate."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from .common import BUILD, PathArg, labels, ls_connection, project_option, project_title


@click.command("watch")
@project_option()
@click.option("--poll", "poll_only", is_flag=True, help="Poll instead of registering a webhook.")
@click.option("--port", type=int, default=0, show_default=True, help="Receiver port on 127.0.0.1 (0: any free one).")
@click.option("--interval", type=click.FloatRange(0.2, 3600), default=2.0, show_default=True,
              help="Seconds between polls in polling mode.")  # fmt: skip
@click.option("--workdir", type=PathArg, default=BUILD, show_default=True, help="Where exports are written.")
@click.pass_context
def watch(ctx: click.Context, title: str | None, poll_only: bool, port: int, interval: float, workdir: Path) -> None:
    """Validate each submitted or updated annotation and show its problems on the task (Ctrl-C stops)."""
    from ..labelstudio.watch import Watcher, WatchSettings

    settings = WatchSettings(project_title(ctx, title), workdir, poll_only=poll_only, port=port, interval=interval)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    watcher = Watcher(ls_connection(), labels(ctx), settings, lambda line: click.echo(line, err=False),
                      on_retry=lambda note: click.echo(f"retry: {note}", err=True))  # fmt: skip
    try:
        watcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
    click.echo(f"stopped after {watcher.handled} task check(s)")


COMMANDS = [watch]
