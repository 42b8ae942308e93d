"""`toolkit validate`: exit 0 valid, 1 invalid, 2 unreadable."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import PathArg, labels
from .progress import Progress


@click.command()
@click.argument("paths", nargs=-1, required=True, type=PathArg)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings (whitespace, overlap, ...) as errors.")
@click.option(
    "--engine",
    type=click.Choice(["rs", "python"]),
    default=None,
    help="JSON Schema engine (default: jsonschema-rs when installed).",
)
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict: bool, engine: str | None) -> None:
    """Validate a Label Studio export, a JSONL of tasks or the annotations/ folder.

    Exit 0 when valid, 1 when not, 2 when the input cannot be read.
    """
    from ..validation import validate_paths

    with Progress("validating", "record") as progress:
        report = validate_paths(list(paths), labels(ctx), engine, strict, progress=progress)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for p in report.errors + report.warnings:
            click.echo(f"{p.file}: {p.severity} [{p.code}] {p.task} {p.path}: {p.message}")
        click.echo(
            f"{'valid' if report.valid else 'INVALID'}: {report.checked} record(s) checked, "
            f"{len(report.errors)} error(s), {len(report.warnings)} warning(s); {report.annotations} "
            f"annotation(s) ({report.cancelled} cancelled), {report.unannotated} record(s) without a live "
            f"annotation, {report.entities} entities, {report.relations} relations"
            + (f"; {report.predictions} prediction(s) checked" if report.predictions else "")
        )
    sys.exit(0 if report.valid else 1)


COMMANDS = [validate]
