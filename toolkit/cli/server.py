"""`toolkit label-studio start|stop|login`: the local Label Studio server."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import ToolkitError
from .common import ENV_FILE, LABEL_STUDIO_BIN, LABEL_STUDIO_DATA, PathArg


@click.group("label-studio")
def label_studio() -> None:
    """Run a local Label Studio (own virtualenv, data under .labelstudio/, bound to 127.0.0.1)."""


@label_studio.command("start")
@click.option("--data-dir", type=PathArg, default=LABEL_STUDIO_DATA, show_default=True)
def ls_start(data_dir: Path) -> None:
    """Start the server (writing .env with random credentials on first use) and wait for /health."""
    from ..labelstudio.server import start
    from ..labelstudio.settings import ensure_env_file

    env = ensure_env_file(ENV_FILE)
    binary = Path(os.environ.get("LABEL_STUDIO_BIN") or LABEL_STUDIO_BIN)
    info = start(
        data_dir,
        int(env["LABEL_STUDIO_PORT"]),
        env["LABEL_STUDIO_USERNAME"],
        env["LABEL_STUDIO_PASSWORD"],
        env["LABEL_STUDIO_API_KEY"],
        binary,
    )
    state = "already running" if info.already_running else "started"
    click.echo(f"Label Studio {state} (pid {info.pid}) at {info.url}")
    click.echo(
        f"  log in with e-mail {env['LABEL_STUDIO_USERNAME']} and the password in .env "
        "(LABEL_STUDIO_PASSWORD); `make login` prints it"
    )


@label_studio.command("stop")
@click.option("--data-dir", type=PathArg, default=LABEL_STUDIO_DATA, show_default=True)
def ls_stop(data_dir: Path) -> None:
    """Stop the server started by `label-studio start`."""
    from ..labelstudio.server import stop

    click.echo("Label Studio stopped" if stop(data_dir) else "Label Studio was not running")


@label_studio.command("login")
def ls_login() -> None:
    """Print the URL, e-mail and password of the local server (from .env)."""
    from ..labelstudio.settings import read_env_file

    env = read_env_file(ENV_FILE)
    if not env:
        raise ToolkitError(".env not found; run `make label-studio` first")
    click.echo(f"URL:      {env.get('LABEL_STUDIO_URL')}")
    click.echo(f"e-mail:   {env.get('LABEL_STUDIO_USERNAME')}")
    click.echo(f"password: {env.get('LABEL_STUDIO_PASSWORD')}")


COMMANDS = [label_studio]
