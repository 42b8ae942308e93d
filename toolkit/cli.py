"""Thin click CLI: parse options, call one library function, turn library errors into messages."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import orjson

from . import __version__
from .errors import ToolkitError
from .labels import DEFAULT_LABELS, LabelSchema

PathArg = click.Path(path_type=Path)


def fail(exc: ToolkitError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(exc.exit_code)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ToolkitError as exc:
            fail(exc)


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


def _labels(ctx: click.Context) -> LabelSchema:
    obj = ctx.find_root().obj
    if "labels" not in obj:
        obj["labels"] = LabelSchema.load(obj["labels_path"])
    labels: LabelSchema = obj["labels"]
    return labels


# -- schema ------------------------------------------------------------------------------


@main.group()
def schema() -> None:
    """Inspect the label schema and what is generated from it."""


@schema.command("check")
@click.pass_context
def schema_check(ctx: click.Context) -> None:
    """Validate the label schema against its meta-schema."""
    labels = _labels(ctx)
    click.echo(
        f"{labels.path}: valid ({len(labels.entity_names)} entity labels, "
        f"{len(labels.relation_names)} relation labels, version {labels.version})"
    )


@schema.command("config")
@click.pass_context
def schema_config(ctx: click.Context) -> None:
    """Print the generated Label Studio labeling config."""
    click.echo(_labels(ctx).label_config(), nl=False)


@schema.command("guidelines")
@click.pass_context
def schema_guidelines(ctx: click.Context) -> None:
    """Print the annotation guidelines (Markdown)."""
    click.echo(_labels(ctx).guidelines_markdown(), nl=False)


# -- ingest / tasks -------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=PathArg)
@click.option("-o", "--output", type=PathArg, default=Path("build/articles.jsonl"), show_default=True)
def ingest(paths: tuple[Path, ...], output: Path) -> None:
    """Read article files (seed format, .txt, .md, JSONL) into one JSONL of articles."""
    from .fileio import write_jsonl
    from .ingest import article_record
    from .ingest import ingest as run

    result = run(paths)
    n = write_jsonl(output, (article_record(a) for a in result.articles))
    for s in result.skipped:
        click.echo(f"skipped {s.path}: {s.reason}", err=True)
    click.echo(f"wrote {n} article(s) to {output}" + (f"; skipped {len(result.skipped)}" if result.skipped else ""))
    if result.skipped:
        sys.exit(1)


@main.command()
@click.argument("articles", type=PathArg, default=Path("build/articles.jsonl"))
@click.option("-o", "--output", type=PathArg, default=Path("build/tasks.jsonl"), show_default=True)
@click.option("--pre-annotate", is_flag=True, help="Attach predictions: gazetteer, patterns, model.")
@click.option(
    "--annotations",
    "annotations_dir",
    type=PathArg,
    default=Path("annotations"),
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
    from .fileio import write_jsonl
    from .ingest import read_articles
    from .tasks import article_task

    records = [article_task(a) for a in read_articles(articles)]
    if pre_annotate:
        from .preannotate import build_preannotator
        from .preannotate import pre_annotate as run

        pre = build_preannotator(_labels(ctx), annotations_dir, patterns_path, model_spec)
        for note in pre.notes:
            click.echo(note, err=True)
        click.echo(run(records, pre).summary(pre.model_version))
    n = write_jsonl(output, records)
    click.echo(f"wrote {n} task(s) to {output}")


@main.command("preannotate-eval")
@click.option("--annotations", "annotations_dir", type=PathArg, default=Path("annotations"), show_default=True)
@click.option("--doc", "doc_ids", multiple=True, help="Held-out document id (default: every annotated document).")
@click.option("--patterns", "patterns_path", type=PathArg, default=None)
@click.pass_context
def preannotate_eval(
    ctx: click.Context, annotations_dir: Path, doc_ids: tuple[str, ...], patterns_path: Path | None
) -> None:
    """Precision and recall of the pre-annotation proposals against the gold annotations."""
    from .patterns import default_patterns_path, load_patterns
    from .preannotate_eval import evaluate, format_report
    from .validate import load_documents

    labels = _labels(ctx)
    docs, report = load_documents([annotations_dir], labels)
    if report.errors:
        raise ToolkitError(f"{annotations_dir} has {len(report.errors)} validation error(s); run `toolkit validate`")
    path = patterns_path or default_patterns_path(labels)
    click.echo(format_report(evaluate(docs, labels, load_patterns(path, labels) if path else [], doc_ids or None)))


# -- Label Studio -----------------------------------------------------------------------------


@main.command()
@click.argument("task_files", nargs=-1, type=PathArg)
@click.option(
    "--annotations",
    "annotations_dir",
    type=PathArg,
    default=None,
    help="Also push these committed annotation files (as tasks with their annotations).",
)
@click.option("--project", "title", default="News relations", show_default=True, help="Project title.")
@click.pass_context
def push(ctx: click.Context, task_files: tuple[Path, ...], annotations_dir: Path | None, title: str) -> None:
    """Create or update the project and import tasks in bulk (no duplicates by doc_id)."""
    from .labelstudio import push as run
    from .settings import connection
    from .tasks import document_task
    from .validate import load_documents

    labels = _labels(ctx)
    payload: dict[str, dict[str, Any]] = {}
    if annotations_dir is not None:
        docs, report = load_documents([annotations_dir], labels)
        if report.errors:
            raise ToolkitError(
                f"{annotations_dir} has {len(report.errors)} validation error(s); "
                "run `toolkit validate` and fix them before pushing"
            )
        for doc in docs:
            payload[doc.doc_id] = document_task(doc)
    for f in task_files:
        for line in f.read_bytes().splitlines():
            if line.strip():
                task = orjson.loads(line)
                payload.setdefault(task["data"]["doc_id"], task)
    from .preannotate import check_predictions

    check_predictions(payload.values(), labels)  # Label Studio would accept an unknown label silently
    result = run(connection(), labels, list(payload.values()), title)
    click.echo(
        f"project {title!r} ({'created' if result.created_project else 'updated'}): {result.created} task(s) "
        f"created, {result.unchanged} unchanged, {result.updated} updated, "
        f"{result.annotations_imported} annotation(s) imported, {result.predictions_imported} prediction(s) imported"
    )
    for c in result.conflicts:
        click.echo(f"conflict: {c}", err=True)
    click.echo(f"open {result.project_url}")
    if result.conflicts:
        sys.exit(1)


@main.command()
@click.option("-o", "--output", "out_dir", type=PathArg, default=Path("annotations"), show_default=True)
@click.option("--project", "title", default="News relations", show_default=True)
@click.option(
    "--repair-offsets", is_flag=True, help="Convert spans stored in UTF-16 units (older Label Studio) to code points."
)
def pull(out_dir: Path, title: str, repair_offsets: bool) -> None:
    """Export the project and write one JSON file per annotated document (merged, never lost)."""
    from .pull import pull as run
    from .settings import connection

    r = run(connection(), out_dir, title, repair_offsets=repair_offsets)
    if repair_offsets:
        click.echo(f"repaired UTF-16 offsets of {r.offsets_repaired} span(s)")
    click.echo(
        f"{r.tasks} task(s) exported ({r.skipped_unannotated} without annotations); "
        f"{r.files_written} file(s) written, {r.files_unchanged} unchanged in {out_dir}; annotations: "
        f"{r.annotations_added} new, {r.annotations_updated} updated, {r.annotations_kept_local} kept from "
        "local files only"
    )
    if r.backups:
        click.echo(f"previous versions of {len(r.backups)} file(s) kept in {Path(r.backups[0]).parent}")
    for line in r.unreadable:
        click.echo(f"not written: {line}", err=True)
    if r.unreadable:
        sys.exit(1)


@main.group("label-studio")
def label_studio() -> None:
    """Run a local Label Studio (own virtualenv, data under .labelstudio/, bound to 127.0.0.1)."""


@label_studio.command("start")
@click.option("--data-dir", type=PathArg, default=Path(".labelstudio"), show_default=True)
def ls_start(data_dir: Path) -> None:
    """Start the server (writing .env with random credentials on first use) and wait for /health."""
    from .server import start
    from .settings import ensure_env_file

    env = ensure_env_file()
    info = start(
        data_dir,
        int(env["LABEL_STUDIO_PORT"]),
        env["LABEL_STUDIO_USERNAME"],
        env["LABEL_STUDIO_PASSWORD"],
        env["LABEL_STUDIO_API_KEY"],
    )
    state = "already running" if info.already_running else "started"
    click.echo(f"Label Studio {state} (pid {info.pid}) at {info.url}")
    click.echo(
        f"  log in with e-mail {env['LABEL_STUDIO_USERNAME']} and the password in .env "
        "(LABEL_STUDIO_PASSWORD); `make login` prints it"
    )


@label_studio.command("stop")
@click.option("--data-dir", type=PathArg, default=Path(".labelstudio"), show_default=True)
def ls_stop(data_dir: Path) -> None:
    """Stop the server started by `label-studio start`."""
    from .server import stop

    click.echo("Label Studio stopped" if stop(data_dir) else "Label Studio was not running")


@label_studio.command("login")
def ls_login() -> None:
    """Print the URL, e-mail and password of the local server (from .env)."""
    from .settings import read_env_file

    env = read_env_file()
    if not env:
        raise ToolkitError(".env not found; run `make label-studio` first")
    click.echo(f"URL:      {env.get('LABEL_STUDIO_URL')}")
    click.echo(f"e-mail:   {env.get('LABEL_STUDIO_USERNAME')}")
    click.echo(f"password: {env.get('LABEL_STUDIO_PASSWORD')}")


# -- validate / export --------------------------------------------------------------------------


@main.command()
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
    from .validate import validate_paths

    report = validate_paths(list(paths), _labels(ctx), engine, strict)
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
        )
    sys.exit(0 if report.valid else 1)


@main.command()
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("-o", "--output", "out_dir", type=PathArg, default=Path("dist/news-relations"), show_default=True)
@click.pass_context
def export(ctx: click.Context, paths: tuple[Path, ...], out_dir: Path) -> None:
    """Build the Hub-layout dataset folder from validated annotations."""
    from .export import export as run

    r = run(list(paths) or [Path("annotations")], out_dir, _labels(ctx))
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


@main.command()
@click.option("--version", "version", required=True, help="Semantic version of this release, e.g. 1.2.0.")
@click.argument("paths", nargs=-1, type=PathArg)
@click.option("-o", "--output", "out_dir", type=PathArg, default=Path("dist/news-relations"), show_default=True)
@click.option(
    "--releases",
    "releases_dir",
    type=PathArg,
    default=Path("releases"),
    show_default=True,
    help="Folder of recorded release manifests (commit it).",
)
@click.option("--splits", default="0.8/0.1/0.1", show_default=True, help="train/validation/test fractions.")
@click.option("--rebuild", is_flag=True, help="Rebuild a recorded release and check it is byte-identical.")
@click.pass_context
def release(
    ctx: click.Context,
    version: str,
    paths: tuple[Path, ...],
    out_dir: Path,
    releases_dir: Path,
    splits: str,
    rebuild: bool,
) -> None:
    """Validate, check the version bump, build dist/ and record the release manifest."""
    from .release import release as run

    r = run(
        list(paths) or [Path("annotations")],
        _labels(ctx),
        version,
        out_dir,
        releases_dir,
        _ratios(splits),
        rebuild=rebuild,
        agreement=_agreement_section(list(paths) or [Path("annotations")], ctx),
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


def _agreement_section(paths: list[Path], ctx: click.Context) -> str:
    """Agreement figures for the card, when the agreement module is available and has data."""
    try:
        agreement = importlib.import_module("toolkit.agreement")
    except ImportError:
        return ""
    render = getattr(agreement, "card_section", None)
    return str(render(paths, _labels(ctx))) if render else ""


@main.command()
@click.argument("folder", type=PathArg, default=Path("dist/news-relations"))
@click.option("--repo-id", required=True, help="ORG/NAME of the dataset repository on the Hub.")
@click.option("--dry-run", is_flag=True, help="Print the files and the tag, send nothing.")
def publish(folder: Path, repo_id: str, dry_run: bool) -> None:
    """Upload a release folder to the Hub in one commit and tag it vX.Y.Z (token from HF_TOKEN)."""
    from .publish import api_from_env, plan
    from .publish import publish as run

    p = plan(folder, repo_id)
    if dry_run:
        for f in p.files:
            click.echo(f"would upload {f}")
        click.echo(f"would commit {len(p.files)} file(s) to datasets/{repo_id} and tag it {p.tag}")
        return
    out = run(p, api_from_env())
    click.echo(f"published {len(p.files)} file(s) to datasets/{repo_id}, commit {out['commit']}, tag {out['tag']}")


# -- agreement / adjudication ---------------------------------------------------------------------


@main.command("agreement")
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
def agreement_cmd(ctx: click.Context, paths: tuple[Path, ...], fmt: str, config_path: Path | None) -> None:
    """Inter-annotator agreement (entities, relations, BIO kappa) over documents with 2+ annotators.

    Takes what `toolkit validate` takes (default: annotations/).
    """
    from .adjudicate import DEFAULT_CONFIG, load_config
    from .agreement import agreement as run
    from .agreement_report import text

    if config_path is None and DEFAULT_CONFIG.exists():
        config_path = DEFAULT_CONFIG
    reviewers = load_config(config_path).reviewers if config_path else frozenset()
    r = run(list(paths) or [Path("annotations")], _labels(ctx), reviewers)
    if fmt == "json":
        click.echo(json.dumps(r.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(text(r), nl=False)


@main.command("adjudicate")
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
@click.option("--project", "title", default="News relations", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def adjudicate_cmd(
    ctx: click.Context,
    paths: tuple[Path, ...],
    policy: str | None,
    reviewers: tuple[str, ...],
    config_path: Path | None,
    dry_run: bool,
    push_review: bool,
    title: str,
    fmt: str,
) -> None:
    """One gold annotation per document with several annotators, stored as its `adjudicated` key.

    A reviewer's annotation, or one marked ground truth, wins. To resolve conflicts in the browser:
    --push-review, annotate the review task, `toolkit pull --project '<project> (review)'`, run again.
    """
    from .adjudicate import DEFAULT_CONFIG, adjudicate, load_config
    from .adjudicate_review import push_review as send
    from .adjudicate_review import report

    if config_path is None and DEFAULT_CONFIG.exists():
        config_path = DEFAULT_CONFIG
    labels = _labels(ctx)
    config = load_config(config_path, reviewers, policy)
    r = adjudicate(list(paths) or [Path("annotations")], labels, config, write=not dry_run)
    click.echo(json.dumps(r.as_dict(), ensure_ascii=False, indent=2) if fmt == "json" else report(r), nl=fmt == "json")
    if push_review and r.held_back:
        from .settings import connection

        p = send(connection(), labels, r, title)
        click.echo(f"review tasks: {p.created} created, {p.unchanged} already there; open {p.project_url}")


if __name__ == "__main__":  # pragma: no cover
    main()
