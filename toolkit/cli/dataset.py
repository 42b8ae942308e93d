"""`toolkit export`, `toolkit release` and `toolkit publish`: the dataset folder, versioned, on the Hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..errors import ToolkitError
from .common import ANNOTATIONS, RELEASES, PathArg, labels, reviewers_from
from .progress import Progress, note

DIST_ROOT = Path("dist")  # the dataset folder is dist/<label schema name>
OUTPUT_HELP = "Dataset folder [default: dist/<label schema name>]."


def _out(ctx: click.Context, given: Path | None) -> Path:
    return given or DIST_ROOT / labels(ctx).name


def summary(r: Any) -> None:
    """What a build made: per split counts, where the card is, and what the user should know."""
    click.echo(f"wrote {r.out_dir}: {r.documents} document(s), {r.entities} entities, {r.relations} relations")
    for split, p in r.per_split.items():
        click.echo(
            f"  {split}: {p.documents} document(s), {sum(p.entities.values())} entities, "
            f"{sum(p.relations.values())} relations"
        )
    for doc_id, split in r.doc_splits:
        click.echo(f"  {doc_id} -> {split}")
    if r.card is not None:
        click.echo(f"card: {r.card}")
    if r.layout >= 2:
        click.echo(
            f"{r.twin_groups} group(s) of documents with the same text (after whitespace normalisation), "
            f"{r.twin_documents} document(s): each group kept in one split"
        )
    if r.latest:
        click.echo(
            f"{r.latest} document(s) have several annotations and no adjudication or ground truth: the most "
            "recent annotation was exported; run `toolkit adjudicate` to decide them"
        )
    for s in r.skipped:
        click.echo(f"not exported: {s}", err=True)
    if r.skipped_count > len(r.skipped):
        click.echo(f"not exported: {r.skipped_count - len(r.skipped)} more document(s)", err=True)


@click.command()
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("-o", "--output", "out_dir", type=PathArg, default=None, help=OUTPUT_HELP)
@click.option(
    "--config", "config_path", type=PathArg, default=None, help="Adjudication config (reviewers left out of agreement)."
)
@click.pass_context
def export(ctx: click.Context, paths: tuple[Path, ...], out_dir: Path | None, config_path: Path | None) -> None:
    """Build the Hub-layout dataset folder from validated annotations."""
    from ..dataset.build import export as run

    _, reviewers = reviewers_from(config_path)
    with Progress("exporting", "document") as progress:
        r = run(
            list(paths) or [ANNOTATIONS], _out(ctx, out_dir), labels(ctx), reviewers=reviewers, progress=progress,
            on_wait=note,
        )  # fmt: skip
    summary(r)


def _ratios(value: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(x) for x in value.split("/"))
    except ValueError:
        parts = ()
    if len(parts) != 3 or any(x < 0 for x in parts) or abs(sum(parts) - 1) > 1e-9:
        raise click.BadParameter(f"{value!r}: give train/validation/test fractions summing to 1, e.g. 0.8/0.1/0.1")
    return parts[0], parts[1], parts[2]


@click.command()
@click.option("--version", "version", required=True, help="Semantic version of this release, e.g. 1.2.0.")
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("-o", "--output", "out_dir", type=PathArg, default=None, help=OUTPUT_HELP)
@click.option(
    "--releases",
    "releases_dir",
    type=PathArg,
    default=RELEASES,
    show_default=True,
    help="Folder of recorded release manifests (commit it).",
)
@click.option("--splits", default="0.8/0.1/0.1", show_default=True, help="train/validation/test fractions.")
@click.option("--rebuild", is_flag=True, help="Rebuild a recorded release and check it is byte-identical.")
@click.option(
    "--config",
    "config_path",
    type=PathArg,
    default=None,
    help="Adjudication config whose reviewers the card's agreement leaves out (default: adjudication.toml).",
)
@click.pass_context
def release(
    ctx: click.Context,
    version: str,
    paths: tuple[Path, ...],
    out_dir: Path | None,
    releases_dir: Path,
    splits: str,
    rebuild: bool,
    config_path: Path | None,
) -> None:
    """Validate, check the version bump, build dist/ and record the release manifest."""
    from ..dataset.release import release as run

    _, reviewers = reviewers_from(config_path)
    with Progress("releasing", "document") as progress:
        r = run(
            list(paths) or [ANNOTATIONS], labels(ctx), version, _out(ctx, out_dir), releases_dir, _ratios(splits),
            rebuild=rebuild, reviewers=reviewers, progress=progress, on_wait=note,
        )  # fmt: skip
    click.echo(f"v{version} (layout {r.layout}):")
    summary(r.export)
    if r.previous and r.bump:
        click.echo(f"since v{r.previous}: {r.bump.required} change ({'; '.join(r.bump.reasons) or 'none'})")
    if rebuild:
        if r.differences:
            raise ToolkitError(
                f"rebuild of v{version} differs from the recorded release in: {', '.join(r.differences)}"
            )
        click.echo(f"rebuild of v{version} is byte-identical to the recorded release ({len(r.export.files)} files)")
    else:
        click.echo(f"recorded {r.recorded}; commit it, then `make publish REPO=ORG/NAME`")


@click.command()
@click.argument("folder", type=PathArg, required=False)
@click.option("--repo-id", required=True, help="ORG/NAME of the dataset repository on the Hub.")
@click.option("--dry-run", is_flag=True, help="Print the files and the tag, send nothing.")
@click.pass_context
def publish(ctx: click.Context, folder: Path | None, repo_id: str, dry_run: bool) -> None:
    """Upload a release folder (default: dist/<label schema name>) to the Hub in one commit, tagged vX.Y.Z."""
    from ..dataset.publish import hub_api, plan
    from ..dataset.publish import publish as run

    p = plan(_out(ctx, folder), repo_id)
    if dry_run:
        for f in p.files:
            click.echo(f"would upload {f}")
        click.echo(f"would commit {len(p.files)} file(s) to datasets/{repo_id} and tag it {p.tag}")
        return
    out = run(p, hub_api(os.environ.get("HF_TOKEN")))
    click.echo(f"published {len(p.files)} file(s) to datasets/{repo_id}, commit {out['commit']}, tag {out['tag']}")


COMMANDS = [export, release, publish]
