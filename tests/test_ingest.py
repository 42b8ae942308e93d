from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from toolkit.cli import main
from toolkit.ingest import content_id, ingest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seeds" / "000_502a72c922326d2e.txt"


def test_seed_format_keeps_date_source_and_exact_body() -> None:
    result = ingest([SEED])
    assert not result.skipped
    (art,) = result.articles
    assert art.id == "000_502a72c922326d2e"
    assert (art.date, art.source) == ("2024-05-01", "MENAFN")
    raw = SEED.read_text(encoding="utf-8")
    assert raw.endswith(art.text) and art.text.startswith("In a testimony")
    assert raw[: len(raw) - len(art.text)] == " date 2024-05-01 (MENAFN) "


def test_plain_text_markdown_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Plain text about Paris.\r\nSecond line.\n")
    (tmp_path / "b.md").write_text("# Title\n\nBody 😀 here.\n")
    (tmp_path / "c.jsonl").write_text(
        json.dumps({"id": "x/1", "text": "From JSONL.", "source": "AP", "date": "2024-01-02"})
        + "\n"
        + json.dumps({"text": "No id here."})
        + "\n"
    )
    result = ingest([tmp_path])
    assert not result.skipped
    by_id = {a.id: a for a in result.articles}
    assert by_id["a"].text == "Plain text about Paris.\r\nSecond line.\n"  # CRLF kept: offsets count it
    assert by_id["b"].text == "# Title\n\nBody 😀 here.\n"
    assert by_id["x-1"].source == "AP"
    assert by_id[content_id("No id here.")].text == "No id here."


def test_bad_files_are_reported_and_the_rest_goes_through(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "bad.jsonl").write_text('{"id": "ok", "text": "fine"}\nnot json\n{"id": "nt"}\n')
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main, ["ingest", str(tmp_path), str(SEED), str(tmp_path / "missing.txt"), "-o", str(out)]
    )
    assert result.exit_code == 1
    for name, reason in [
        ("empty.txt", "empty"),
        ("latin1.txt", "not UTF-8"),
        ("binary.txt", "binary"),
        ("bad.jsonl:2", "not valid JSON"),
        ("bad.jsonl:3", '"text"'),
        ("missing.txt", "no such file"),
    ]:
        assert any(name in line and reason in line for line in result.output.splitlines()), (name, result.output)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["000_502a72c922326d2e", "ok"]


def test_tasks_carry_doc_id_text_and_metadata(tmp_path: Path) -> None:
    runner = CliRunner()
    arts, tasks = tmp_path / "a.jsonl", tmp_path / "t.jsonl"
    assert runner.invoke(main, ["ingest", str(SEED), "-o", str(arts)]).exit_code == 0
    assert runner.invoke(main, ["tasks", str(arts), "-o", str(tasks)]).exit_code == 0
    (task,) = [json.loads(line) for line in tasks.read_text().splitlines()]
    data = task["data"]
    assert data["doc_id"] == "000_502a72c922326d2e"
    assert data["text"].startswith("In a testimony")
    assert (data["source"], data["date"]) == ("MENAFN", "2024-05-01")
    assert "MENAFN" in data["header"] and "2024-05-01" in data["header"]
