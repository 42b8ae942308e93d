"""What every command shares: the label schema option, default paths, and the Label Studio connection.

The defaults are relative to the folder the command runs in; library code never assumes one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..labelschema import LabelSchema
from ..labelstudio.settings import Connection, connection

PathArg = click.Path(path_type=Path)
ANNOTATIONS = Path("annotations")
BUILD = Path("build")
DIST = Path("dist/news-relations")
RELEASES = Path("releases")
ENV_FILE = Path(".env")
ADJUDICATION_CONFIG = Path("adjudication.toml")
LABEL_STUDIO_DATA = Path(".labelstudio")
LABEL_STUDIO_BIN = Path(".venv-ls/bin/label-studio")


def labels(ctx: click.Context) -> LabelSchema:
    """The label schema named by `--labels` (loaded once per command)."""
    obj = ctx.find_root().obj
    if "labels" not in obj:
        obj["labels"] = LabelSchema.load(obj["labels_path"])
    schema: LabelSchema = obj["labels"]
    return schema


def ls_connection() -> Connection:
    """The Label Studio connection (environment, else .env), warning when the token would travel in clear."""
    from ..labelstudio.settings import cleartext_warning

    conn = connection(ENV_FILE)
    warning = cleartext_warning(conn.url)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return conn


def project_option(help_text: str = "Project title (default: the label schema's project title).") -> Any:
    return click.option("--project", "title", default=None, help=help_text)


def project_title(ctx: click.Context, title: str | None) -> str:
    """The `--project` given, else the label schema's project title."""
    return title or labels(ctx).project_title


def reviewers_from(config_path: Path | None) -> tuple[Path | None, frozenset[str]]:
    """The adjudication config to use (the given one, else adjudication.toml when present) and its reviewers."""
    from ..adjudication.config import load_config

    if config_path is None and ADJUDICATION_CONFIG.exists():
        config_path = ADJUDICATION_CONFIG
    return config_path, (load_config(config_path).reviewers if config_path else frozenset())
