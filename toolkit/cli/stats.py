"""`toolkit stats`: documents per split, labels, annotators, agreement, and what is left in Label Studio."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from ..errors import ConfigError
from .common import ANNOTATIONS, PathArg, labels, ls_connection, project_option, project_title, reviewers_from
from .progress import Progress, note


@click.command()
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_option("Label Studio project whose tasks are counted (default: the label schema's project title).")
@click.option("--config", "config_path", type=PathArg, default=None, help="Adjudication config (reviewers).")
@click.pass_context
def stats(ctx: click.Context, paths: tuple[Path, ...], fmt: str, title: str | None, config_path: Path | None) -> None:
    """Counts of annotations/ (default) or of a dataset folder: splits, labels, annotators, agreement, Label Studio."""
    from ..dataset import stats as lib
    from ..labelstudio.api import Api

    given = list(paths) or [ANNOTATIONS]
    if len(given) == 1 and lib.is_dataset(given[0]):
        result = lib.dataset_stats(given[0])
    else:
        _, reviewers = reviewers_from(config_path)
        with Progress("counting", "record") as progress:
            result = lib.annotation_stats(given, labels(ctx), reviewers=reviewers, progress=progress)
    try:
        conn = ls_connection()
    except ConfigError:
        lib.add_label_studio(result, None, project_title(ctx, title))
    else:
        lib.add_label_studio(result, lambda: Api(conn, on_retry=note), project_title(ctx, title))
    if fmt == "json":
        click.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(lib.text(result), nl=False)


COMMANDS = [stats]
