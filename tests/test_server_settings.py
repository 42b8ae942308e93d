"""Database settings of the local Label Studio: which database, from where, and errors that leak no password."""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import ConfigError
from toolkit.labelstudio import postgres
from toolkit.labelstudio.settings import database, ensure_env_file, free_port, parse_db_url

SECRET = "t0p s3cret@:/%"


def test_environment_wins_over_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {"LABEL_STUDIO_DB": "sqlite", "LABEL_STUDIO_DB_PORT": "5433", "LABEL_STUDIO_DB_PASSWORD": SECRET}
    monkeypatch.delenv("LABEL_STUDIO_DB_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_DB_PORT", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_DB", raising=False)
    assert database(values).kind == "sqlite"
    monkeypatch.setenv("LABEL_STUDIO_DB", "PostgreSQL")
    db = database(values)
    assert db.kind == "cluster" and db.server is not None
    assert (db.server.host, db.server.port, db.server.password) == ("127.0.0.1", 5433, SECRET)
    assert SECRET not in repr(db) and SECRET not in str(db.server)
    monkeypatch.setenv("LABEL_STUDIO_DB", "mysql")
    with pytest.raises(ConfigError, match="sqlite or postgresql"):
        database(values)


def test_env_file_gets_cluster_secrets_only_for_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LABEL_STUDIO_DB", "LABEL_STUDIO_DB_URL", "LABEL_STUDIO_DB_PORT", "LABEL_STUDIO_PORT"):
        monkeypatch.delenv(var, raising=False)
    env = tmp_path / ".env"
    first = ensure_env_file(env)
    assert "LABEL_STUDIO_DB_PASSWORD" not in first and "LABEL_STUDIO_DB" not in first
    monkeypatch.setenv("LABEL_STUDIO_DB", "postgresql")
    values = ensure_env_file(env)
    assert len(values["LABEL_STUDIO_DB_PASSWORD"]) >= 24 and int(values["LABEL_STUDIO_DB_PORT"]) > 0
    assert values["LABEL_STUDIO_DB"] == "postgresql"  # remembered: a later plain start finds the same data
    monkeypatch.setenv("LABEL_STUDIO_DB", "sqlite")
    assert ensure_env_file(env) == values  # written once, then kept; the environment still wins when read
    assert database(values).kind == "sqlite"
    monkeypatch.delenv("LABEL_STUDIO_DB")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert database(values).kind == "cluster"


def test_db_url_is_decoded_and_errors_never_show_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABEL_STUDIO_DB", raising=False)
    server = parse_db_url(f"postgresql://l%40s:{quote(SECRET, safe='')}@db.example.org/label%20studio?sslmode=require")
    assert (server.user, server.password, server.host, server.port) == ("l@s", SECRET, "db.example.org", 5432)
    assert (server.name, server.sslmode) == ("label studio", "require")
    assert SECRET not in repr(server) and SECRET not in str(server)
    encoded = quote(SECRET, safe="")
    bad = {
        f"mysql://u:{encoded}@h/db": "not a postgresql:// URL",
        f"postgresql://u:{encoded}@h:5432/": "lacks a user, a host or a database",
        f"postgresql://u:{encoded}@h:port/db": "not a valid URL",
        f"postgresql://u:{encoded}@h/db?options=-c": "only sslmode",
        f"postgresql://u:{SECRET}@h:5432/db": "lacks a user, a host or a database",  # not percent-encoded
    }
    for url, message in bad.items():
        with pytest.raises(ConfigError, match=message) as err:
            parse_db_url(url)
        assert not any(part in str(err.value) for part in ("t0p", "s3cret", encoded)), err.value
    monkeypatch.setenv("LABEL_STUDIO_DB", "sqlite")
    with pytest.raises(ConfigError, match="both set"):
        database({"LABEL_STUDIO_DB_URL": "postgresql://u@h/db"})


def test_unreachable_db_url_is_a_message_without_the_password(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("LABEL_STUDIO_DB_URL", f"postgresql://ls:{quote(SECRET, safe='')}@127.0.0.1:{port}/ls")
    monkeypatch.setenv("LABEL_STUDIO_PORT", str(free_port()))
    res = CliRunner().invoke(main, ["label-studio", "start"])
    assert res.exit_code == 2, res.output
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in res.output and "LABEL_STUDIO_DB_URL" in res.output
    assert SECRET not in res.output and quote(SECRET, safe="") not in res.output and "Traceback" not in res.output


def test_postgresql_not_installed_says_how_to_install(tmp_path: Path) -> None:
    (tmp_path / "initdb").write_text("")  # a folder with initdb alone is not an installation
    with pytest.raises(ConfigError, match=r"apt-get install postgresql"):
        postgres.find_bindir(search=[tmp_path])
    with pytest.raises(ConfigError, match=r"PostgreSQL 9\.6, which is not installed.*install postgresql-9\.6"):
        postgres.find_bindir("9.6")


def test_the_other_database_in_the_folder_is_pointed_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a switch of LABEL_STUDIO_DB the data must not seem lost: start names where it still is."""
    from toolkit.labelstudio.server import SQLITE, other_data

    monkeypatch.setenv("LABEL_STUDIO_DB", "postgresql")
    cluster = database({"LABEL_STUDIO_DB_PORT": "5433", "LABEL_STUDIO_DB_PASSWORD": SECRET})
    assert other_data(tmp_path, SQLITE) is None and other_data(tmp_path, cluster) is None
    (tmp_path / "postgres").mkdir()
    (tmp_path / "label_studio.sqlite3").write_bytes(b"")
    assert "holds a PostgreSQL cluster" in (other_data(tmp_path, SQLITE) or "")
    assert "holds SQLite data" in (other_data(tmp_path, cluster) or "") and SECRET not in str(
        other_data(tmp_path, cluster)
    )
