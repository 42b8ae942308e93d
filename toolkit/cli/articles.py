"""`toolkit ingest` and `toolkit tasks`: article files -> articles JSONL -> Label Studio tasks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import ANNOTATIONS, BUILD, PathArg, labels


@click.command()
@click.argument("paths", nargs=-1, required=True, type=PathArg)
@click.option("-o", "--output", type=PathArg, default=BUILD / "articles.jsonl", show_default=True)
def ingest(paths: tuple[Path, ...], output: Path) -> None:
    """Read article files (seed format, .txt, .md, JSONL) into one JSONL of articles."""
    from ..ingest import article_record
    from ..ingest import ingest as run
    from ..io.writer import write_jsonl

    result = run(paths)
    n = write_jsonl(output, (article_record(a) for a in result.articles))
    for s in result.skipped:
        click.echo(f"skipped {s.message}", err=True)
    click.echo(f"wrote {n} article(s) to {output}" + (f"; skipped {len(result.skipped)}" if result.skipped else ""))
    if result.skipped:
        sys.exit(1)


@click.command()
@click.argument("articles", type=PathArg, default=BUILD / "articles.jsonl")
@click.option("-o", "--output", type=PathArg, default=BUILD / "tasks.jsonl", show_default=True)
@click.option("--pre-annotate", is_flag=True, help="Attach predictions: gazetteer, patterns, model.")
@click.option(
    "--annotations",
    "annotations_dir",
    type=PathArg,
    default=ANNOTATIONS,
    show_default=True,
    help="Validated annotations the gazetteer is built from (with --pre-annotate).",
)
@click.option(
    "--patterns",
    "patterns_path",
    type=PathArg,
    default=None,
    help="Patterns file (default: <schema>.patterns.json beside the label schema, when present).",
)
@click.option(
    "--model",
    "model_spec",
    default=None,
    help="module:function (text -> spans), spacy[:PIPELINE] or none (default: spaCy when installed).",
)
@click.pass_context
def tasks(
    ctx: click.Context,
    articles: Path,
    output: Path,
    pre_annotate: bool,
    annotations_dir: Path,
    patterns_path: Path | None,
    model_spec: str | None,
) -> None:
    """Turn articles into Label Studio tasks (one per article), optionally pre-annotated."""
    from ..ingest import read_articles
    from ..io.writer import write_jsonl
    from ..preannotation.predict import build_preannotator, build_tasks

    schema = labels(ctx)
    pre = build_preannotator(schema, annotations_dir, patterns_path, model_spec) if pre_annotate else None
    for note in pre.notes if pre else []:
        click.echo(note, err=True)
    records, summary = build_tasks(read_articles(articles), schema, pre)
    if summary:
        click.echo(summary)
    click.echo(f"wrote {write_jsonl(output, records)} task(s) to {output}")


COMMANDS = [ingest, tasks]
