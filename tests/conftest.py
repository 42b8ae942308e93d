"""Shared fixtures: a real Label Studio server for the session, and the repo's label schema."""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.labelschema import LabelSchema
from toolkit.labelstudio.server import free_port, start, stop
from toolkit.labelstudio.settings import Connection

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_ID = "000_502a72c922326d2e"
# Login of the admin the session server is started with (the browser test logs in through the form).
ADMIN = ("test-admin@example.com", secrets.token_urlsafe(16))
_skipped: list[str] = []


@pytest.fixture(scope="session")
def labels() -> LabelSchema:
    return LabelSchema.load()


@pytest.fixture(scope="session")
def ls_conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection]:
    """A real Label Studio: the one LABEL_STUDIO_URL points at, else one started here on a free port."""
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        yield Connection(url.rstrip("/"), key)
        return
    data = tmp_path_factory.mktemp("labelstudio")
    token = secrets.token_hex(20)
    info = start(
        data,
        free_port(),
        *ADMIN,
        token,
        binary=REPO / ".venv-ls" / "bin" / "label-studio",
    )
    try:
        yield Connection(info.url, token)
    finally:
        stop(data)


@pytest.fixture(scope="session")
def ls_login(ls_conn: Connection) -> tuple[str, str]:
    """(e-mail, password) for the login form: LABEL_STUDIO_USERNAME/PASSWORD with LABEL_STUDIO_URL."""
    if os.environ.get("LABEL_STUDIO_URL") and os.environ.get("LABEL_STUDIO_API_KEY"):
        user, password = os.environ.get("LABEL_STUDIO_USERNAME"), os.environ.get("LABEL_STUDIO_PASSWORD")
        if not (user and password):
            pytest.fail("LABEL_STUDIO_URL is set: also set LABEL_STUDIO_USERNAME and LABEL_STUDIO_PASSWORD to log in")
        return user, password
    return ADMIN


@pytest.fixture
def cli_env(ls_conn: Connection, monkeypatch: pytest.MonkeyPatch) -> Connection:
    """The CLI talks to the session server (list it after `workdir`, which clears these variables)."""
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_conn.api_key)
    return ls_conn


@pytest.fixture
def project_title() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project folder as a new user would have: the seed article and its annotation, no .env."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.copytree(REPO / "annotations", tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (TOOLKIT_NO_SKIP=1) a skipped test is a failure: a skip must never pass as green."""
    if os.environ.get("TOOLKIT_NO_SKIP") == "1" and _skipped:
        print(f"\nTOOLKIT_NO_SKIP=1 but {len(_skipped)} test(s) were skipped: {_skipped}")
        session.exitstatus = 1
