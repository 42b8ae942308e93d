"""`toolkit push` and `toolkit pull`: tasks into Label Studio, annotations out of it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import (
    ANNOTATIONS,
    BUILD,
    PathArg,
    labels,
    ls_connection,
    project_option,
    project_title,
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
def push(ctx: click.Context, task_files: tuple[Path, ...], annotations_dir: Path | None, title: str | None) -> None:
    """Create or update the project and import tasks in bulk (no duplicates by doc_id)."""
    from ..labelstudio.push import push_files

    title = project_title(ctx, title)
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
def pull(ctx: click.Context, out_dir: Path, title: str | None, repair_offsets: bool) -> None:
    """Export the project and write one JSON file per annotated document (merged, never lost)."""
    from ..labelstudio.pull import pull as run

    title = project_title(ctx, title)
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


COMMANDS = [push, pull]
