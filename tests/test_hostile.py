"""Against a real Label Studio: ids that try to escape annotations/, and local edits a pull must not lose."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from toolkit.labelschema import LabelSchema, label_config
from toolkit.labelstudio.settings import Connection

from helpers import client, find_project, push_tasks, run

pytestmark = pytest.mark.labelstudio
TEXT = "Lloyd Austin met Kim Jong-un in Pyongyang."


def region(rid: str, surface: str, label: str, text: str = TEXT) -> dict:
    start = text.index(surface)
    value = {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_hostile_doc_ids_never_escape_the_output_folder(
    ls_conn: Connection, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_env: Connection
) -> None:
    outside = Path("/tmp") / f"toolkit-escape-{uuid.uuid4().hex}"
    hostile = [
        f"../../../{outside.relative_to('/')}/pwned",  # climbs out of annotations/
        f"{outside}/abs",  # an absolute path
        "a/b",  # a new folder
        "..",
        ".hidden",
        "CON",  # reserved on Windows
        "x" * 300,  # longer than a file name allows
        "tab\there\x1b[31m",  # control characters and a terminal escape
        "ok-id",
    ]
    ls = client(ls_conn)
    project = ls.projects.create(title=project_title, label_config=label_config(LabelSchema.load()))
    tasks = [
        {
            "data": {"doc_id": doc_id, "text": TEXT},
            "annotations": [{"result": [region("p1", "Lloyd Austin", "PERSON")]}],
        }
        for doc_id in hostile
    ]
    ls.projects.import_tasks(id=project.id, request=tasks)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = run("pull", "--project", project_title, "-o", "annotations")
    assert not outside.exists()
    written = files_under(work)
    assert all(p.is_relative_to(work / "annotations") or p.is_relative_to(work / "build") for p in written)
    docs = [json.loads(p.read_text()) for p in (work / "annotations").glob("*.json")]
    assert sorted(d["doc_id"] for d in docs) == sorted(hostile)  # every id kept, inside its file
    assert (work / "annotations" / "ok-id.json").exists()
    assert sum(line.startswith("document id is not a safe file name") for line in out.splitlines()) == len(hostile) - 1
    assert "\x1b" not in out  # the escape sequence is shown escaped, never sent to the terminal
    assert "valid: 9 record(s)" in run("validate", "annotations")
    again = run("pull", "--project", project_title, "-o", "annotations", "--full")
    assert "0 file(s) written, 9 unchanged" in again


def test_symlinked_document_file_is_never_written_through(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    cli_env: Connection,
) -> None:  # fmt: skip
    task = {
        "data": {"doc_id": "linked", "text": TEXT},
        "annotations": [{"result": [region("p1", "Lloyd Austin", "PERSON")]}],
    }
    push_tasks(ls_conn, labels, [task], project_title, tmp_path / "build")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "annotations").mkdir()
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    os.symlink(target, tmp_path / "annotations" / "linked.json")
    out = run("pull", "--project", project_title, code=2)
    assert "symbolic link" in out and target.read_text() == "{}"


def test_pull_keeps_local_edits_and_stops_on_conflicts(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    cli_env: Connection,
) -> None:  # fmt: skip
    task = {"data": {"doc_id": "edited", "text": TEXT}}
    push_tasks(ls_conn, labels, [task], project_title, tmp_path / "build")
    ls = client(ls_conn)
    (t,) = list(ls.tasks.list(project=find_project(ls, ls_conn.url, project_title).id))
    made = ls.annotations.create(id=t.id, result=[region("p1", "Lloyd Austin", "PERSON")])
    monkeypatch.chdir(tmp_path)
    run("pull", "--project", project_title)
    path = tmp_path / "annotations" / "edited.json"
    doc = json.loads(path.read_text())
    doc["annotations"][0]["entities"][0]["label"] = "ORG"  # a local correction; still valid
    path.write_text(json.dumps(doc))
    assert run("validate", "annotations").startswith("valid:")

    # the server did not change it: the local edit is kept, whatever the pull
    out = run("pull", "--project", project_title, "--full")
    assert (
        "1 local edit(s) kept" in out
        and json.loads(path.read_text())["annotations"][0]["entities"][0]["label"] == "ORG"
    )

    # now both changed it: the document stops, exit 1, the file stays as it is
    ls.annotations.update(id=made.id, result=[region("p1", "Lloyd Austin", "PERSON"), region("g", "Pyongyang", "GPE")])
    before = path.read_bytes()
    out = run("pull", "--project", project_title, code=1)
    assert "changed both here and in Label Studio" in out and path.read_bytes() == before

    # the user takes Label Studio's version; theirs is in the backups
    out = run("pull", "--project", project_title, "--replace-local")
    assert len(json.loads(path.read_text())["annotations"][0]["entities"]) == 2
    backups = list((tmp_path / "build" / "pull-backups").rglob("edited.json"))
    assert any(json.loads(b.read_text())["annotations"][0]["entities"][0]["label"] == "ORG" for b in backups)


def test_changed_text_under_spans_is_a_conflict_not_a_silent_merge(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    cli_env: Connection,
) -> None:  # fmt: skip
    task = {
        "data": {"doc_id": "moved", "text": TEXT},
        "annotations": [{"result": [region("p1", "Lloyd Austin", "PERSON")]}],
    }
    push_tasks(ls_conn, labels, [task], project_title, tmp_path / "build")
    monkeypatch.chdir(tmp_path)
    run("pull", "--project", project_title)
    other = "Breaking: " + TEXT
    task2 = {
        "data": {"doc_id": "moved", "text": other},
        "annotations": [{"result": [region("p1", "Lloyd Austin", "PERSON", other)]}],
    }
    client(ls_conn).projects.import_tasks(
        id=find_project(client(ls_conn), ls_conn.url, project_title).id, request=[task2]
    )
    before = (tmp_path / "annotations" / "moved.json").read_bytes()
    out = run("pull", "--project", project_title, code=1)
    assert "text of document 'moved' changed in Label Studio" in out
    assert (tmp_path / "annotations" / "moved.json").read_bytes() == before


def test_token_and_password_never_leave_the_env_file(
    ls_conn: Connection, workdir: Path, project_title: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole round through .env: the secrets are in no output and no file but .env itself."""
    password = "pw-" + uuid.uuid4().hex
    env = workdir / ".env"
    env.write_text(
        f"LABEL_STUDIO_URL={ls_conn.url}\nLABEL_STUDIO_API_KEY={ls_conn.api_key}\nLABEL_STUDIO_PASSWORD={password}\n"
    )
    env.chmod(0o600)
    outputs = [
        run("ingest", "examples/seeds"),
        run("tasks", "--pre-annotate", "--model", "none"),
        run("push", "build/tasks.jsonl", "--annotations", "annotations", "--project", project_title),
        run("pull", "--project", project_title),
        run("validate", "annotations"),
        run("agreement"),
        run("export", "annotations", "-o", "dist/x"),
        run("release", "--version", "9.0.0", "-o", "dist/y", "--releases", "rel"),
        run("label-studio", "login"),  # prints the password on purpose: the one command that does
    ]
    secrets = [ls_conn.api_key, password]
    assert not any(s in out for out in outputs[:-1] for s in secrets)
    leaks = [p for p in files_under(workdir) if p != env and any(s.encode() in p.read_bytes() for s in secrets)]
    assert leaks == []
