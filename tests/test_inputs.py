"""Every command that takes a file, on a missing, an empty, a binary and a truncated one: a message
naming the file and exit 1 or 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main

from helpers import REPO, SEED

BAD = {
    "missing": None,
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "truncated": b'[{"data": {"text": "x"',
}

# (name, argv with {F} for the bad file); every file-taking argument and option of the CLI.
COMMANDS = [
    ("validate", ["validate", "{F}"]),
    ("ingest", ["ingest", "{F}"]),
    ("tasks", ["tasks", "{F}"]),
    ("tasks --patterns", ["tasks", "{ARTICLES}", "--pre-annotate", "--model", "none", "--patterns", "{F}"]),
    ("push", ["push", "{F}"]),
    ("push --annotations", ["push", "--annotations", "{F}"]),
    ("agreement", ["agreement", "{F}"]),
    ("agreement --config", ["agreement", "--config", "{F}", "{ANN}"]),
    ("adjudicate", ["adjudicate", "{F}", "--dry-run"]),
    ("adjudicate --config", ["adjudicate", "--config", "{F}", "{ANN}", "--dry-run"]),
    ("export", ["export", "{F}", "-o", "out"]),
    ("release", ["release", "--version", "1.0.0", "{F}", "-o", "out", "--releases", "rel"]),
    ("release (releases folder)", ["release", "--version", "1.0.0", "{ANN}", "-o", "out", "--releases", "{D}"]),
    ("publish", ["publish", "{D}", "--repo-id", "org/x", "--dry-run"]),
    ("preannotate-eval", ["preannotate-eval", "--annotations", "{F}"]),
    ("--labels", ["--labels", "{F}", "schema", "check"]),
]


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text('{"id": "a", "text": "Kim met Putin in May."}\n')
    return path


# An empty releases folder is a first release, not a bad input: that one combination does not apply.
CASES = [
    (name, argv, kind)
    for name, argv in COMMANDS
    for kind in BAD
    if (name, kind) != ("release (releases folder)", "missing")
]


@pytest.mark.parametrize(("name", "argv", "kind"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_bad_input_file_gives_a_message_not_a_traceback(
    name: str, argv: list[str], kind: str, tmp_path: Path, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    bad = tmp_path / f"bad-{kind}.json"
    folder = tmp_path / f"bad-{kind}-folder"  # a release folder or a releases folder holding the bad file
    folder.mkdir()
    if BAD[kind] is not None:
        bad.write_bytes(BAD[kind])
        (folder / "manifest.json").write_bytes(BAD[kind])
        (folder / "1.0.0.json").write_bytes(BAD[kind])
    ann = tmp_path / "ann"
    ann.mkdir()
    (ann / SEED.name).write_bytes(SEED.read_bytes())
    args = [
        a.replace("{F}", str(bad))
        .replace("{D}", str(folder))
        .replace("{ANN}", str(ann))
        .replace("{ARTICLES}", str(articles))
        for a in argv
    ]
    res = CliRunner().invoke(main, args)
    out = res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, out, res.exception)
    assert "Traceback" not in out
    assert res.exit_code in (1, 2), (args, out)
    if "{D}" in argv and kind != "missing":
        assert str(folder) in out, (args, out)
    elif "{D}" not in argv:
        assert str(bad) in out, (args, out)


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    """The real entry point (not the test runner) on a binary file: exit 2, one line naming it."""
    import subprocess
    import sys

    bad = tmp_path / "binary.json"
    bad.write_bytes(BAD["binary"])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = subprocess.run(
        [sys.executable, "-m", "toolkit", "validate", str(bad)], capture_output=True, text=True, env=env, check=False
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr and str(bad) in res.stderr
