"""A person annotating in a real Chromium: push -> log in -> drag spans -> relate -> submit -> pull ->
validate -> export -> `datasets.load_dataset`, on a text with an emoji and a CRLF line end."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from datasets import load_dataset
from test_watch import DEADLINE, watching

from toolkit.cli import main
from toolkit.labelschema import LabelSchema
from toolkit.labelstudio.settings import Connection

from helpers import client, find_project, push_tasks
from lsbrowser import CHROMIUM, REGION, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]

TEXT = (
    "Pyongyang 😀 (state media) reported the trip on Tuesday.\r\n"
    "North Korean leader Kim Jong-un visited Russia, where he held talks.\r\n"
)
SOURCE, DATE = "KCNA-TEST", "2024-09-13"
DOCS_SCREENSHOT = "TOOLKIT_DOCS_SCREENSHOT"  # e.g. docs/labeling.png: `make screenshot`
DOCS_PROBLEMS = "TOOLKIT_DOCS_PROBLEMS"  # e.g. docs/problems.png: `make screenshot`


@pytest.fixture
def browser_ready() -> None:
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")


def run(runner: CliRunner, *args: str) -> str:
    res = runner.invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_annotate_in_browser_then_pull_validate_export_load(
    browser_ready: None,
    ls_conn: Connection,
    ls_login: tuple[str, str],
    labels: LabelSchema,
    project_title: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli_env: Connection,
) -> None:
    docs_shot = Path(os.environ[DOCS_SCREENSHOT]).resolve() if os.environ.get(DOCS_SCREENSHOT) else None
    monkeypatch.chdir(tmp_path)
    article = {"id": "browser-1", "text": TEXT, "source": SOURCE, "date": DATE}
    Path("articles.jsonl").write_bytes(orjson.dumps(article) + b"\n")
    runner = CliRunner()
    run(runner, "ingest", "articles.jsonl")
    run(runner, "tasks")
    run(runner, "push", "build/tasks.jsonl", "--project", project_title)
    ls = client(ls_conn)
    project = find_project(ls, ls_conn.url, project_title)
    (task,) = list(ls.tasks.list(project=project.id))
    assert task.data["text"] == TEXT

    started = time.monotonic()
    with logged_in_page(ls_conn.url, ls_login, tmp_path / "labeling-failure.png") as (page, ui):
        instructions = ui.label_all_tasks(project.id)  # the guidelines come before the first task
        for name in [*labels.entity_names, *labels.relation_names]:
            assert name in instructions.inner_text()
        ui.open_task(project.id, task.id)
        page.locator(".lsf-labels .lsf-label").nth(len(labels.entities) - 1).wait_for()
        header = page.get_by_text(f"{SOURCE} · {DATE}")  # the header above the text, drawn as the page settles
        header.wait_for(state="visible", timeout=15_000)
        assert header.is_visible()
        chips = [" ".join(t.split()) for t in page.locator(".lsf-labels .lsf-label").all_inner_texts()]
        assert chips == [f"{e['name']} {e['hotkey']}" for e in labels.entities]
        ui.label_span("Kim Jong-un", "p")
        ui.label_span("Russia", "g", inset=1)  # the mouse covers "ussi"
        assert page.locator(REGION).all_inner_texts() == ["Kim Jong-un", "Russia"]  # snapped to words
        ui.relate("Kim Jong-un", "Russia", "visits")
        page.keyboard.press("Escape")  # unselect the region: the picture shows what is stored
        page.mouse.move(0, 0)
        page.screenshot(path=str(tmp_path / "labeled.png"))
        if docs_shot:
            shutil.copyfile(tmp_path / "labeled.png", docs_shot)
        stored = ui.submit(task.id)
    print(f"browser part: {time.monotonic() - started:.1f} s")
    rel = [r for r in stored["result"] if r["type"] == "relation"]
    assert len(stored["result"]) == 3 and rel[0]["labels"] == ["visits"]

    run(runner, "pull", "--project", project_title)
    assert "valid" in run(runner, "validate", "annotations")
    run(runner, "export", "annotations")
    ds = load_dataset("dist/news-relations", split="train")
    assert ds.num_rows == 1
    row = ds[0]
    assert row["text"] == TEXT and (row["source"], row["date"]) == (SOURCE, DATE)
    ent_names = ds.features["entities"].feature["label"].names
    rel_names = ds.features["relations"].feature["label"].names
    got = sorted((e["start"], e["end"], e["text"], ent_names[e["label"]]) for e in row["entities"])
    kim, russia = TEXT.index("Kim Jong-un"), TEXT.index("Russia")  # code points: emoji 1, CRLF 2
    assert got == [(kim, kim + 11, "Kim Jong-un", "PERSON"), (russia, russia + 6, "Russia", "GPE")]
    rels = [
        (row["entities"][r["head"]]["text"], rel_names[r["label"]], row["entities"][r["tail"]]["text"])
        for r in row["relations"]
    ]
    assert rels == [("Kim Jong-un", "visits", "Russia")]


def test_pre_annotations_are_there_when_the_task_opens(
    browser_ready: None,
    ls_conn: Connection,
    ls_login: tuple[str, str],
    labels: LabelSchema,
    workdir: Path,
    project_title: str,
    cli_env: Connection,
) -> None:
    """The annotator starts from the predictions, drawn in each label's colour."""
    runner = CliRunner()
    run(runner, "ingest", "examples/seeds")
    assert "57 span(s)" in run(runner, "tasks", "--pre-annotate", "--model", "none")
    run(runner, "push", "build/tasks.jsonl", "--project", project_title)
    ls = client(ls_conn)
    project = find_project(ls, ls_conn.url, project_title)
    (task,) = list(ls.tasks.list(project=project.id))
    with logged_in_page(ls_conn.url, ls_login, workdir / "labeling-failure.png") as (page, ui):
        ui.open_task(project.id, task.id)
        assert page.get_by_text("MENAFN · 2024-05-01").is_visible()
        page.locator(REGION).nth(56).wait_for(state="attached")
        assert page.locator(REGION).count() == 57
        colour = ui.region("Lloyd Austin").evaluate("e => getComputedStyle(e).backgroundColor")
        person = labels.entities[labels.entity_names.index("PERSON")]["color"]
        rgb = ", ".join(str(int(person[i : i + 2], 16)) for i in (1, 3, 5))
        assert rgb in colour, (colour, person)


def wait_shown(ui: Any, project: int, task: int, present: bool, since: float) -> tuple[str, float]:
    """Reopen the task until the problems line is there (or gone); the deadline counts from `since`."""
    while True:
        text = ui.shown_problems(project, task)
        if bool(text) == present:
            return text, time.monotonic() - since
        assert time.monotonic() - since < DEADLINE, f"not {'shown' if present else 'cleared'} within {DEADLINE} s"
        time.sleep(0.2)


def test_problems_appear_on_the_task_within_seconds_and_go_when_fixed(
    browser_ready: None,
    ls_conn: Connection,
    ls_login: tuple[str, str],
    labels: LabelSchema,
    project_title: str,
    tmp_path: Path,
) -> None:
    """Submit a visits relation GPE → DATE: the reopened task names both spans within 10 s; delete the
    relation and update: the message goes. Every key the guidelines name is the one pressed here."""
    docs_shot = Path(os.environ[DOCS_PROBLEMS]).resolve() if os.environ.get(DOCS_PROBLEMS) else None
    text = "Pyongyang announced on Wednesday that Kim Jong-un would visit Moscow."
    task = {"data": {"doc_id": "problems-1", "text": text, "header": "KCNA-TEST · 2024-09-13"}}
    push_tasks(ls_conn, labels, [task], project_title, tmp_path)
    ls = client(ls_conn)
    project = find_project(ls, ls_conn.url, project_title)
    (made,) = list(ls.tasks.list(project=project.id))
    with (
        watching(ls_conn, labels, project_title, tmp_path) as (watcher, lines),
        logged_in_page(ls_conn.url, ls_login, tmp_path / "problems-failure.png") as (page, ui),
    ):
        assert watcher.mode == "webhook", lines
        guide = ui.label_all_tasks(project.id).inner_text()
        assert "How to label on this page" in guide and "Alt+R" in guide and "no working key" in guide
        ui.open_task(project.id, made.id)
        assert ui.problems().count() == 0  # a task without the field renders, with no message
        ui.label_span("Wednesday", "d", inset=1)  # a drag from the text's very first character is flaky
        ui.label_span("Pyongyang", "g", inset=1)
        ui.label_span("Moscow", "g", inset=1)
        ui.delete_region_by_key("Moscow")  # Backspace deletes the selected span
        ui.relate_by_keys("Pyongyang", "Wednesday", "visits")
        page.keyboard.press("Escape")
        ui.submit(made.id)
        submitted = time.monotonic()
        message, shown = wait_shown(ui, project.id, made.id, True, submitted)
        print(f"problems shown {shown:.2f} s after Submit")
        assert "Pyongyang (GPE)" in message and "Wednesday (DATE)" in message and "visits" in message
        page.mouse.move(0, 0)
        page.screenshot(path=str(tmp_path / "problems.png"))
        if docs_shot:
            shutil.copyfile(tmp_path / "problems.png", docs_shot)
        ui.delete_relation()
        ui.update_by_keys()  # Ctrl+Enter
        updated = time.monotonic()
        _, cleared = wait_shown(ui, project.id, made.id, False, updated)
        print(f"problems cleared {cleared:.2f} s after Update")
    assert any(f"task {made.id} (doc problems-1): 1 problem" in line for line in lines), lines
