"""Pre-annotations reach a real Label Studio as predictions, once per model_version."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.labelstudio.settings import Connection

from helpers import client, find_project

pytestmark = pytest.mark.labelstudio


def test_pre_annotated_tasks_become_predictions_once(
    ls_conn: Connection,
    workdir: Path,
    project_title: str,
    cli_env: Connection,
) -> None:
    runner = CliRunner()
    for args in (["ingest", "examples/seeds"], ["tasks", "--pre-annotate", "--model", "none"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
    outputs = []
    for _ in range(2):
        res = runner.invoke(main, ["push", "build/tasks.jsonl", "--project", project_title])
        assert res.exit_code == 0, res.output
        outputs.append(res.output)
    assert "1 prediction(s) imported" in outputs[0] and "0 prediction(s) imported" in outputs[1]
    ls = client(ls_conn)
    (task,) = list(ls.tasks.list(project=find_project(ls, ls_conn.url, project_title).id))
    (pred,) = ls.predictions.list(task=task.id)
    assert pred.model_version.startswith("toolkit-preannotate/") and pred.score == 1.0
    assert len(pred.result) == 57  # the gazetteer from annotations/ finds every mention of its own article


def test_predictions_reach_tasks_that_exist_already(
    ls_conn: Connection,
    workdir: Path,
    project_title: str,
    cli_env: Connection,
) -> None:
    """Tasks pushed before pre-annotation get their predictions in one bulk import, once."""
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", "examples/seeds"]).exit_code == 0
    assert runner.invoke(main, ["tasks"]).exit_code == 0
    res = runner.invoke(main, ["push", "build/tasks.jsonl", "--project", project_title])
    assert res.exit_code == 0 and "0 prediction(s) imported" in res.output, res.output
    assert runner.invoke(main, ["tasks", "--pre-annotate", "--model", "none"]).exit_code == 0
    outputs = [runner.invoke(main, ["push", "build/tasks.jsonl", "--project", project_title]).output for _ in range(2)]
    assert "1 prediction(s) imported" in outputs[0] and "0 prediction(s) imported" in outputs[1], outputs
    ls = client(ls_conn)
    (task,) = list(ls.tasks.list(project=find_project(ls, ls_conn.url, project_title).id))
    (pred,) = ls.predictions.list(task=task.id)
    assert len(pred.result) == 57
