"""`toolkit label-studio start|stop|login`: the local Label Studio server."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import ToolkitError
from .common import ENV_FILE, LABEL_STUDIO_BIN, LABEL_STUDIO_DATA, PathArg


@click.group("label-studio")
def label_studio() -> None:
    """Run a local Label Studio (own virtualenv, data under .labelstudio/, bound to 127.0.0.1).

    SQLite by default; LABEL_STUDIO_DB=postgresql (environment or .env) runs it on a PostgreSQL
    cluster the toolkit keeps in .labelstudio/postgres, LABEL_STUDIO_DB_URL on an existing server.
    """


@label_studio.command("start")
@click.option("--data-dir", type=PathArg, default=LABEL_STUDIO_DATA, show_default=True)
def ls_start(data_dir: Path) -> None:
    """Start the server (writing .env with random credentials on first use) and wait for /health."""
    from ..labelstudio.server import other_data, start
    from ..labelstudio.settings import database, ensure_env_file

    env = ensure_env_file(ENV_FILE)
    db = database(env)
    binary = Path(os.environ.get("LABEL_STUDIO_BIN") or LABEL_STUDIO_BIN)

    def waiting(seconds: float) -> None:
        click.echo(
            f"  waiting for Label Studio (first start runs migrations, about a minute)... {seconds:.0f} s "
            f"(log: {data_dir / 'server.log'})"
        )

    info = start(
        data_dir,
        int(env["LABEL_STUDIO_PORT"]),
        env["LABEL_STUDIO_USERNAME"],
        env["LABEL_STUDIO_PASSWORD"],
        env["LABEL_STUDIO_API_KEY"],
        binary,
        database=db,
        on_wait=waiting,
    )
    state = "already running" if info.already_running else "started"
    click.echo(f"Label Studio {state} (pid {info.pid}) at {info.url}")
    click.echo(f"  data: {info.database}")
    note = other_data(data_dir, db)
    if note:
        click.echo(f"  note: {note}")
    click.echo(
        f"  log in with e-mail {env['LABEL_STUDIO_USERNAME']} and the password in .env "
        "(LABEL_STUDIO_PASSWORD); `make login` prints it"
    )


@label_studio.command("stop")
@click.option("--data-dir", type=PathArg, default=LABEL_STUDIO_DATA, show_default=True)
def ls_stop(data_dir: Path) -> None:
    """Stop the server started by `label-studio start`, then the PostgreSQL cluster it started."""
    from ..labelstudio.server import stop_all

    server, cluster = stop_all(data_dir)
    click.echo("Label Studio stopped" if server else "Label Studio was not running")
    if cluster:
        click.echo(f"PostgreSQL stopped (its data stays in {data_dir / 'postgres'})")


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
