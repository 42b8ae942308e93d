"""Shared fixtures: a real Label Studio server for the session (on SQLite, then on PostgreSQL), and the
repo's label schema."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import quote

import pytest

from toolkit.labelschema import LabelSchema
from toolkit.labelstudio import postgres
from toolkit.labelstudio.server import SQLITE, free_port, start, stop
from toolkit.labelstudio.settings import DB_NAME, DB_ROLE, Connection, Database, PostgresServer, parse_db_url

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_ID = "000_502a72c922326d2e"
# Login of the admin the session server is started with (the browser test logs in through the form).
ADMIN = ("test-admin@example.com", secrets.token_urlsafe(16))
_skipped: list[str] = []
# Every test using the session server runs once per database (ids [sqlite], [postgresql]); a server given by
# LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY is used alone.
EXTERNAL = bool(os.environ.get("LABEL_STUDIO_URL") and os.environ.get("LABEL_STUDIO_API_KEY"))
BACKENDS = ["external"] if EXTERNAL else ["sqlite", "postgresql"]
DB_SETTINGS = ("LABEL_STUDIO_DB", "LABEL_STUDIO_DB_URL", "LABEL_STUDIO_DB_PORT", "LABEL_STUDIO_DB_PASSWORD")


@pytest.fixture(scope="session")
def labels() -> LabelSchema:
    return LabelSchema.load()


@contextmanager
def postgres_by_url() -> Iterator[Database]:
    """A PostgreSQL cluster started by the toolkit, handed to Label Studio as an existing server by URL.

    It lives outside pytest's temporary folder, which is 700: under root the cluster runs as `postgres`,
    who must pass through every parent folder. The password holds characters a URL must percent-encode.
    """
    home = Path(tempfile.mkdtemp(prefix="toolkit-pg-"))
    password = "p@ss:w/rd%" + secrets.token_urlsafe(12)
    try:
        server = postgres.ensure_cluster(home, PostgresServer("127.0.0.1", free_port(), DB_NAME, DB_ROLE, password))
        url = f"postgresql://{DB_ROLE}:{quote(password, safe='')}@127.0.0.1:{server.port}/{DB_NAME}"
        yield Database("server", parse_db_url(url))
    finally:
        try:
            postgres.stop_cluster(home)
        finally:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session", params=BACKENDS)
def ls_conn(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection]:
    """A real Label Studio: the one LABEL_STUDIO_URL points at, else one started here on a free port, on
    SQLite or on PostgreSQL (pytest finishes one before it starts the other)."""
    if request.param == "external":
        yield Connection(os.environ["LABEL_STUDIO_URL"].rstrip("/"), os.environ["LABEL_STUDIO_API_KEY"])
        return
    data = tmp_path_factory.mktemp(f"labelstudio-{request.param}")
    token = secrets.token_hex(20)
    with postgres_by_url() if request.param == "postgresql" else nullcontext(SQLITE) as database:
        info = start(
            data,
            free_port(),
            *ADMIN,
            token,
            binary=REPO / ".venv-ls" / "bin" / "label-studio",
            database=database,
        )
        try:
            yield Connection(info.url, token)
        finally:
            stop(data)


@pytest.fixture(scope="session")
def ls_login(ls_conn: Connection) -> tuple[str, str]:
    """(e-mail, password) for the login form: LABEL_STUDIO_USERNAME/PASSWORD with LABEL_STUDIO_URL."""
    if EXTERNAL:
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
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", *DB_SETTINGS):
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
