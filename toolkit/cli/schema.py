"""`toolkit schema check|config|guidelines`: the label schema and what is generated from it."""

from __future__ import annotations

import click

from ..labelschema import guidelines_markdown, label_config
from .common import labels


@click.group()
def schema() -> None:
    """Inspect the label schema and what is generated from it."""


@schema.command("check")
@click.pass_context
def schema_check(ctx: click.Context) -> None:
    """Validate the label schema against its meta-schema."""
    schema = labels(ctx)
    click.echo(
        f"{schema.path}: valid ({len(schema.entity_names)} entity labels, "
        f"{len(schema.relation_names)} relation labels, version {schema.version})"
    )


@schema.command("config")
@click.pass_context
def schema_config(ctx: click.Context) -> None:
    """Print the generated Label Studio labeling config."""
    click.echo(label_config(labels(ctx)), nl=False)


@schema.command("guidelines")
@click.pass_context
def schema_guidelines(ctx: click.Context) -> None:
    """Print the annotation guidelines (Markdown)."""
    click.echo(guidelines_markdown(labels(ctx)), nl=False)


COMMANDS = [schema]
