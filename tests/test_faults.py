"""Transient faults are retried, permanent ones explained: faults injected on the network, in front of a
real Label Studio (a TCP proxy), and servers that are not Label Studio at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from faultproxy import odd_server, proxy

from toolkit.cli import main
from toolkit.labelschema import LabelSchema
from toolkit.labelstudio.settings import Connection

from helpers import client, find_project, push_tasks, run

TEXT = "Lloyd Austin met Kim Jong-un in Pyongyang."


def tasks(n: int, annotated: bool = True) -> list[dict]:
    value = {"start": 0, "end": 12, "text": "Lloyd Austin", "labels": ["PERSON"]}
    result = [{"id": "p", "from_name": "label", "to_name": "text", "type": "labels", "value": value}]
    return [
        {
            "data": {"doc_id": f"f-{i:04d}", "text": TEXT + " " + "filler " * 300},
            **({"annotations": [{"result": result}]} if annotated else {}),
        }
        for i in range(n)
    ]


def use(monkeypatch: pytest.MonkeyPatch, url: str, key: str, retry: str = "30") -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key)
    monkeypatch.setenv("LABEL_STUDIO_RETRY_SECONDS", retry)


@pytest.mark.labelstudio
def test_resets_gateway_errors_delays_and_a_cut_export_are_retried(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_tasks(ls_conn, labels, tasks(300), project_title, tmp_path / "seed-build")
    monkeypatch.chdir(tmp_path)
    # a reset, a 503, a connection cut 100 kB into the full export, then a slow reconnection
    with proxy(ls_conn.url, ["reset", "503", "cut:100000", "delay:1"]) as p:
        use(monkeypatch, p.url, ls_conn.api_key)
        res = CliRunner().invoke(main, ["pull", "--project", project_title])
    assert res.exit_code == 0, res.output
    assert "300 file(s) written" in res.output
    notes = [line for line in res.output.splitlines() if "retrying" in line]
    assert any("HTTP 503" in n for n in notes) and any("broke off" in n for n in notes), notes
    assert p.log[:4] == ["reset", "503", "cut:100000", "delay:1"]
    assert run("validate", "annotations").startswith("valid: 300 record(s)")


@pytest.mark.labelstudio
def test_an_import_whose_answer_is_lost_is_not_sent_twice(
    ls_conn: Connection, labels: LabelSchema, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks(50, annotated=False)))
    with proxy(ls_conn.url, ["lose-import"]) as p:
        use(monkeypatch, p.url, ls_conn.api_key)
        out = run("push", "tasks.jsonl", "--project", project_title)
    assert "50 task(s) created" in out and "checking whether the batch landed" in out
    ls = client(ls_conn)
    project = find_project(ls, ls_conn.url, project_title)
    doc_ids = [t.data["doc_id"] for t in ls.tasks.list(project=project.id, page_size=200)]
    assert len(doc_ids) == 50 == len(set(doc_ids))  # landed once, never duplicated


@pytest.mark.labelstudio
def test_a_server_that_keeps_failing_gets_a_clear_error(
    ls_conn: Connection, project_title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with proxy(ls_conn.url, ["reset"] * 1000) as p:
        use(monkeypatch, p.url, ls_conn.api_key, retry="3")
        out = run("pull", "--project", project_title, code=3)
    assert "cannot reach Label Studio" in out and "gave up after" in out


NOT_LS = (404, "text/html", b"<html><body><h1>Not Found</h1><p>nginx</p></body></html>")
VERSION = (200, "application/json", b'{"release": "1.23.2"}')


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        ({}, "does not look like Label Studio"),  # a web server that is something else
        (
            {"/api/version": VERSION, "/api/projects": (200, "application/json", b'{"results": "nope"}')},
            "without a list",
        ),
        ({"/api/version": VERSION, "/api/projects": (200, "application/json", b"[1, 2, 3]")}, "without a list"),
        ({"/api/version": VERSION, "/api/projects": (200, "text/plain", b"hello")}, "not JSON"),
        ({"/api/version": (401, "application/json", b'{"detail": "Invalid token."}')}, "LABEL_STUDIO_API_KEY"),
        ({"/api/version": (403, "application/json", b"{}")}, "LABEL_STUDIO_API_KEY"),
    ],
)
def test_servers_that_are_not_label_studio(
    routes: dict, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with odd_server(routes, NOT_LS) as url:
        use(monkeypatch, url, "some-token", retry="2")
        out = run("pull", "--project", "x", code=3)
    assert expected in out and "<html" not in out and "some-token" not in out
    assert len(out.strip().splitlines()) == 1  # one line, no response body dumped


def test_credentials_in_the_url_are_never_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with odd_server({}, NOT_LS) as url:
        host = url.removeprefix("http://")
        use(monkeypatch, f"http://alice:s3cret-pass@{host}", "tok", retry="2")
        out = run("pull", "--project", "x", code=3)
    assert "s3cret-pass" not in out and "alice" not in out and "***@" in out


def test_plain_http_to_another_machine_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    use(monkeypatch, "http://labelstudio.invalid:8080", "tok", retry="1")
    out = run("pull", "--project", "x", code=3)
    assert "travels in clear text" in out and "cannot reach Label Studio" in out
