"""`toolkit push`, `toolkit pull` and `toolkit import`: tasks into Label Studio, annotations out of it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import ANNOTATIONS, BUILD, PathArg, labels, ls_connection, project_option, project_title
from .progress import Progress, note


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
    with Progress("pushing") as progress:
        r = push_files(ls_connection, labels(ctx), list(task_files), annotations_dir, title, BUILD,
                       on_retry=note, on_wait=note, progress=progress)  # fmt: skip
    click.echo(
        f"project {title!r} ({'created' if r.created_project else 'updated'}): {r.created} task(s) "
        f"created, {r.unchanged} unchanged, {r.updated} updated, "
        f"{r.annotations_imported} annotation(s) imported, {r.predictions_imported} prediction(s) imported"
    )
    for reason, n in sorted(r.predictions_not_imported.items()):
        click.echo(f"{n} prediction(s) not imported: {reason}")
    for c in r.conflicts:
        click.echo(f"conflict: {c}", err=True)
    for d in r.duplicates:
        click.echo(f"duplicate doc_id in the project: {d}; delete the extra task(s) in Label Studio", err=True)
    click.echo(f"open {r.project_url}")
    if r.conflicts or r.duplicates:
        sys.exit(1)


@click.command()
@click.option("-o", "--output", "out_dir", type=PathArg, default=ANNOTATIONS, show_default=True)
@project_option()
@click.option("--full", is_flag=True, help="Export every task, not only those changed since the last pull.")
@click.option(
    "--replace-local",
    is_flag=True,
    help="Where a local file and Label Studio disagree, take Label Studio's version (yours goes to the backups).",
)
@click.option(
    "--repair-offsets", is_flag=True, help="Convert spans stored in UTF-16 units (older Label Studio) to code points."
)
@click.pass_context
def pull(
    ctx: click.Context, out_dir: Path, title: str | None, full: bool, replace_local: bool, repair_offsets: bool
) -> None:
    """Export the project and write one JSON file per annotated document (merged, never lost)."""
    from ..labelstudio.pull import pull as run

    title = project_title(ctx, title)
    with Progress("writing annotations", "document") as progress:
        r = run(ls_connection(), labels(ctx), out_dir, title, BUILD, full=full, repair_offsets=repair_offsets,
                replace_local=replace_local, on_retry=note, on_wait=note, progress=progress)  # fmt: skip
    how = "full export" if r.full else f"{r.changed} task(s) changed since the last pull"
    click.echo(f"{r.tasks} task(s) exported ({how}; {r.skipped_unannotated} without annotations)")
    _intake_summary(r, out_dir, repair_offsets)
    if r.deleted:
        click.echo(f"{len(r.deleted)} task(s) are no longer in Label Studio; their files in {out_dir} are kept")


@click.command("import")
@click.argument("exports", nargs=-1, required=True, type=PathArg)
@click.option("-o", "--output", "out_dir", type=PathArg, default=ANNOTATIONS, show_default=True)
@click.option(
    "--annotator",
    default=None,
    help="Who made every annotation in these files (pseudonymized), for servers where everyone is user 1.",
)
@click.option("--replace-local", is_flag=True, help="Where a local file disagrees, take the export's version.")
@click.option("--repair-offsets", is_flag=True, help="Convert spans stored in UTF-16 units to code points.")
@click.pass_context
def import_(
    ctx: click.Context,
    exports: tuple[Path, ...],
    out_dir: Path,
    annotator: str | None,
    replace_local: bool,
    repair_offsets: bool,
) -> None:
    """Bring Label Studio JSON exports made elsewhere into annotations/, merged as a pull would."""
    from ..store import Intake, import_exports

    intake = Intake(labels(ctx), annotator=annotator, repair_offsets=repair_offsets, replace_local=replace_local)
    with Progress("importing", "document") as progress:
        r = import_exports(list(exports), intake, out_dir, BUILD / "import-backups", progress=progress, on_wait=note)
    click.echo(f"{r.tasks} task(s) read from {len(exports)} file(s) ({r.skipped_unannotated} without annotations)")
    _intake_summary(r, out_dir, repair_offsets)


def _intake_summary(r: object, out_dir: Path, repair_offsets: bool) -> None:
    from ..store import IntakeResult

    assert isinstance(r, IntakeResult)
    if repair_offsets:
        click.echo(f"repaired UTF-16 offsets of {r.offsets_repaired} span(s)")
    click.echo(
        f"{r.files_written} file(s) written, {r.files_unchanged} unchanged in {out_dir}; annotations: "
        f"{r.annotations_added} new, {r.annotations_updated} updated, {r.annotations_kept_local} kept from "
        f"local files only, {r.local_edits_kept} local edit(s) kept"
    )
    if r.backups:
        click.echo(f"previous versions of {len(r.backups)} file(s) kept in {Path(r.backups[0]).parent}")
    for line in r.renamed:
        click.echo(f"document id is not a safe file name, stored under a hashed name with the id inside: {line}")
    if r.problems:
        click.echo(f"{r.problems} validation problem(s) in the documents written; run `toolkit validate {out_dir}`")
    for line in r.unreadable:
        click.echo(f"not written: {line}", err=True)
    for line in r.conflicts:
        click.echo(f"conflict: {line}", err=True)
    if r.unreadable or r.conflicts:
        sys.exit(1)


COMMANDS = [push, pull, import_]
