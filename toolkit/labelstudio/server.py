"""Start and stop a local Label Studio in its own virtual environment, bound to 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..errors import ConfigError, LabelStudioError


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    email: str
    already_running: bool = False


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except (httpx.HTTPError, OSError, ValueError):
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(
    data_dir: Path, port: int, email: str, password: str, token: str, binary: Path, timeout: float = 300.0
) -> ServerInfo:
    """Start Label Studio (or reuse the one recorded in `data_dir/server.pid`) and wait for /health."""
    url = f"http://127.0.0.1:{port}"
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = data_dir / "server.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().strip() or 0)
        if pid and _alive(pid) and healthy(url):
            return ServerInfo(url, pid, email, already_running=True)
        pid_file.unlink()
    if healthy(url):
        raise ConfigError(
            f"port {port} already answers at {url} but was not started here; "
            "stop that server or set LABEL_STUDIO_PORT to a free port"
        )
    if not binary.exists():
        raise ConfigError(f"{binary} not found; run `make label-studio` (installs Label Studio in .venv-ls)")
    env = _server_env(data_dir, email, password, token)
    log = (data_dir / "server.log").open("ab")
    proc = subprocess.Popen(
        [str(binary), "start", "--internal-host", "127.0.0.1", "--port", str(port), "--no-browser"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    pid_file.write_text(f"{proc.pid}\n")
    _wait_healthy(proc, url, data_dir, timeout)
    return ServerInfo(url, proc.pid, email)


def _server_env(data_dir: Path, email: str, password: str, token: str) -> dict[str, str]:
    """No version check (it blocks without internet), a known admin and token, data in `data_dir`."""
    env = dict(os.environ)
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


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, data_dir: Path, timeout: float) -> None:
    log = data_dir / "server.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (data_dir / "server.pid").unlink(missing_ok=True)
            raise LabelStudioError(
                f"Label Studio exited with code {proc.returncode} during start; last lines of {log}:\n{_tail(log)}"
            )
        if healthy(url):
            return
        time.sleep(0.5)
    stop(data_dir)
    raise LabelStudioError(f"Label Studio did not answer {url}/health within {timeout:.0f} s; see {log}")


def stop(data_dir: Path, timeout: float = 20.0) -> bool:
    """Stop the server recorded in `data_dir/server.pid`; False when none was running."""
    pid_file = data_dir / "server.pid"
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


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
