"""`toolkit preannotate-eval`: what the pre-annotation proposals would save on annotated documents."""

from __future__ import annotations

from pathlib import Path

import click

from .common import ANNOTATIONS, PathArg, labels


@click.command("preannotate-eval")
@click.option("--annotations", "annotations_dir", type=PathArg, default=ANNOTATIONS, show_default=True)
@click.option("--doc", "doc_ids", multiple=True, help="Held-out document id (default: every annotated document).")
@click.option("--patterns", "patterns_path", type=PathArg, default=None)
@click.pass_context
def preannotate_eval(
    ctx: click.Context, annotations_dir: Path, doc_ids: tuple[str, ...], patterns_path: Path | None
) -> None:
    """Precision and recall of the pre-annotation proposals against the gold annotations."""
    from ..preannotation.evaluate import evaluate_files, format_report

    click.echo(format_report(evaluate_files(annotations_dir, labels(ctx), patterns_path, list(doc_ids) or None)))


COMMANDS = [preannotate_eval]
