"""`toolkit push`, `toolkit pull` and `toolkit label-studio start|stop|login`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import ToolkitError
from .common import (
    ANNOTATIONS,
    BUILD,
    ENV_FILE,
    LABEL_STUDIO_BIN,
    LABEL_STUDIO_DATA,
    PathArg,
    labels,
    ls_connection,
    project_option,
)


@click.command()
@click.argument("task_files", nargs=-1, type=PathArg)
@click.option(
    "--annotations",
    "annotations_dir",
    type=PathArg,
    default=None,
    help="Also push these committed annotation files (as tasks with their annotations).",
)
@project_option()
@click.pass_context
def push(ctx: click.Context, task_files: tuple[Path, ...], annotations_dir: Path | None, title: str) -> None:
    """Create or update the project and import tasks in bulk (no duplicates by doc_id)."""
    from ..labelstudio.push import push_files

    result = push_files(ls_connection, labels(ctx), list(task_files), annotations_dir, title)
    click.echo(
        f"project {title!r} ({'created' if result.created_project else 'updated'}): {result.created} task(s) "
        f"created, {result.unchanged} unchanged, {result.updated} updated, "
        f"{result.annotations_imported} annotation(s) imported, {result.predictions_imported} prediction(s) imported"
    )
    for c in result.conflicts:
        click.echo(f"conflict: {c}", err=True)
    click.echo(f"open {result.project_url}")
    if result.conflicts:
        sys.exit(1)


@click.command()
@click.option("-o", "--output", "out_dir", type=PathArg, default=ANNOTATIONS, show_default=True)
@project_option()
@click.option(
    "--repair-offsets", is_flag=True, help="Convert spans stored in UTF-16 units (older Label Studio) to code points."
)
@click.pass_context
def pull(ctx: click.Context, out_dir: Path, title: str, repair_offsets: bool) -> None:
    """Export the project and write one JSON file per annotated document (merged, never lost)."""
    from ..labelstudio.pull import pull as run

    r = run(ls_connection(), labels(ctx), out_dir, title, BUILD, repair_offsets=repair_offsets)
    if repair_offsets:
        click.echo(f"repaired UTF-16 offsets of {r.offsets_repaired} span(s)")
    click.echo(
        f"{r.tasks} task(s) exported ({r.skipped_unannotated} without annotations); "
        f"{r.files_written} file(s) written, {r.files_unchanged} unchanged in {out_dir}; annotations: "
        f"{r.annotations_added} new, {r.annotations_updated} updated, {r.annotations_kept_local} kept from "
        "local files only"
    )
    if r.backups:
        click.echo(f"previous versions of {len(r.backups)} file(s) kept in {Path(r.backups[0]).parent}")
    for line in r.unreadable:
        click.echo(f"not written: {line}", err=True)
    if r.unreadable:
        sys.exit(1)


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


COMMANDS = [push, pull, label_studio]
