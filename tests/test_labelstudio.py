"""Against a real Label Studio: push idempotency, annotate through the API, pull, validate, export, load."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasets import load_dataset

from toolkit.cli import main
from toolkit.ingest import parse_article_text
from toolkit.labelschema import LabelSchema, label_config
from toolkit.labelstudio.pull import pull
from toolkit.labelstudio.server import healthy
from toolkit.labelstudio.settings import Connection
from toolkit.labelstudio.tasks import article_task
from toolkit.records.labelstudio import pseudonym
from toolkit.validation import validate_paths

from helpers import client, find_project, push_tasks

pytestmark = pytest.mark.labelstudio
TEXT = "Lloyd Austin met Kim Jong-un in Pyongyang 😀.\r\nRussia denied it."


def region(rid: str, text: str, surface: str, label: str) -> dict:
    start = text.index(surface)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]},
    }


def seed_task(doc_id: str = "art-1", text: str = TEXT) -> dict:
    task = article_task(parse_article_text(text, doc_id))
    task["data"].update(source="TEST", date="2024-01-01")
    return task


def project_tasks(conn: Connection, title: str) -> list:
    ls = client(conn)
    project = find_project(ls, conn.url, title)
    return list(ls.tasks.list(project=project.id))


def test_push_creates_project_from_schema_and_is_idempotent(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    tasks = [seed_task("a"), seed_task("b", "Second article."), seed_task("c", "Third one.")]
    first = push_tasks(ls_conn, labels, tasks, project_title, tmp_path / "build")
    assert (first.created_project, first.created) == (True, 3)
    second = push_tasks(ls_conn, labels, [*tasks, seed_task("d", "A fourth.")], project_title, tmp_path / "build")
    assert (second.created_project, second.created, second.unchanged) == (False, 1, 3)
    assert sorted(t.data["doc_id"] for t in project_tasks(ls_conn, project_title)) == ["a", "b", "c", "d"]
    ls = client(ls_conn)
    project = ls.projects.get(find_project(ls, ls_conn.url, project_title).id)
    assert project.label_config.strip() == label_config(labels).strip()
    assert "holds_role" in project.expert_instruction and project.show_instruction


def test_changed_text_of_annotated_task_is_a_conflict_not_an_overwrite(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    push_tasks(ls_conn, labels, [seed_task("x")], project_title, tmp_path / "build")
    (task,) = project_tasks(ls_conn, project_title)
    client(ls_conn).annotations.create(id=task.id, result=[region("p1", TEXT, "Lloyd Austin", "PERSON")])
    result = push_tasks(ls_conn, labels, [seed_task("x", "Edited text.")], project_title, tmp_path / "build")
    assert result.conflicts and "x" in result.conflicts[0]
    assert project_tasks(ls_conn, project_title)[0].data["text"] == TEXT


def test_annotate_pull_validate_export_load(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    push_tasks(ls_conn, labels, [seed_task()], project_title, tmp_path / "build")
    (task,) = project_tasks(ls_conn, project_title)
    ls = client(ls_conn)
    email = f"{project_title}@example.com"
    user = ls.users.create(email=email, username=project_title, password="x" * 12)
    result = [
        region("p1", TEXT, "Lloyd Austin", "PERSON"),
        region("p2", TEXT, "Kim Jong-un", "PERSON"),
        region("g1", TEXT, "Pyongyang", "GPE"),
        region("g2", TEXT, "Russia", "GPE"),
        {"from_id": "p1", "to_id": "p2", "type": "relation", "direction": "bi", "labels": ["meets_with"]},
        {"from_id": "g1", "to_id": "p2", "type": "relation", "direction": "left", "labels": ["visits"]},
    ]
    ls.annotations.create(id=task.id, result=result, completed_by=user.id)
    out = tmp_path / "annotations"
    pulled = pull(ls_conn, labels, out, project_title, tmp_path / "build")
    assert (pulled.tasks, pulled.files_written, pulled.annotations_added) == (1, 1, 1)
    raw = (out / "art-1.json").read_text()
    assert email not in raw and "@" not in raw
    doc = json.loads(raw)
    (ann,) = doc["annotations"]
    assert ann["annotator"] == pseudonym(email)
    assert {"head": "p2", "tail": "g1", "label": "visits", "symmetric": False} in ann["relations"]  # left swapped
    assert {"head": "p1", "tail": "p2", "label": "meets_with", "symmetric": True} in ann["relations"]
    report = validate_paths([out], labels)
    assert report.valid and report.entities == 4 and report.relations == 2
    runner = CliRunner()
    dist = tmp_path / "dist"
    res = runner.invoke(main, ["export", str(out), "-o", str(dist)])
    assert res.exit_code == 0, res.output
    ds = load_dataset(str(dist), split="train")
    row = ds[0]
    names = ds.features["entities"].feature["label"].names
    assert names == labels.entity_names
    assert ds.features["relations"].feature["label"].names == labels.relation_names
    got = {(e["text"], names[e["label"]]) for e in row["entities"]}
    assert got == {("Lloyd Austin", "PERSON"), ("Kim Jong-un", "PERSON"), ("Pyongyang", "GPE"), ("Russia", "GPE")}
    for e in row["entities"]:
        assert row["text"][e["start"] : e["end"]] == e["text"]  # code-point offsets survive emoji and CRLF
    rel_names = ds.features["relations"].feature["label"].names
    rels = {
        (row["entities"][r["head"]]["text"], rel_names[r["label"]], row["entities"][r["tail"]]["text"])
        for r in row["relations"]
    }
    assert rels == {("Lloyd Austin", "meets_with", "Kim Jong-un"), ("Kim Jong-un", "visits", "Pyongyang")}
    assert (row["source"], row["date"]) == ("TEST", "2024-01-01")


def test_pull_keeps_local_annotations_and_backs_up_changed_files(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    push_tasks(ls_conn, labels, [seed_task("keep")], project_title, tmp_path / "build")
    (task,) = project_tasks(ls_conn, project_title)
    ls = client(ls_conn)
    created = ls.annotations.create(id=task.id, result=[region("p1", TEXT, "Lloyd Austin", "PERSON")])
    out, work = tmp_path / "annotations", tmp_path / "build"
    pull(ls_conn, labels, out, project_title, work)
    path = out / "keep.json"
    doc = json.loads(path.read_text())
    local = dict(
        doc["annotations"][0],
        id="local-only",
        label_studio={},
        annotator="annotator-0000000000",
        entities=[
            {
                "id": "g",
                "start": TEXT.index("Russia"),
                "end": TEXT.index("Russia") + 6,
                "label": "GPE",
                "text": "Russia",
            }
        ],
    )
    doc["annotations"].append(local)
    path.write_text(json.dumps(doc))
    ls.annotations.update(
        id=created.id, result=[region("p1", TEXT, "Lloyd Austin", "PERSON"), region("g1", TEXT, "Pyongyang", "GPE")]
    )
    again = pull(ls_conn, labels, out, project_title, work)
    assert (again.annotations_updated, again.annotations_kept_local, again.annotations_added) == (1, 1, 0)
    merged = json.loads(path.read_text())
    assert [a["id"] for a in merged["annotations"]][1] == "local-only"
    assert len(merged["annotations"][0]["entities"]) == 2
    (backup,) = again.backups
    assert json.loads(Path(backup).read_text())["annotations"][1]["id"] == "local-only"
    third = pull(ls_conn, labels, out, project_title, work)  # incremental: nothing changed, nothing exported
    assert (third.tasks, third.files_written, third.backups, third.full) == (0, 0, [], False)
    full = pull(ls_conn, labels, out, project_title, work, full=True)
    assert (full.tasks, full.files_unchanged, full.files_written, full.full) == (1, 1, 0, True)


def test_cli_pipeline_pushes_committed_annotations_without_duplicates(
    ls_conn: Connection,
    workdir: Path,
    project_title: str,
    cli_env: Connection,
) -> None:
    runner = CliRunner()
    for args in (["ingest", "examples/seeds"], ["tasks"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
    for _ in range(2):
        res = runner.invoke(
            main, ["push", "build/tasks.jsonl", "--annotations", "annotations", "--project", project_title]
        )
        assert res.exit_code == 0, res.output
    assert "0 task(s) created, 1 unchanged" in res.output and "0 annotation(s) imported" in res.output
    (task,) = project_tasks(ls_conn, project_title)
    anns = client(ls_conn).annotations.list(id=task.id)
    assert len(anns) == 1 and len(anns[0].result) == 57 + 35
    res = runner.invoke(main, ["pull", "--project", project_title])
    assert res.exit_code == 0, res.output
    assert "0 new" in res.output  # the pushed annotation is recognised as the committed one
    assert runner.invoke(main, ["validate", "annotations"]).exit_code == 0
    assert runner.invoke(main, ["export", "annotations"]).exit_code == 0
    ds = load_dataset("dist/news-relations", split="train")
    assert sum(len(e) for e in ds["entities"]) == 57 and sum(len(r) for r in ds["relations"]) == 35


def test_wrong_token_is_a_clear_error(ls_conn: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "wrong-token")
    res = CliRunner().invoke(main, ["pull", "-o", "unused"])
    assert res.exit_code == 3
    assert "LABEL_STUDIO_API_KEY" in res.output and "wrong-token" not in res.output


def test_label_studio_start_writes_private_env_and_stop_stops(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite (the default): .env and the data folder are private, older loose modes included."""
    from toolkit.labelstudio.server import free_port

    if os.environ.get("LABEL_STUDIO_BIN") is None:
        monkeypatch.setenv(
            "LABEL_STUDIO_BIN", str(Path(__file__).resolve().parent.parent / ".venv-ls/bin/label-studio")
        )
    port = free_port()
    monkeypatch.setenv("LABEL_STUDIO_PORT", str(port))
    data = Path(".labelstudio")
    data.mkdir(mode=0o755)  # as an older toolkit left it: folder and log readable by everyone
    (data / "server.log").write_text("an older log\n")
    (data / "server.log").chmod(0o644)
    runner = CliRunner()
    res = runner.invoke(main, ["label-studio", "start"])
    try:
        assert res.exit_code == 0, res.output
        env = Path(".env")
        assert stat.S_IMODE(env.stat().st_mode) == 0o600
        assert f"SQLite in {data.resolve() / 'label_studio.sqlite3'}" in res.output
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert {"label_studio.sqlite3", "server.log", "server.pid"} <= set(modes) and "postgres" not in modes
        assert all(m & 0o077 == 0 for m in modes.values()), modes  # 600 files, 700 folders (export, media)
        assert modes["label_studio.sqlite3"] == modes["server.log"] == 0o600
        values = dict(line.split("=", 1) for line in env.read_text().splitlines() if "=" in line)
        assert len(values["LABEL_STUDIO_PASSWORD"]) >= 20 and len(values["LABEL_STUDIO_API_KEY"]) == 40
        assert values["LABEL_STUDIO_PASSWORD"] not in res.output and values["LABEL_STUDIO_API_KEY"] not in res.output
        url = f"http://127.0.0.1:{port}"
        assert url in res.output and healthy(url)
        monkeypatch.delenv("LABEL_STUDIO_PORT")
        ls = client(Connection(url, values["LABEL_STUDIO_API_KEY"]))
        assert ls.users.whoami().email == values["LABEL_STUDIO_USERNAME"]
        again = runner.invoke(main, ["label-studio", "start"])
        assert "already running" in again.output
    finally:
        stopped = runner.invoke(main, ["label-studio", "stop"])
    assert "stopped" in stopped.output
    assert not healthy(f"http://127.0.0.1:{port}")


def test_pull_repairs_utf16_offsets(
    ls_conn: Connection,
    labels: LabelSchema,
    project_title: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli_env: Connection,
) -> None:
    """Spans stored in UTF-16 units (as older Label Studio versions did) are found and converted."""
    push_tasks(ls_conn, labels, [seed_task("u16")], project_title, tmp_path / "build")
    (task,) = project_tasks(ls_conn, project_title)
    cp = TEXT.index("Russia")
    u16 = len(TEXT[:cp].encode("utf-16-le")) // 2
    assert u16 == cp + 1  # one emoji before it: two UTF-16 units, one code point
    bad = {
        "id": "g1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": u16, "end": u16 + 6, "text": "Russia", "labels": ["GPE"]},
    }
    client(ls_conn).annotations.create(id=task.id, result=[bad, region("p1", TEXT, "Lloyd Austin", "PERSON")])
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["pull", "--project", project_title, "-o", "plain"]).exit_code == 0
    res = runner.invoke(main, ["validate", "plain"])
    assert res.exit_code == 1 and "[utf16-offsets]" in res.output
    res = runner.invoke(main, ["pull", "--project", project_title, "-o", "fixed", "--repair-offsets"])
    assert res.exit_code == 0 and "repaired UTF-16 offsets of 1 span(s)" in res.output
    assert runner.invoke(main, ["validate", "fixed"]).exit_code == 0
    ents = json.loads((tmp_path / "fixed" / "u16.json").read_text())["annotations"][0]["entities"]
    assert {(e["start"], e["text"]) for e in ents} >= {(cp, "Russia")}
