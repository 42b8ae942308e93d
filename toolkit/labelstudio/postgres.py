"""Label Studio's own PostgreSQL cluster in `<data dir>/postgres`, run with the machine's initdb and pg_ctl.

PostgreSQL refuses to run as root: under root the cluster belongs to the `postgres` user (Debian's
package creates it) and every PostgreSQL program runs as that user; otherwise it is the current
user's. It listens on 127.0.0.1 only, its Unix socket inside the cluster folder. The cluster's
superuser has no password and logs in only through that socket as the folder's owner (peer);
Label Studio logs in over TCP as its own role with a SCRAM password. The toolkit sends PostgreSQL
a verifier computed here, so the password itself never reaches the server, its log or any argv.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import hmac
import os
import pwd
import re
import shutil
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from filelock import FileLock

from ..errors import ConfigError, LabelStudioError
from ..io.writer import atomic_write_bytes
from .settings import DB_NAME, DB_ROLE, PostgresServer

CLUSTER = "postgres"  # the cluster's folder inside the data dir
SOCKET_PATH_MAX = 107  # sun_path on Linux less its final NUL
INSTALL = "install PostgreSQL (`apt-get install postgresql`)"


class DatabaseError(LabelStudioError):
    """Label Studio's PostgreSQL cluster could not be created, started or stopped."""


@dataclass(frozen=True)
class Owner:
    """The user the cluster's files belong to and its programs run as."""

    name: str
    uid: int
    gid: int

    @property
    def other(self) -> bool:
        return self.uid != os.geteuid()


def owner(cluster: Path | None = None) -> Owner:
    """The existing cluster's owner, else `postgres` under root, else the current user."""
    uid = cluster.stat().st_uid if cluster is not None and cluster.exists() else None
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        if uid is not None and uid != me.pw_uid:
            raise ConfigError(f"{cluster} belongs to user id {uid}; run the toolkit as that user (or as root)")
        return Owner(me.pw_name, me.pw_uid, me.pw_gid)
    try:
        entry = pwd.getpwuid(uid) if uid else pwd.getpwnam("postgres")
    except KeyError:
        raise ConfigError(
            "PostgreSQL refuses to run as root and there is no `postgres` user to run it as; "
            f"{INSTALL} (it creates that user), run the toolkit as a normal user, "
            "or set LABEL_STUDIO_DB_URL to an existing server"
        ) from None
    return Owner(entry.pw_name, entry.pw_uid, entry.pw_gid)


def data_dir_mode(data_dir: Path, cluster_wanted: bool) -> int:
    """700, or 711 when a cluster there belongs (or will) to another user, who must pass through to it.

    An existing cluster decides even when this start is on SQLite: it may still run, or run again.
    """
    cluster = data_dir / CLUSTER
    if cluster.exists():
        return 0o711 if cluster.stat().st_uid != os.geteuid() else 0o700
    return 0o711 if cluster_wanted and owner().other else 0o700


def find_bindir(version: str | None = None, search: Sequence[Path] | None = None) -> Path:
    """The folder of initdb, pg_ctl and psql: of the cluster's major `version` when given, else the newest."""
    found: dict[Path, str] = {}
    for folder in _candidates() if search is None else search:
        if all((folder / p).is_file() for p in ("initdb", "pg_ctl", "psql")) and folder.resolve() not in found:
            found[folder.resolve()] = _major(folder)
    if version is not None:
        for folder, major in found.items():
            if major == version:
                return folder
        raise ConfigError(
            f"the cluster was made by PostgreSQL {version}, which is not installed (found: "
            f"{', '.join(sorted(set(found.values()))) or 'none'}); install postgresql-{version}"
        )
    if not found:
        where = "pg_config, /usr/lib/postgresql/*/bin, PATH" if search is None else ", ".join(map(str, search))
        raise ConfigError(f"PostgreSQL's initdb, pg_ctl and psql were not found ({where}); {INSTALL}")
    return max(found, key=lambda f: tuple(int(n) for n in found[f].split(".")))


def _candidates() -> list[Path]:
    """pg_config's bindir, Debian's versioned folders, then wherever pg_ctl is on PATH."""
    folders = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        folders.append(Path(out.stdout.strip() or "/nonexistent"))
    folders += [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    on_path = shutil.which("pg_ctl")
    return [*folders, Path(on_path).resolve().parent] if on_path else folders


def _major(bindir: Path) -> str:
    """'15' from `pg_ctl (PostgreSQL) 15.18 (Debian ...)` ('9.6' before 10), as PG_VERSION writes it."""
    out = subprocess.run([bindir / "pg_ctl", "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\) (\d+)(?:\.(\d+))?", out)
    if not match:
        return "0"
    return match[1] if int(match[1]) >= 10 else f"{match[1]}.{match[2]}"


def _version(cluster: Path) -> str | None:
    try:
        return (cluster / "PG_VERSION").read_text().strip()
    except OSError:
        return None


def _run(
    cmd: Sequence[str | Path], who: Owner, cwd: Path, stdin: str | None = None, timeout: float = 180.0
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program as the cluster's owner, with a minimal environment and its own session."""
    try:
        return subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "LANG": "C"},
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,  # the postmaster pg_ctl forks outlives this command, apart from its terminal
            check=False,
            user=who.uid if who.other else None,
            group=who.gid if who.other else None,
            extra_groups=[] if who.other else None,
        )
    except subprocess.TimeoutExpired:
        raise DatabaseError(f"{Path(str(cmd[0])).name} did not finish within {timeout:.0f} s (in {cwd})") from None


def ensure_cluster(data_dir: Path, server: PostgresServer) -> PostgresServer:
    """Create the cluster on first use, start it unless it runs, and make Label Studio's role and database.

    Returns how Label Studio reaches it: the port of a cluster already running wins over `server.port`.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    cluster = data_dir / CLUSTER
    who = owner(cluster)
    data_dir.chmod(0o711 if who.other else 0o700)
    if who.other:
        _check_reachable(data_dir, who)
    with FileLock(data_dir / "postgres.lock", mode=0o600):
        bindir = find_bindir(_version(cluster))
        if _version(cluster) is None:
            _init(data_dir, who, bindir)
        port = running_port(data_dir)
        if port is None:
            _start(cluster, who, bindir, server.port)
            port = server.port
        _ensure_role(cluster, who, bindir, port, server.password)
    return replace(server, port=port)


def _check_reachable(data_dir: Path, who: Owner) -> None:
    """Every folder down to the data dir must let `who` pass, or PostgreSQL cannot open its cluster."""
    folders = [*reversed(data_dir.parents), data_dir]
    script = 'for d do [ -x "$d" ] || { printf %s "$d"; exit 1; }; done'
    res = _run(["/bin/sh", "-c", script, "sh", *map(str, folders)], who, Path("/"))
    if res.returncode:
        blocked = Path(res.stdout)
        mode = blocked.stat().st_mode & 0o777 if blocked.exists() else 0
        raise ConfigError(
            f"PostgreSQL runs as user {who.name} (it refuses to run as root), and {who.name} cannot enter "
            f"{blocked} (mode {mode:o}); run `chmod o+x {blocked}` (lets others pass through, not list it), "
            f"or use a --data-dir {who.name} can reach, or an existing server through LABEL_STUDIO_DB_URL"
        )


def _init(data_dir: Path, who: Owner, bindir: Path) -> None:
    """initdb into a scratch folder, renamed into place only when complete (a killed initdb is redone)."""
    fresh = data_dir / f"{CLUSTER}.init"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(mode=0o700)
    if who.other:
        os.chown(fresh, who.uid, who.gid)
    args = ["--encoding=UTF8", "--no-locale", "--auth-local=peer", "--auth-host=scram-sha-256", "--no-instructions"]
    res = _run([bindir / "initdb", "-D", fresh, *args], who, data_dir)
    if res.returncode:
        raise DatabaseError(f"initdb failed in {fresh}:\n{res.stderr.strip()[-2000:]}")
    with (fresh / "postgresql.conf").open("a") as conf:
        conf.write("\n# Port, 127.0.0.1 only and the socket folder: written by the toolkit before each start.\n")
        conf.write("include_if_exists = 'toolkit.conf'\n")
    fresh.rename(data_dir / CLUSTER)


def running_port(data_dir: Path) -> int | None:
    """The port of the cluster in `data_dir` when its postmaster is alive, else None."""
    try:
        lines = (data_dir / CLUSTER / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return port


def _conf_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _start(cluster: Path, who: Owner, bindir: Path, port: int) -> None:
    """Write toolkit.conf (this port, 127.0.0.1, the socket in the cluster folder), then pg_ctl start."""
    socket_path = f"{cluster}/.s.PGSQL.{port}"
    if len(socket_path) > SOCKET_PATH_MAX:
        raise ConfigError(
            f"the data folder's path is too long for PostgreSQL's socket ({socket_path}: {len(socket_path)} "
            f"characters, at most {SOCKET_PATH_MAX}); use a shorter --data-dir"
        )
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise ConfigError(
                f"port {port} (LABEL_STUDIO_DB_PORT) is in use on 127.0.0.1; set it to a free port in .env"
            )
    conf = (
        "# Written by the toolkit before each start; put your own settings in postgresql.conf.\n"
        f"listen_addresses = '127.0.0.1'\nport = {port}\n"
        f"unix_socket_directories = {_conf_string(str(cluster))}\nunix_socket_permissions = 0700\n"
    )
    atomic_write_bytes(cluster / "toolkit.conf", conf.encode("utf-8"), private=True)
    if who.other:
        os.chown(cluster / "toolkit.conf", who.uid, who.gid)
    log = cluster / "postgres.log"
    res = _run([bindir / "pg_ctl", "start", "-D", cluster, "-l", log, "-w", "-t", "120", "-s"], who, cluster.parent)
    if res.returncode:
        raise DatabaseError(f"PostgreSQL did not start from {cluster}; last lines of {log}:\n{log_tail(log)}")


def _ensure_role(cluster: Path, who: Owner, bindir: Path, port: int, password: str) -> None:
    """Label Studio's role (password set from .env at every start), its database, the extensions it wants."""
    sql = f"""
SELECT 'CREATE ROLE {DB_ROLE} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_ROLE}')\\gexec
ALTER ROLE {DB_ROLE} WITH LOGIN PASSWORD '{scram_verifier(password)}';
SELECT 'CREATE DATABASE {DB_NAME} OWNER {DB_ROLE}'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DB_NAME}')\\gexec
\\connect {DB_NAME}
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
"""
    psql: list[str | Path] = [bindir / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster, "-p", str(port)]
    res = _run([*psql, "-d", "postgres", "-f", "-"], who, cluster.parent, stdin=sql)
    if res.returncode:
        said = "\n".join(line for line in res.stderr.splitlines() if "SCRAM-SHA-256$" not in line)
        raise DatabaseError(f"could not create Label Studio's role and database in {cluster}:\n{said}")


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5803), as psql's \\password computes it."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    stored = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored)}:{b64(server)}"


def stop_cluster(data_dir: Path, timeout: float = 60.0) -> bool:
    """Stop the cluster in `data_dir` (fast: open sessions are ended); False when none was running."""
    cluster = data_dir.resolve() / CLUSTER
    if running_port(data_dir) is None:
        return False
    pg_ctl = find_bindir(_version(cluster)) / "pg_ctl"
    cmd: list[str | Path] = [pg_ctl, "stop", "-D", cluster, "-m", "fast", "-w", "-t", str(int(timeout)), "-s"]
    res = _run(cmd, owner(cluster), cluster.parent, timeout=timeout + 10)
    if res.returncode:
        raise DatabaseError(f"PostgreSQL in {cluster} did not stop: {res.stderr.strip()}; see {cluster}/postgres.log")
    return True


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def reachable(server: PostgresServer, timeout: float = 5.0) -> None:
    """Fail early, naming host and port (never the password), when an existing server does not answer."""
    try:
        socket.create_connection((server.host, server.port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot reach PostgreSQL at {server.host}:{server.port} (LABEL_STUDIO_DB_URL {server}): "
            f"{exc.strerror or exc}; start that server or fix LABEL_STUDIO_DB_URL in .env"
        ) from None
