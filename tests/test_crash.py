"""Nothing lost: SIGKILL the toolkit (and Label Studio) at several points, run again, check the state.

After every kill and rerun: the project holds exactly one task per document, annotations/ holds
only complete, valid files with every annotation, and no temporary file is left behind. Two
commands writing the same thing at once never duplicate and never interleave.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit.labelstudio.server import free_port, start, stop
from toolkit.labelstudio.settings import Connection

from helpers import REPO, client, find_project, finish

pytestmark = pytest.mark.labelstudio
TEXT = "Lloyd Austin met Kim Jong-un in Pyongyang. " + "Filler words follow here. " * 40
KILL_AFTER = [0.4, 1.0, 1.8]  # seconds; fixed, so a failure is reproducible


def task(i: int, annotated: bool) -> dict:
    value = {"start": 0, "end": 12, "text": "Lloyd Austin", "labels": ["PERSON"]}
    result = [{"id": "p", "from_name": "label", "to_name": "text", "type": "labels", "value": value}]
    extra = {"annotations": [{"result": result}]} if annotated else {}
    return {"data": {"doc_id": f"k-{i:05d}", "text": TEXT}, **extra}


def toolkit(cwd: Path, conn: Connection, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LABEL_STUDIO_URL": conn.url, "LABEL_STUDIO_API_KEY": conn.api_key}
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def kill_after(proc: subprocess.Popen[str], seconds: float) -> None:
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def doc_ids(conn: Connection, title: str) -> list[str]:
    ls = client(conn)
    project = find_project(ls, conn.url, title)
    return [t.data["doc_id"] for t in ls.tasks.list(project=project.id, page_size=1000)] if project else []


def assert_complete(folder: Path, n: int) -> None:
    files = sorted(folder.glob("*.json"))
    assert len(files) == n
    for f in files:
        doc = json.loads(f.read_text())  # every file is whole
        assert len(doc["annotations"]) == 1
    assert not list(folder.glob(".*.tmp")), "a temporary file was left behind"


def test_killed_push_pull_and_import_converge(ls_conn: Connection, project_title: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "tasks.jsonl").write_text("".join(json.dumps(task(i, True)) + "\n" for i in range(1500)))
    for delay in KILL_AFTER:
        kill_after(toolkit(work, ls_conn, "push", "tasks.jsonl", "--project", project_title), delay)
    finish(toolkit(work, ls_conn, "push", "tasks.jsonl", "--project", project_title))
    ids = doc_ids(ls_conn, project_title)
    assert len(ids) == 1500 == len(set(ids))  # exactly one task per document

    for delay in KILL_AFTER:
        kill_after(toolkit(work, ls_conn, "pull", "--project", project_title), delay)
    out = finish(toolkit(work, ls_conn, "pull", "--project", project_title))
    assert_complete(work / "annotations", 1500)
    assert "valid: 1500 record(s)" in finish(toolkit(work, ls_conn, "validate", "annotations"))
    assert "0 new" in finish(toolkit(work, ls_conn, "pull", "--project", project_title, "--full")) or "0 new" in out

    export = work / "build" / "labelstudio"
    full = max(export.glob("export-*.json"), key=lambda p: p.stat().st_size)  # the --full export
    for delay in KILL_AFTER:
        kill_after(toolkit(work, ls_conn, "import", str(full), "-o", "imported"), delay)
    finish(toolkit(work, ls_conn, "import", str(full), "-o", "imported"))
    assert_complete(work / "imported", 1500)


def test_two_pushes_at_once_never_duplicate(ls_conn: Connection, project_title: str, tmp_path: Path) -> None:
    for name in ("a", "b"):  # two working folders, as two terminals would have
        (tmp_path / name).mkdir()
        (tmp_path / name / "tasks.jsonl").write_text("".join(json.dumps(task(i, False)) + "\n" for i in range(2000)))
    procs = [toolkit(tmp_path / n, ls_conn, "push", "tasks.jsonl", "--project", project_title) for n in "ab"]
    outs = [finish(p) for p in procs]
    ids = doc_ids(ls_conn, project_title)
    assert len(ids) == 2000 == len(set(ids)), outs
    assert sorted(int(o.split("(created)" if "(created)" in o else "(updated)")[1].split()[1]) for o in outs) == [
        0,
        2000,
    ]


def test_two_pulls_into_one_folder_take_turns(ls_conn: Connection, project_title: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "tasks.jsonl").write_text("".join(json.dumps(task(i, True)) + "\n" for i in range(600)))
    finish(toolkit(work, ls_conn, "push", "tasks.jsonl", "--project", project_title))
    (tmp_path / "other").mkdir()  # another folder with its own build/: both pulls export everything
    procs = [
        toolkit(d, ls_conn, "pull", "--project", project_title, "-o", str(work / "annotations"))
        for d in (work, tmp_path / "other")
    ]
    outs = [finish(p) for p in procs]
    assert_complete(work / "annotations", 600)
    assert any("waiting for it to finish" in o for o in outs) or all("600" in o for o in outs), outs


def test_label_studio_killed_mid_push_and_mid_pull(tmp_path: Path) -> None:
    """Its own server (SQLite), killed twice; after each restart the same command completes the work."""
    data, port, token = tmp_path / "ls", free_port(), secrets.token_hex(20)
    binary = REPO / ".venv-ls" / "bin" / "label-studio"
    info = start(data, port, "crash@example.com", secrets.token_urlsafe(12), token, binary)
    conn = Connection(info.url, token)
    work = tmp_path / "work"
    work.mkdir()
    (work / "tasks.jsonl").write_text("".join(json.dumps(task(i, True)) + "\n" for i in range(2500)))
    try:
        push = toolkit(work, conn, "push", "tasks.jsonl", "--project", "crash")
        time.sleep(1.2)
        os.killpg(info.pid, signal.SIGKILL)
        out = finish(push, code=3)
        assert "cannot reach Label Studio" in out or "refused" in out
        (data / "server.pid").unlink(missing_ok=True)
        info = start(data, port, "crash@example.com", "x" * 12, token, binary)
        out = finish(toolkit(work, conn, "push", "tasks.jsonl", "--project", "crash"))
        ids = doc_ids(conn, "crash")
        assert len(ids) == 2500 == len(set(ids)), out

        pull = toolkit(work, conn, "pull", "--project", "crash")
        time.sleep(1.5)
        os.killpg(info.pid, signal.SIGKILL)
        finish(pull, code=3)
        (data / "server.pid").unlink(missing_ok=True)
        info = start(data, port, "crash@example.com", "x" * 12, token, binary)
        finish(toolkit(work, conn, "pull", "--project", "crash"))
        assert_complete(work / "annotations", 2500)
    finally:
        stop(data)
