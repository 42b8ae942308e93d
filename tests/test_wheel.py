"""The built wheel works on its own: schemas ship inside it, and nothing depends on the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from helpers import DATA, REPO


def run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding only the wheel (its dependencies are borrowed from the test environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", REPO, cwd=tmp)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("*.whl")
    venv = tmp / "venv"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp).returncode == 0
    site = Path(
        run(
            venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp
        ).stdout.strip()
    )
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python"]
    install = run(*pip, "install", "--no-deps", "-q", wheel, cwd=tmp)
    assert install.returncode == 0, install.stderr
    return venv


def test_wheel_holds_the_schemas_and_runs_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    python, toolkit = installed / "bin" / "python", installed / "bin" / "toolkit"
    where = run(python, "-c", "import toolkit; print(toolkit.__file__)", cwd=empty).stdout.strip()
    assert where.startswith(str(installed)), where  # the wheel's copy, not the repository's
    res = run(toolkit, "schema", "check", cwd=empty)
    assert res.returncode == 0 and "news.labels.json: valid" in res.stdout, res.stderr
    export = shutil.copy(DATA / "valid" / "seed-labelstudio-export.json", empty / "export.json")
    res = run(toolkit, "validate", export, cwd=empty)
    assert res.returncode == 0 and res.stdout.startswith("valid:"), res.stdout + res.stderr
    mine = tmp_path / "any" / "folder"
    mine.mkdir(parents=True)
    labels = shutil.copy(Path(where).parent / "resources" / "news.labels.json", mine / "my.labels.json")
    res = run(toolkit, "--labels", labels, "validate", export, cwd=empty)
    assert res.returncode == 0 and res.stdout.startswith("valid:"), res.stdout + res.stderr
    bad = shutil.copy(DATA / "invalid" / "relation-type.json", empty / "bad.json")
    res = run(toolkit, "--labels", labels, "validate", bad, cwd=empty)
    assert res.returncode == 1 and "[relation-type]" in res.stdout
