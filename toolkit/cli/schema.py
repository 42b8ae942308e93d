"""`toolkit schema check|config|guidelines`: the label schema and what is generated from it."""

from __future__ import annotations

from pathlib import Path

import click

from ..labelschema import guidelines_markdown, label_config, schema_file_from_config
from .common import PathArg, labels


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


@schema.command("from-config")
@click.argument("config", type=PathArg)
@click.option("-o", "--output", type=PathArg, required=True, help="The label schema file to write (*.labels.json).")
@click.option("--name", default=None, help="Machine name of the schema (default: from the output file name).")
@click.option("--title", default=None, help="Title of the Label Studio project (and the default --project).")
@click.option("--description", default=None, help="One sentence for the dataset card: what the texts are.")
@click.option("--language", "languages", multiple=True, help="Language code of the texts (repeat for several).")
@click.option("--license", "license_id", default=None, help="Hub licence id of the dataset (cc-by-4.0, other, ...).")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
def schema_from_config(
    config: Path,
    output: Path,
    name: str | None,
    title: str | None,
    description: str | None,
    languages: tuple[str, ...],
    license_id: str | None,
    force: bool,
) -> None:
    """Write a label schema from an existing project's labeling config (Settings > Labeling Interface > Code)."""
    project = {
        "title": title,
        "description": description,
        "languages": list(languages),
        "license": {"id": license_id} if license_id else None,
    }
    made = schema_file_from_config(config, output, name=name, project=project, overwrite=force)
    c = made.controls
    click.echo(
        f"wrote {output}: {len(made.entity_names)} entity label(s), {len(made.relation_names)} relation label(s); "
        f"controls {c.labels!r} -> {c.text!r} (text in data.{c.value}), relations {c.relations!r}"
    )
    click.echo("relations allow any head and tail type: narrow them with `head`/`tail` lists in the file")


COMMANDS = [schema]
