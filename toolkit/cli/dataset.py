"""`toolkit export`, `toolkit release` and `toolkit publish`: the dataset folder, versioned, on the Hub."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import ToolkitError
from .common import ANNOTATIONS, DIST, RELEASES, PathArg, labels, reviewers_from


@click.command()
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("-o", "--output", "out_dir", type=PathArg, default=DIST, show_default=True)
@click.pass_context
def export(ctx: click.Context, paths: tuple[Path, ...], out_dir: Path) -> None:
    """Build the Hub-layout dataset folder from validated annotations."""
    from ..dataset.build import export as run

    r = run(list(paths) or [ANNOTATIONS], out_dir, labels(ctx))
    click.echo(f"wrote {out_dir}: {r.documents} document(s), {r.entities} entities, {r.relations} relations")
    for s in r.skipped:
        click.echo(f"not exported: {s}", err=True)


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
@click.option("-o", "--output", "out_dir", type=PathArg, default=DIST, show_default=True)
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
    out_dir: Path,
    releases_dir: Path,
    splits: str,
    rebuild: bool,
    config_path: Path | None,
) -> None:
    """Validate, check the version bump, build dist/ and record the release manifest."""
    from ..dataset.release import release as run

    _, reviewers = reviewers_from(config_path)
    r = run(
        list(paths) or [ANNOTATIONS],
        labels(ctx),
        version,
        out_dir,
        releases_dir,
        _ratios(splits),
        rebuild=rebuild,
        reviewers=reviewers,
    )
    e = r.export
    click.echo(f"v{version}: {e.documents} document(s), {e.entities} entities, {e.relations} relations -> {out_dir}")
    if r.previous and r.bump:
        click.echo(f"since v{r.previous}: {r.bump.required} change ({'; '.join(r.bump.reasons) or 'none'})")
    if rebuild:
        if r.differences:
            raise ToolkitError(
                f"rebuild of v{version} differs from the recorded release in: {', '.join(r.differences)}"
            )
        click.echo(f"rebuild of v{version} is byte-identical to the recorded release ({len(e.files)} files)")
    else:
        click.echo(f"recorded {r.recorded}; commit it, then `make publish REPO=ORG/NAME`")


@click.command()
@click.argument("folder", type=PathArg, default=DIST)
@click.option("--repo-id", required=True, help="ORG/NAME of the dataset repository on the Hub.")
@click.option("--dry-run", is_flag=True, help="Print the files and the tag, send nothing.")
def publish(folder: Path, repo_id: str, dry_run: bool) -> None:
    """Upload a release folder to the Hub in one commit and tag it vX.Y.Z (token from HF_TOKEN)."""
    from ..dataset.publish import hub_api, plan
    from ..dataset.publish import publish as run

    p = plan(folder, repo_id)
    if dry_run:
        for f in p.files:
            click.echo(f"would upload {f}")
        click.echo(f"would commit {len(p.files)} file(s) to datasets/{repo_id} and tag it {p.tag}")
        return
    out = run(p, hub_api(os.environ.get("HF_TOKEN")))
    click.echo(f"published {len(p.files)} file(s) to datasets/{repo_id}, commit {out['commit']}, tag {out['tag']}")


COMMANDS = [export, release, publish]
