"""`toolkit watch`: problems shown on the task in a real Label Studio, by webhook and by polling; the
receiver's hostile-input handling; and that the problems field breaks nothing else."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.labelschema import PROBLEMS_KEY, LabelSchema, label_config, schema_from_config
from toolkit.labelstudio.settings import Connection
from toolkit.labelstudio.watch import (
    SECRET_HEADER,
    Receiver,
    Watcher,
    WatchSettings,
    loopback_webhook_env,
    register,
)
from toolkit.labelstudio.watch.hooks import DEFAULT_BANNED
from toolkit.records import Problem
from toolkit.validation import Checker

from helpers import client, find_project, push_tasks

# The session's Label Studio (tests/conftest.py) starts with the environment of the test run: let it
# post webhooks to 127.0.0.1 (and nowhere else reserved), as `make label-studio` does.
for _key, _value in loopback_webhook_env().items():
    os.environ.setdefault(_key, _value)

TEXT = "Kim Jong-un visited Pyongyang on Wednesday."
DEADLINE = 10.0  # seconds from Submit/Update to the message: the feature's definition


def span(rid: str, surface: str, label: str) -> dict[str, Any]:
    start = TEXT.index(surface)
    value = {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def relation(head: str, tail: str, label: str) -> dict[str, Any]:
    return {"from_id": head, "to_id": tail, "type": "relation", "direction": "right", "labels": [label]}


WRONG = [span("p", "Pyongyang", "GPE"), span("w", "Wednesday", "DATE"), relation("p", "w", "visits")]
RIGHT = [span("k", "Kim Jong-un", "PERSON"), span("p", "Pyongyang", "GPE"), relation("k", "p", "visits")]


# -- without Label Studio ---------------------------------------------------------------------------


def test_problems_text_names_spans_and_clears(labels: LabelSchema) -> None:
    from toolkit.labelstudio.watch import check_task

    checker = Checker(labels)
    task = {"id": 7, "data": {"doc_id": "d", "text": TEXT}, "annotations": [{"id": 3, "result": WRONG}]}
    task["predictions"] = [{"result": WRONG}]  # predictions are not the annotator's to fix
    bad = check_task(checker, task)
    assert bad.problems == 1 and "Pyongyang (GPE) → Wednesday (DATE)" in bad.text
    assert bad.data(task["data"]) == {**task["data"], PROBLEMS_KEY: bad.text}
    assert bad.data({**task["data"], PROBLEMS_KEY: bad.text}) is None  # already shown: nothing to write
    good = check_task(checker, {**task, "annotations": [{"id": 3, "result": RIGHT}], "predictions": []})
    assert good.problems == 0 and good.text == ""
    assert good.data({**task["data"], PROBLEMS_KEY: bad.text}) == task["data"]  # cleared: the field is removed
    assert good.data(task["data"]) is None


def test_problems_text_is_bounded_and_names_the_annotation() -> None:
    from toolkit.labelstudio.watch import problems_text

    many = [Problem("relation-type", "d", f"$.annotations[{i % 2}].result[0]", "x" * 1000) for i in range(30)]
    text = problems_text(many, [11, 12])
    lines = text.splitlines()
    assert lines[0].startswith("⚠ 30 problems") and lines[-1].startswith("… and 10 more")
    assert len(lines) == 22 and max(len(line) for line in lines) <= 402
    assert lines[1].startswith("• annotation #11: ") and lines[2].startswith("• annotation #12: ")


def test_config_shows_the_field_above_the_text_and_reads_back(labels: LabelSchema) -> None:
    xml = label_config(labels)
    lines = xml.splitlines()
    shown = next(i for i, line in enumerate(lines) if f'value="${PROBLEMS_KEY}"' in line)
    text = next(i for i, line in enumerate(lines) if line.strip().startswith("<Text "))
    assert shown == text - 1 and "<Header " in lines[shown] and " name=" not in lines[shown]
    back = schema_from_config(xml, "config.xml", "news")
    assert back["controls"]["value"] == "text" and len(back["entities"]) == len(labels.entities)


def test_loopback_exemption_is_127_0_0_1_alone() -> None:
    env = loopback_webhook_env()
    banned = [ipaddress.ip_network(n) for n in env["LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS"].split(",")]
    assert env["LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS"] == "false"

    def is_banned(ip: str) -> bool:
        return any(ipaddress.ip_address(ip) in n for n in banned)

    assert not is_banned("127.0.0.1")
    for ip in ("127.0.0.2", "127.255.255.255", "127.0.0.0", "10.1.2.3", "192.168.1.1", "169.254.169.254", "::1"):
        assert is_banned(ip), ip
    for net in DEFAULT_BANNED:  # every default range is still banned, but for the one address
        first = ipaddress.ip_network(net)[0]
        assert is_banned(str(first)) or str(first) == "127.0.0.1" or net == "127.0.0.0/8", net


@contextmanager
def receiver(project: int = 5) -> Iterator[tuple[Receiver, list[int]]]:
    got: list[int] = []
    rec = Receiver("127.0.0.1", 0, "/toolkit-watch/5", "s3cret", project, got.append)
    rec.start()
    try:
        yield rec, got
    finally:
        rec.close()


def post(rec: Receiver, body: bytes, headers: dict[str, str] | None = None, path: str = "/toolkit-watch/5") -> int:
    host, port = rec.server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=10)
    try:
        conn.request("POST", path, body=body, headers={SECRET_HEADER: "s3cret", **(headers or {})})
        return conn.getresponse().status
    finally:
        conn.close()


def event(**over: Any) -> bytes:
    body = {"action": "ANNOTATION_CREATED", "annotation": {"id": 1, "task": 9, "project": 5}, "task": {"id": 9}}
    return json.dumps({**body, **over}).encode()


def test_receiver_accepts_an_event_and_refuses_hostile_input() -> None:
    with receiver() as (rec, got):
        assert post(rec, event()) == 200
        assert got == [9]
        assert post(rec, event(), {SECRET_HEADER: "wrong"}) == 403
        assert post(rec, event(), path="/elsewhere") == 404
        for body in (
            b"not json",
            b"\xff\xfe",
            b"[]",
            b'"x"',
            b"{}",
            event(action="PROJECT_DELETED"),
            event(task={"id": True}, annotation={}),
            event(task={"id": "9"}, annotation={}),
            event(task={"id": -3}, annotation={}),
            event(annotation={"task": 9, "project": 6}),  # another project's task
            b'{"a":' * 100_000,  # deeply nested
        ):
            assert post(rec, body) == 400, body[:40]
        assert post(rec, b"{}", {"Content-Length": str(1 << 40)}) == 413
        host, port = rec.server.server_address[:2]
        with socket.create_connection((str(host), int(port)), timeout=10) as raw:  # garbage, then hang up
            raw.sendall(b"\x00\x01 garbage in the request line HTTP/1.1\r\n\r\n")
            assert raw.recv(4096).startswith(b"HTTP/1.0 400")
        assert post(rec, event()) == 200  # still serving
        assert got == [9, 9]


# -- with Label Studio ------------------------------------------------------------------------------


@contextmanager
def watching(conn: Connection, labels: LabelSchema, title: str, workdir: Path, **settings: Any) -> Iterator[Any]:
    lines: list[str] = []
    watcher = Watcher(conn, labels, WatchSettings(title, workdir, **settings), lines.append)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            watcher.run(stop)
        except BaseException as exc:  # shown by the test, not lost in a thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(lambda: watcher.mode or errors, 60, "the watcher to start")
    try:
        yield watcher, lines
    finally:
        stop.set()
        thread.join(30)
        assert not errors, errors
        assert not thread.is_alive()


def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds:g} s for {what}")


def problems_of(ls: Any, task_id: int) -> str | None:
    value = ls.tasks.get(str(task_id)).data.get(PROBLEMS_KEY)
    return value if isinstance(value, str) else None


def setup_task(ls_conn: Connection, labels: LabelSchema, title: str, tmp_path: Path) -> tuple[Any, Any, Any]:
    push_tasks(ls_conn, labels, [{"data": {"doc_id": "watch-1", "text": TEXT}}], title, tmp_path)
    ls = client(ls_conn)
    project = find_project(ls, ls_conn.url, title)
    (task,) = list(ls.tasks.list(project=project.id))
    return ls, project, task


def annotate_and_fix(ls: Any, task: Any) -> float:
    """As an annotator would through the API: a wrong relation, then the fix; returns the slower delay."""
    started = time.monotonic()
    ann = ls.annotations.create(id=task.id, result=WRONG)
    message = wait_for(lambda: problems_of(ls, task.id), DEADLINE, "the problems to be shown")
    shown = time.monotonic() - started
    assert "visits cannot link Pyongyang (GPE) → Wednesday (DATE)" in message
    started = time.monotonic()
    ls.annotations.update(id=ann.id, result=RIGHT)
    wait_for(lambda: problems_of(ls, task.id) is None, DEADLINE, "the problems to be cleared")
    return max(shown, time.monotonic() - started)


@pytest.mark.labelstudio
def test_webhook_shows_and_clears_problems_and_registers_once(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    ls, project, task = setup_task(ls_conn, labels, project_title, tmp_path)
    with watching(ls_conn, labels, project_title, tmp_path) as (watcher, lines):
        assert watcher.mode == "webhook", lines
        delay = annotate_and_fix(ls, task)
        print(f"webhook: problems shown/cleared within {delay:.2f} s")
        hooks = [h for h in ls.webhooks.list(project=str(project.id)) if "/toolkit-watch/" in h.url]
        assert len(hooks) == 1
        from toolkit.labelstudio.api import Api

        with Api(ls_conn) as api:  # a restart on another port reuses the same webhook
            again = register(api, project.id, f"http://127.0.0.1:1/toolkit-watch/{project.id}", "x")
        assert again == hooks[0].id
    assert any(line.startswith("mode: webhook") for line in lines)
    assert any(f"task {task.id} (doc watch-1): 1 problem (shown on the task)" in line for line in lines)
    assert any(f"task {task.id} (doc watch-1): 0 problems (cleared on the task)" in line for line in lines)
    assert not [h for h in ls.webhooks.list(project=str(project.id)) if "/toolkit-watch/" in h.url]  # removed on stop


@pytest.mark.labelstudio
def test_polling_when_the_webhook_is_refused(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path
) -> None:
    """127.0.0.2 is a loopback address Label Studio's SSRF protection still refuses: polling takes over."""
    ls, project, task = setup_task(ls_conn, labels, project_title, tmp_path)
    with watching(ls_conn, labels, project_title, tmp_path, host="127.0.0.2", interval=1.0) as (watcher, lines):
        assert watcher.mode == "polling", lines
        assert "did not accept a webhook" in lines[-1] and "SSRF" in lines[-1]
        delay = annotate_and_fix(ls, task)
        print(f"polling: problems shown/cleared within {delay:.2f} s")
    assert not list(ls.webhooks.list(project=str(project.id)))


@pytest.mark.labelstudio
def test_the_problems_field_breaks_nothing(
    workdir: Path, cli_env: Connection, labels: LabelSchema, project_title: str
) -> None:
    """Tasks without the field import; pull and validate ignore it; a second push sees no changed text."""
    runner = CliRunner()

    def run(*args: str) -> str:
        res = runner.invoke(main, list(args), catch_exceptions=False)
        assert res.exit_code == 0, res.output
        return res.output

    Path("a.jsonl").write_text(json.dumps({"id": "watch-1", "text": TEXT}) + "\n")
    run("ingest", "a.jsonl")
    run("tasks")
    run("push", "build/tasks.jsonl", "--project", project_title)
    ls = client(cli_env)
    project = find_project(ls, cli_env.url, project_title)
    (task,) = list(ls.tasks.list(project=project.id))
    ls.annotations.create(id=task.id, result=WRONG)
    with watching(cli_env, labels, project_title, workdir / "build", poll_only=True, interval=0.5):
        wait_for(lambda: problems_of(ls, task.id), DEADLINE, "the problems to be shown")
    assert "unchanged" in run("push", "build/tasks.jsonl", "--project", project_title)
    run("pull", "--project", project_title)
    doc = json.loads((workdir / "annotations" / "watch-1.json").read_text())
    assert PROBLEMS_KEY not in json.dumps(doc.get("meta", {})) and "visits cannot link" not in json.dumps(doc)
    res = runner.invoke(main, ["validate", "annotations/watch-1.json"])
    assert res.exit_code == 1 and "visits cannot link Pyongyang (GPE) → Wednesday (DATE)" in res.output
    assert len(list(ls.tasks.list(project=project.id))) == 1


def test_a_hostile_doc_id_is_printed_safely(labels: LabelSchema) -> None:
    from toolkit.labelstudio.watch import check_task

    task = {"id": 1, "data": {"doc_id": "\x1b[2Jevil\n" + "x" * 500, "text": TEXT}, "annotations": []}
    checked = check_task(Checker(labels), task)
    assert checked.doc_id.isprintable() and "\x1b" not in checked.doc_id and len(checked.doc_id) < 120
    assert checked.problems == 0 and checked.text == ""
