"""`toolkit label-studio start/stop` on PostgreSQL: the toolkit's own cluster, private data, no secret leaked."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import ConfigError
from toolkit.labelstudio import postgres
from toolkit.labelstudio.server import free_port, healthy, stop_all
from toolkit.labelstudio.settings import DB_NAME, DB_ROLE, Connection, PostgresServer

from helpers import REPO, client, find_project

pytestmark = pytest.mark.labelstudio
DB_SETTINGS = ("LABEL_STUDIO_DB", "LABEL_STUDIO_DB_URL", "LABEL_STUDIO_DB_PORT", "LABEL_STUDIO_DB_PASSWORD")


@pytest.fixture
def project_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new project folder (755, as a clone is) outside pytest's 700 temporary folder: under root the
    cluster runs as `postgres`, who must pass through every folder above it."""
    home = Path(tempfile.mkdtemp(prefix="toolkit-project-"))
    home.chmod(0o755)
    monkeypatch.chdir(home)
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", *DB_SETTINGS):
        monkeypatch.delenv(var, raising=False)
    if os.environ.get("LABEL_STUDIO_BIN") is None:
        monkeypatch.setenv("LABEL_STUDIO_BIN", str(REPO / ".venv-ls/bin/label-studio"))
    try:
        yield home
    finally:
        try:
            stop_all(home / ".labelstudio")  # whatever a failed test left running
        finally:
            shutil.rmtree(home, ignore_errors=True)


def env_values() -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(".env").read_text().splitlines() if "=" in line)


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def postmaster_pid(cluster: Path) -> int:
    return int((cluster / "postmaster.pid").read_text().split()[0])


def sql(port: str, password: str, query: str) -> str:
    """What Label Studio's role sees over TCP with the password from .env (given in the environment)."""
    psql = postgres.find_bindir() / "psql"
    cmd = [str(psql), "-X", "-At", "-h", "127.0.0.1", "-p", port, "-U", DB_ROLE, "-d", DB_NAME, "-c", query]
    res = subprocess.run(cmd, env={**os.environ, "PGPASSWORD": password}, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def secrets_in_argv(*secrets: str) -> list[str]:
    """Command lines of running processes that hold one of `secrets`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        found += [argv.replace("\0", " ") for s in secrets if s in argv]
    return found


def assert_private(data: Path) -> None:
    """Data folder 700 (711 under root: `postgres` passes through to its cluster), the rest 600/700."""
    cluster = data / "postgres"
    as_root = os.geteuid() == 0
    assert stat.S_IMODE(data.stat().st_mode) == (0o711 if as_root else 0o700)
    assert stat.S_IMODE(cluster.stat().st_mode) == 0o700
    assert cluster.stat().st_uid == (postgres.owner().uid if as_root else os.geteuid())
    modes = {p.name: stat.S_IMODE(p.lstat().st_mode) for p in data.iterdir()}
    assert all(m & 0o077 == 0 for name, m in modes.items() if name != "postgres"), modes
    assert modes["server.log"] == modes["server.pid"] == 0o600
    assert stat.S_IMODE((cluster / "postgres.log").stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(".env").stat().st_mode) == 0o600


def test_label_studio_start_on_postgresql_is_private_and_stop_stops_both(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LABEL_STUDIO_PORT", str(port))
    monkeypatch.setenv("LABEL_STUDIO_DB", "postgresql")
    data, runner = project_dir / ".labelstudio", CliRunner()
    cluster = data / "postgres"
    res = runner.invoke(main, ["label-studio", "start"])
    assert res.exit_code == 0, res.output
    values = env_values()
    db_port, db_password, token = (
        values["LABEL_STUDIO_DB_PORT"],
        values["LABEL_STUDIO_DB_PASSWORD"],
        values["LABEL_STUDIO_API_KEY"],
    )
    assert len(db_password) >= 24 and f"PostgreSQL on 127.0.0.1:{db_port}, cluster in {cluster}" in res.output
    assert not {db_password, token, values["LABEL_STUDIO_PASSWORD"]} & set(res.output.split())
    assert_private(data)
    assert not (data / "label_studio.sqlite3").exists() and healthy(url)
    assert secrets_in_argv(db_password, token, values["LABEL_STUDIO_PASSWORD"]) == []

    ls = client(Connection(url, token))
    assert ls.users.whoami().email == values["LABEL_STUDIO_USERNAME"]
    title = f"pg-{uuid.uuid4().hex[:8]}"
    ls.projects.create(title=title)
    assert title in sql(db_port, db_password, "SELECT title FROM project").splitlines()  # the data is in the cluster
    assert sql(db_port, db_password, "SHOW listen_addresses") == "127.0.0.1"

    ls_pid, pg_pid = int((data / "server.pid").read_text()), postmaster_pid(cluster)
    again = runner.invoke(main, ["label-studio", "start"])
    assert "already running" in again.output and postmaster_pid(cluster) == pg_pid
    monkeypatch.setenv("LABEL_STUDIO_DB", "sqlite")  # a switch while it runs is refused, and changes nothing
    switched = runner.invoke(main, ["label-studio", "start"])
    assert switched.exit_code == 2 and "is running on cluster, not on sqlite" in switched.output, switched.output
    monkeypatch.setenv("LABEL_STUDIO_DB", "postgresql")
    assert_private(data)
    assert sql(db_port, db_password, "SELECT count(*) FROM project") != "0"

    stopped = runner.invoke(main, ["label-studio", "stop"])
    assert "Label Studio stopped" in stopped.output and "PostgreSQL stopped" in stopped.output, stopped.output
    assert not running(ls_pid) and not running(pg_pid) and not healthy(url)

    initialised = (cluster / "PG_VERSION").stat()
    res = runner.invoke(main, ["label-studio", "start"])  # a later start reuses the cluster and its data
    try:
        assert res.exit_code == 0 and "started" in res.output, res.output
        assert (cluster / "PG_VERSION").stat().st_ino == initialised.st_ino
        assert not (data / "postgres.init").exists()
        assert find_project(client(Connection(url, token)), url, title) is not None
        assert_private(data)
    finally:
        stopped = runner.invoke(main, ["label-studio", "stop"])
    assert "PostgreSQL stopped" in stopped.output and postgres.running_port(data) is None


def test_cluster_folder_postgres_cannot_reach(tmp_path: Path) -> None:
    """Under root the cluster runs as `postgres`, which cannot pass pytest's own 700 folder: a message
    naming the folder and the fix, before anything is created. As another user the cluster is theirs
    and simply starts."""
    server = PostgresServer("127.0.0.1", free_port(), DB_NAME, DB_ROLE, "pw-" + uuid.uuid4().hex)
    if os.geteuid() == 0:
        blocked = next(p for p in [*reversed(tmp_path.parents), tmp_path] if not p.stat().st_mode & 0o001)
        with pytest.raises(ConfigError, match="cannot enter") as err:
            postgres.ensure_cluster(tmp_path / "ls", server)
        assert f"chmod o+x {blocked}" in str(err.value) and "refuses to run as root" in str(err.value)
        assert not (tmp_path / "ls" / "postgres").exists()
    else:
        try:
            assert postgres.ensure_cluster(tmp_path / "ls", server).port == server.port
            assert postgres.running_port(tmp_path / "ls") == server.port
        finally:
            assert postgres.stop_cluster(tmp_path / "ls")
