"""Connection settings from the environment (which wins) or a git-ignored, mode-600 `.env`."""

from __future__ import annotations

import io
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

from ..errors import ConfigError
from ..io.reader import read_text
from ..io.writer import atomic_write_bytes

DEFAULT_PORT = 8080
DEFAULT_EMAIL = "admin@news-relations.local"


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
    """Create `.env` with a random password and token on first use (mode 600); return its values."""
    values = read_env_file(path)
    port = os.environ.get("LABEL_STUDIO_PORT") or values.get("LABEL_STUDIO_PORT") or str(DEFAULT_PORT)
    wanted = {
        "LABEL_STUDIO_PORT": port,
        "LABEL_STUDIO_URL": f"http://127.0.0.1:{port}",
        "LABEL_STUDIO_USERNAME": DEFAULT_EMAIL,
        "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(18),
        "LABEL_STUDIO_API_KEY": secrets.token_hex(20),
    }
    missing = {k: v for k, v in wanted.items() if k not in values}
    if missing:
        values.update(missing)
        body = "# Local Label Studio credentials, written by `toolkit label-studio start`. Never commit.\n"
        body += "".join(f"{k}={values[k]}\n" for k in sorted(values))
        atomic_write_bytes(path, body.encode("utf-8"), private=True)
    return values
