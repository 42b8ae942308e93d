"""The `toolkit` command: one module per command group, each command a few lines over one library call.

Library errors become one message and one exit code here, in `Group.invoke`, and nowhere else:
0 success, 1 invalid data or refused, 2 unreadable input or bad settings, 3 Label Studio refused
or unreachable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import ToolkitError
from ..labelschema import DEFAULT_LABELS
from .common import PathArg


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ToolkitError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=Group)
@click.version_option(__version__, prog_name="toolkit")
@click.option(
    "--labels",
    "labels_path",
    type=PathArg,
    default=DEFAULT_LABELS,
    show_default=True,
    help="Label schema file (the one source of label names).",
)
@click.pass_context
def main(ctx: click.Context, labels_path: Path) -> None:
    """News articles -> Label Studio -> validated annotations -> Hugging Face dataset."""
    ctx.obj = {"labels_path": labels_path}


def _register() -> None:
    from . import annotators, articles, dataset, labelstudio, preannotate, schema, server, stats, validate, watch

    for module in (schema, articles, preannotate, labelstudio, server, validate, dataset, annotators, watch, stats):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
