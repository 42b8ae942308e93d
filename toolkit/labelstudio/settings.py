"""Connection settings from the environment (which wins) or a git-ignored, mode-600 `.env`."""

from __future__ import annotations

import io
import ipaddress
import os
import secrets
import socket
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from dotenv import dotenv_values

from ..errors import ConfigError
from ..io.reader import read_text
from ..io.writer import atomic_write_bytes

DEFAULT_PORT = 8080
DEFAULT_EMAIL = "admin@news-relations.local"
DB_ROLE = DB_NAME = "labelstudio"  # role and database the toolkit creates in its own PostgreSQL cluster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE pairs of a `.env` file; refused when others can read it (it holds secrets)."""
    if not path.exists():
        return {}
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path} holds secrets but is readable by others (mode {mode:o}); run `chmod 600 {path}`")
    text = read_text(path, "a .env file of KEY=VALUE lines", ConfigError)
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def redact(url: str) -> str:
    """The URL without user name and password, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def cleartext_warning(url: str) -> str | None:
    """A warning when the token would travel unencrypted to another machine."""
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return (
            f"LABEL_STUDIO_URL {redact(url)} is plain http to another machine: the API token travels in clear "
            "text; put the server behind HTTPS"
        )
    return None


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str = ""
    retry_seconds: float = 90.0  # how long one request is retried through transient failures

    def __repr__(self) -> str:  # never show the token
        return f"Connection(url={redact(self.url)!r}, api_key='***')"


def connection(env_file: Path) -> Connection:
    """Where and how to reach Label Studio: the environment wins over `env_file`."""
    file_values = read_env_file(env_file)
    url = os.environ.get("LABEL_STUDIO_URL") or file_values.get("LABEL_STUDIO_URL")
    key = os.environ.get("LABEL_STUDIO_API_KEY") or file_values.get("LABEL_STUDIO_API_KEY")
    if not url or not key:
        raise ConfigError(
            "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are not set; run `make label-studio` "
            "(writes them to .env) or export them in the environment"
        )
    retry = os.environ.get("LABEL_STUDIO_RETRY_SECONDS") or file_values.get("LABEL_STUDIO_RETRY_SECONDS") or "90"
    try:
        seconds = float(retry)
    except ValueError as exc:
        raise ConfigError(f"LABEL_STUDIO_RETRY_SECONDS={retry!r} is not a number of seconds") from exc
    return Connection(url.rstrip("/"), key, seconds)


def ensure_env_file(path: Path) -> dict[str, str]:
    """Create `.env` with a random password and token on first use (mode 600); return its values.

    LABEL_STUDIO_DB from the environment is written down when `.env` has none (`.env` is not changed
    after that; the environment still wins). With postgresql (and no LABEL_STUDIO_DB_URL) `.env` also
    gets the port and the random password of the toolkit's own PostgreSQL cluster.
    """
    values = read_env_file(path)
    port = os.environ.get("LABEL_STUDIO_PORT") or values.get("LABEL_STUDIO_PORT") or str(DEFAULT_PORT)
    wanted = {
        "LABEL_STUDIO_PORT": port,
        "LABEL_STUDIO_URL": f"http://127.0.0.1:{port}",
        "LABEL_STUDIO_USERNAME": DEFAULT_EMAIL,
        "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(18),
        "LABEL_STUDIO_API_KEY": secrets.token_hex(20),
    }
    if os.environ.get("LABEL_STUDIO_DB"):  # remembered, so a later plain start finds the same data
        wanted["LABEL_STUDIO_DB"] = _backend(values)
    if _backend(values) == "postgresql" and not setting("LABEL_STUDIO_DB_URL", values):
        wanted["LABEL_STUDIO_DB_PORT"] = os.environ.get("LABEL_STUDIO_DB_PORT") or str(free_port())
        wanted["LABEL_STUDIO_DB_PASSWORD"] = secrets.token_urlsafe(24)
    missing = {k: v for k, v in wanted.items() if k not in values}
    if missing:
        values.update(missing)
        body = "# Local Label Studio credentials, written by `toolkit label-studio start`. Never commit.\n"
        body += "".join(f"{k}={values[k]}\n" for k in sorted(values))
        atomic_write_bytes(path, body.encode("utf-8"), private=True)
    return values


def setting(name: str, file_values: Mapping[str, str]) -> str | None:
    """One setting: the environment wins over `.env`; empty counts as unset."""
    return os.environ.get(name) or file_values.get(name) or None


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL database as Label Studio's POSTGRE_* settings name it; `str()` never shows the password."""

    host: str
    port: int
    name: str
    user: str
    password: str = field(default="", repr=False)
    sslmode: str = ""

    def __str__(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"


@dataclass(frozen=True)
class Database:
    """Where Label Studio keeps its data.

    `sqlite`: a file in the data folder. `cluster`: a PostgreSQL cluster the toolkit creates and runs in
    the data folder (`server` says how Label Studio logs in). `server`: an existing PostgreSQL named by
    LABEL_STUDIO_DB_URL, which the toolkit neither starts nor stops.
    """

    kind: Literal["sqlite", "cluster", "server"] = "sqlite"
    server: PostgresServer | None = None


def _backend(file_values: Mapping[str, str]) -> str:
    backend = (setting("LABEL_STUDIO_DB", file_values) or "sqlite").strip().lower()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"LABEL_STUDIO_DB={backend!r} is not a database Label Studio can run on here; "
            "set it to sqlite or postgresql (in .env or the environment)"
        )
    return backend


def database(file_values: Mapping[str, str]) -> Database:
    """The database settings (environment, else `.env` values): SQLite, the toolkit's cluster, or a given server."""
    backend = _backend(file_values)
    url = setting("LABEL_STUDIO_DB_URL", file_values)
    if url:
        if backend == "sqlite" and setting("LABEL_STUDIO_DB", file_values):
            raise ConfigError(
                "LABEL_STUDIO_DB=sqlite and LABEL_STUDIO_DB_URL are both set; "
                "remove one of them (LABEL_STUDIO_DB_URL means PostgreSQL)"
            )
        return Database("server", parse_db_url(url))
    if backend == "sqlite":
        return Database()
    port, password = setting("LABEL_STUDIO_DB_PORT", file_values), setting("LABEL_STUDIO_DB_PASSWORD", file_values)
    if not port or not password:
        raise ConfigError(
            "LABEL_STUDIO_DB=postgresql but LABEL_STUDIO_DB_PORT or LABEL_STUDIO_DB_PASSWORD is not set; "
            "run `toolkit label-studio start`, which writes them to .env"
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"LABEL_STUDIO_DB_PORT={port!r} is not a port number; set it to a free port in .env")
    return Database("cluster", PostgresServer("127.0.0.1", int(port), DB_NAME, DB_ROLE, password))


def parse_db_url(url: str) -> PostgresServer:
    """postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=...] (percent-encoded parts decoded).

    Messages never quote the URL: in a malformed one the password may sit anywhere.
    """
    how = "write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode @ : / % in the password)"
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise ConfigError(f"LABEL_STUDIO_DB_URL is not a valid URL; {how}") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"LABEL_STUDIO_DB_URL is not a postgresql:// URL; {how}")
    name = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not parts.username or not name or "/" in name:
        raise ConfigError(f"LABEL_STUDIO_DB_URL lacks a user, a host or a database name; {how}")
    query = parse_qs(parts.query)
    if set(query) - {"sslmode"}:
        raise ConfigError("LABEL_STUDIO_DB_URL: of the URL parameters only sslmode is supported")
    return PostgresServer(
        parts.hostname,
        port,
        name,
        unquote(parts.username),
        unquote(parts.password or ""),
        query.get("sslmode", [""])[0],
    )


# Label Studio 1.23's default banned subnets (core/utils/io.py, validate_ip).
DEFAULT_BANNED = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "233.252.0.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "::ffff:0:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:0000::/32",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)


def loopback_webhook_env(allowed: str = "127.0.0.1") -> dict[str, str]:
    """Environment for Label Studio that bans what it bans by default, except the one address `allowed`."""
    keep = ipaddress.ip_network(allowed)
    subnets: list[str] = []
    for text in DEFAULT_BANNED:
        net = ipaddress.ip_network(text)
        if net.version == keep.version and keep.subnet_of(net):  # type: ignore[arg-type]
            subnets += sorted(str(n) for n in net.address_exclude(keep))  # type: ignore[arg-type]
        else:
            subnets.append(text)
    return {
        "LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS": "false",
        "LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS": ",".join(subnets),
    }
