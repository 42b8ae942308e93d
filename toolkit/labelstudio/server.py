"""Start and stop a local Label Studio in its own virtual environment, bound to 127.0.0.1.

Its data folder holds the admin's token (in the database) and its logs, so it is the user's alone:
mode 700, or 711 when PostgreSQL runs as the `postgres` user and must pass through it to its
cluster (others may then enter but not list it, and every entry inside is 600/700). Label Studio
runs with umask 077, so what it writes later is private too.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from ..errors import ConfigError, LabelStudioError
from ..io.writer import atomic_write_bytes
from . import postgres
from .settings import Database, loopback_webhook_env
from .settings import free_port as free_port  # re-exported: callers pick ports with it

SQLITE = Database()
IN_USE = "server.database"  # the database the running server was started on
# Database settings Label Studio reads from the environment (bare or LABEL_STUDIO_/HEARTEX_-prefixed), and
# the toolkit's own: never inherited by Label Studio, so only the database chosen here is used.
_DB_VARS = re.compile(
    r"^(LABEL_STUDIO_|HEARTEX_)?(DJANGO_DB|DATABASE_NAME|POSTGRE_\w+|MYSQL_\w+)$|^LABEL_STUDIO_DB\w*$"
)


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    email: str
    already_running: bool = False
    database: str = "SQLite"  # where the data is, for messages (never a password)


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except (httpx.HTTPError, OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(
    data_dir: Path,
    port: int,
    email: str,
    password: str,
    token: str,
    binary: Path,
    timeout: float = 300.0,
    *,
    database: Database = SQLITE,
    on_wait: Callable[[float], None] | None = None,
) -> ServerInfo:
    """Start Label Studio (or reuse the one recorded in `data_dir/server.pid`) and wait for /health.

    With `database.kind == "cluster"` the PostgreSQL cluster in `data_dir/postgres` is created or
    started first (a running one is reused). `on_wait(seconds)` is called about every 10 s while
    Label Studio is starting, so a caller can show it is alive (a first start runs migrations).
    """
    url = f"http://127.0.0.1:{port}"
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    running = _running(data_dir, url)
    if running:
        _same_database(data_dir, database)  # before anything changes
    make_private(data_dir, postgres.data_dir_mode(data_dir, database.kind == "cluster"))
    if database.kind == "cluster" and database.server is not None:
        database = replace(database, server=postgres.ensure_cluster(data_dir, database.server))
    where = describe(database, data_dir)
    if running:
        return ServerInfo(url, running, email, already_running=True, database=where)
    if healthy(url):
        raise ConfigError(
            f"port {port} already answers at {url} but was not started here; "
            "stop that server or set LABEL_STUDIO_PORT to a free port"
        )
    if database.kind == "server" and database.server is not None:
        postgres.reachable(database.server)
    if not binary.exists():
        raise ConfigError(f"{binary} not found; run `make label-studio` (installs Label Studio in .venv-ls)")
    env = {**_server_env(data_dir, email, password, token), **_database_env(database)}
    atomic_write_bytes(data_dir / IN_USE, f"{_identity(database)}\n".encode(), private=True)
    pid = _launch(binary, port, env, data_dir, timeout, on_wait)
    return ServerInfo(url, pid, email, database=where)


def _launch(
    binary: Path,
    port: int,
    env: dict[str, str],
    data_dir: Path,
    timeout: float,
    on_wait: Callable[[float], None] | None,
) -> int:
    """Run `label-studio start` in its own session, its output appended to the private server.log."""
    log = os.open(data_dir / "server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        proc = subprocess.Popen(
            [str(binary), "start", "--internal-host", "127.0.0.1", "--port", str(port), "--no-browser"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=0o077,  # its SQLite file, exports and uploads: the user's alone
        )
    finally:
        os.close(log)
    atomic_write_bytes(data_dir / "server.pid", f"{proc.pid}\n".encode(), private=True)
    _wait_healthy(proc, f"http://127.0.0.1:{port}", data_dir, timeout, on_wait)
    return proc.pid


def make_private(data_dir: Path, mode: int = 0o700) -> None:
    """The data folder `mode`, and no group or other access to anything directly inside it.

    Folders inside are closed as a whole, so nothing below them is walked; the cluster keeps its own 700.
    """
    data_dir.chmod(mode)
    for entry in data_dir.iterdir():
        if (entry.name.startswith(postgres.CLUSTER) and entry.is_dir()) or entry.is_symlink():
            continue
        current = stat.S_IMODE(entry.lstat().st_mode)
        if current & 0o077:
            entry.chmod(current & ~0o077)


def describe(database: Database, data_dir: Path) -> str:
    """Where the data is, for messages: never a password."""
    if database.kind == "cluster" and database.server is not None:
        return f"PostgreSQL on 127.0.0.1:{database.server.port}, cluster in {data_dir / postgres.CLUSTER}"
    if database.kind == "server":
        return f"PostgreSQL at {database.server}"
    return f"SQLite in {data_dir / 'label_studio.sqlite3'}"


def other_data(data_dir: Path, database: Database) -> str | None:
    """The other database's data in the folder, if any: after a switch, data must not seem lost."""
    sqlite, cluster = data_dir / "label_studio.sqlite3", data_dir / postgres.CLUSTER
    if database.kind == "sqlite" and cluster.is_dir():
        return f"{cluster} holds a PostgreSQL cluster this server does not use (LABEL_STUDIO_DB=postgresql does)"
    if database.kind != "sqlite" and sqlite.is_file():
        return f"{sqlite} holds SQLite data this server does not use (LABEL_STUDIO_DB=sqlite does)"
    return None


def _running(data_dir: Path, url: str) -> int | None:
    """The pid of the server recorded in `data_dir/server.pid` when it answers; a stale record is removed."""
    pid_file = data_dir / "server.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    if pid and _alive(pid) and healthy(url):
        return pid
    pid_file.unlink()
    return None


def _identity(database: Database) -> str:
    return f"PostgreSQL at {database.server}" if database.kind == "server" else database.kind


def _same_database(data_dir: Path, database: Database) -> None:
    """A running server keeps its database: after a change of LABEL_STUDIO_DB it must be stopped first."""
    try:
        running = (data_dir / IN_USE).read_text().strip()
    except OSError:
        return  # started before this record existed
    if running != _identity(database):
        raise ConfigError(
            f"Label Studio in {data_dir} is running on {running}, not on {_identity(database)} as the settings "
            "now say (LABEL_STUDIO_DB, LABEL_STUDIO_DB_URL); run `toolkit label-studio stop` first, then start"
        )


def _server_env(data_dir: Path, email: str, password: str, token: str) -> dict[str, str]:
    """No version check (it blocks without internet), a known admin and token, data in `data_dir`, local webhooks."""
    env = {k: v for k, v in os.environ.items() if not _DB_VARS.match(k)}
    # Webhooks may reach 127.0.0.1 (`toolkit watch`); every other reserved address stays banned.
    for key, value in loopback_webhook_env().items():
        env.setdefault(key, value)
    env.update(
        {
            "LATEST_VERSION_CHECK": "false",
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_USERNAME": email,
            "LABEL_STUDIO_PASSWORD": password,
            "LABEL_STUDIO_USER_TOKEN": token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
        }
    )
    return env


def _database_env(database: Database) -> dict[str, str]:
    """Label Studio's own names: DJANGO_DB=default is its PostgreSQL, configured by POSTGRE_*."""
    server = database.server
    if database.kind == "sqlite" or server is None:
        return {"DJANGO_DB": "sqlite"}
    env = {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": server.name,
        "POSTGRE_USER": server.user,
        "POSTGRE_PASSWORD": server.password,
        "POSTGRE_HOST": server.host,
        "POSTGRE_PORT": str(server.port),
    }
    return {**env, "PGSSLMODE": server.sslmode} if server.sslmode else env  # libpq reads PGSSLMODE


def _wait_healthy(
    proc: subprocess.Popen[bytes], url: str, data_dir: Path, timeout: float, on_wait: Callable[[float], None] | None
) -> None:
    log = data_dir / "server.log"
    began = time.monotonic()
    deadline, beat = began + timeout, began + 10
    while time.monotonic() < deadline:
        if on_wait is not None and time.monotonic() >= beat:
            on_wait(time.monotonic() - began)
            beat += 10
        if proc.poll() is not None:
            (data_dir / "server.pid").unlink(missing_ok=True)
            raise LabelStudioError(
                f"Label Studio exited with code {proc.returncode} during start; "
                f"last lines of {log}:\n{postgres.log_tail(log)}"
            )
        if healthy(url):
            return
        time.sleep(0.5)
    stop(data_dir)
    raise LabelStudioError(f"Label Studio did not answer {url}/health within {timeout:.0f} s; see {log}")


def stop(data_dir: Path, timeout: float = 20.0) -> bool:
    """Stop the server recorded in `data_dir/server.pid`; False when none was running."""
    pid_file = data_dir / "server.pid"
    (data_dir / IN_USE).unlink(missing_ok=True)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().strip() or 0)
    pid_file.unlink()
    if not pid or not _alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True
        except ChildProcessError:
            pass
        if not _alive(pid):
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def stop_all(data_dir: Path) -> tuple[bool, bool]:
    """Stop Label Studio, then the PostgreSQL cluster the toolkit runs in `data_dir`: which of them ran."""
    return stop(data_dir), postgres.stop_cluster(data_dir)
