"""`toolkit agreement` and `toolkit adjudicate`: several annotators, one gold."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import ANNOTATIONS, BUILD, PathArg, labels, ls_connection, project_option, project_title, reviewers_from
from .progress import note


@click.command("agreement")
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--config",
    "config_path",
    type=PathArg,
    default=None,
    help="Adjudication config whose reviewers are left out (default: adjudication.toml when present).",
)
@click.pass_context
def agreement(ctx: click.Context, paths: tuple[Path, ...], fmt: str, config_path: Path | None) -> None:
    """Inter-annotator agreement (entities, relations, BIO kappa) over documents with 2+ annotators.

    Takes what `toolkit validate` takes (default: annotations/).
    """
    from ..agreement.measure import agreement as run
    from ..agreement.report import text

    _, reviewers = reviewers_from(config_path)
    r = run(list(paths) or [ANNOTATIONS], labels(ctx), reviewers)
    click.echo(json.dumps(r.as_dict(), ensure_ascii=False, indent=2) if fmt == "json" else text(r), nl=fmt == "json")


@click.command("adjudicate")
@click.argument("paths", nargs=-1, type=PathArg)
@click.option(
    "--policy",
    type=click.Choice(["review", "majority", "union", "intersection"]),
    default=None,
    help="review (default): keep what a majority marked, hold the document back on anything else; "
    "majority: drop the rest; union: keep everything; intersection: keep what everyone marked.",
)
@click.option("--reviewer", "reviewers", multiple=True, help="Pseudonym (annotator-…) whose annotation wins.")
@click.option(
    "--config",
    "config_path",
    type=PathArg,
    default=None,
    help="JSON or TOML with `reviewers` and `policy` (default: adjudication.toml when present).",
)
@click.option("--dry-run", is_flag=True, help="Decide and report, write nothing.")
@click.option("--push-review", is_flag=True, help="Send held-back documents to the '<project> (review)' project.")
@project_option()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def adjudicate(
    ctx: click.Context,
    paths: tuple[Path, ...],
    policy: str | None,
    reviewers: tuple[str, ...],
    config_path: Path | None,
    dry_run: bool,
    push_review: bool,
    title: str | None,
    fmt: str,
) -> None:
    """One gold annotation per document with several annotators, stored as its `adjudicated` key.

    A reviewer's annotation, or one marked ground truth, wins. To resolve conflicts in the browser:
    --push-review, annotate the review task, `toolkit pull --project '<project> (review)'`, run again.
    """
    from ..adjudication.apply import adjudicate as run
    from ..adjudication.config import load_config
    from ..adjudication.report import report
    from ..adjudication.review import push_review as send

    config_path, _ = reviewers_from(config_path)
    schema = labels(ctx)
    r = run(list(paths) or [ANNOTATIONS], schema, load_config(config_path, reviewers, policy), write=not dry_run)
    click.echo(json.dumps(r.as_dict(), ensure_ascii=False, indent=2) if fmt == "json" else report(r), nl=fmt == "json")
    if push_review and r.held_back:
        p = send(ls_connection(), schema, r, project_title(ctx, title), BUILD, on_retry=note)
        click.echo(f"review tasks: {p.created} created, {p.unchanged} already there; open {p.project_url}")


COMMANDS = [agreement, adjudicate]
