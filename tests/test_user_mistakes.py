"""User mistakes are one sentence (issue 21 item 8): each mistake, made as a user makes it
(a real `snapmart` process), ends with exit code 2 and, on stderr, one sentence and a
hint: no traceback, and nothing created (the server's databases are the same after).

And the URLs PostgreSQL itself accepts without a password work: the password from
PGPASSWORD, from a password file (PGPASSFILE, as ~/.pgpass), or none at all under
``trust``, for every tool a tick runs (psycopg, dlt, dbt, Dagster's storage).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from ingestion.simulator.writer import write_osrs_prices
from orchestration import warehouse
from orchestration.cli.exit_codes import ExitCode
from tests.conftest import SIM_END, scalar

ROOT = Path(__file__).resolve().parents[1]


def snapmart(
    args: list[str], tmp_path: Path, url: str | None, cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess:
    """``snapmart args`` as a process with the module's environment, SNAPMART_DATABASE_URL
    ``url``, no PGPASSWORD and a password file that does not exist (neither the
    developer's nor root's ~/.pgpass answers for us) unless ``env`` says otherwise."""
    base = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    base["PGPASSFILE"] = str(tmp_path / "no.pgpass")
    if url is not None:
        base["SNAPMART_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def databases(info: warehouse.ConnectionInfo) -> set[str]:
    with psycopg.connect(info.url("postgres")) as conn:
        return {r[0] for r in conn.execute("select datname from pg_database")}


def assert_one_sentence(result: subprocess.CompletedProcess) -> str:
    """Exit 2, stderr one sentence (``error: …``) and at most a hint line (``→ …``), no
    traceback anywhere; returns the sentence."""
    out = result.stdout + result.stderr
    assert result.returncode == ExitCode.USER_MISTAKE, out
    assert "Traceback" not in out
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    sentence = lines[0].removeprefix("error: ")
    # one sentence: it ends with a full stop, and no other sentence ends inside it
    assert sentence.endswith("."), sentence
    assert len(re.findall(r"[.!?](?:\s|$)", sentence)) == 1, sentence
    if len(lines) == 2:
        assert lines[1].startswith("→ "), result.stderr
    return sentence


@pytest.fixture(scope="module")
def url(db) -> str:
    return os.environ["SNAPMART_DATABASE_URL"]


def closed_port() -> int:
    import socket

    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MISTAKES = {
    # name: (arguments, how to spoil the URL (None: keep it), extra env, words the sentence has)
    "unsupported scheme, db url": (["db", "url"], "mysql", {}, "postgresql://"),
    "unsupported scheme, refresh": (["refresh"], "mysql", {}, "postgresql://"),
    "unix socket (peer authentication)": (["db", "url"], "socket", {}, "TCP only"),
    "unreachable server": (["db", "url"], "port", {}, "cannot reach PostgreSQL"),
    "wrong password": (["db", "url"], "password", {}, "refused the password"),
    "no password anywhere": (["db", "url"], "no password", {}, "asks user"),
    "typo in the database name": (["db", "url"], "typo", {}, "does not exist"),
    "typo in the database name, refresh": (["refresh"], "typo", {}, "does not exist"),
    "missing tracked_players.csv": (
        ["refresh", "--source", "osrs_hiscores"],
        None,
        {"SOURCES__OSRS_HISCORES__PLAYERS_FILE": "/nonexistent/tracked_players.csv"},
        "tracked_players.csv does not exist",
    ),
    "missing tracked_assets.csv": (
        ["ingest", "--source", "binance", "--replay"],
        None,
        {"SOURCES__BINANCE__ASSETS_FILE": "/nonexistent/tracked_assets.csv"},
        "tracked_assets.csv does not exist",
    ),
}


def spoil(url: str, how: str | None, db: warehouse.ConnectionInfo) -> str:
    if how is None:
        return url
    if how == "mysql":
        return f"mysql://{db.user}:{db.password}@{db.host}:{db.port}/{db.database}"
    if how == "socket":  # libpq's form for a server's Unix socket, peer's only way in
        return f"postgresql:///{db.database}?host=/var/run/postgresql"
    if how == "port":
        return replace(db, port=closed_port()).url()
    if how == "password":
        return replace(db, password="not-the-password").url()
    if how == "no password":
        return replace(db, password=None).url()
    if how == "typo":
        return replace(db, database=db.database[:-1] + "x").url()
    raise ValueError(how)


@pytest.mark.parametrize("case", list(MISTAKES))
def test_a_mistake_is_one_sentence_exit_2_and_changes_nothing(case, db, url, tmp_path) -> None:
    args, how, env, words = MISTAKES[case]
    before = databases(db)
    result = snapmart(args, tmp_path, spoil(url, how, db), **env)
    sentence = assert_one_sentence(result)
    assert words in sentence
    assert db.password not in result.stdout + result.stderr  # never echoed
    assert databases(db) == before  # nothing created: no database, no Dagster storage


def test_an_unreadable_secrets_file_is_one_sentence_not_missing_settings(db, url, tmp_path) -> None:
    """A `.dlt/secrets.toml` with a TOML error (an unclosed string on line 2) was read as
        "nothing set": config fell back to its defaults and credentials were missing on every
        tick. Now: exit 2 naming the file and the place (line 2, column 29: the end of the line
    the string does not close on), not the value."""
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    secrets = project / ".dlt" / "secrets.toml"
    secrets.write_text('[sources.wow_auctions]\nclient_secret = "s3cret-value\n')
    secrets.chmod(0o600)  # as it should be: a loose mode is said too (tests/test_secrets.py)
    before = databases(db)
    result = snapmart(["refresh", "--source", "osrs_hiscores"], tmp_path, url, cwd=project)
    sentence = assert_one_sentence(result)
    assert "secrets.toml" in sentence and "line 2 col 29" in sentence, sentence
    assert "s3cret-value" not in result.stdout + result.stderr
    assert databases(db) == before


def test_a_typo_names_the_database_it_probably_meant(db, url, tmp_path) -> None:
    result = snapmart(["db", "url"], tmp_path, spoil(url, "typo", db), **{})
    assert f"did you mean {db.database!r}?" in assert_one_sentence(result)


@pytest.fixture(scope="module")
def landed(db, landing) -> None:
    """A few hours of OSRS prices in the landing zone, for the loads below."""
    write_osrs_prices(0.1, seed=3, n_items=8, end=SIM_END, root=landing)


def test_a_url_without_password_works_with_pgpassword(db, url, landed, tmp_path) -> None:
    """The load a password-less URL used to fail in (dlt: "missing password")."""
    bare = replace(db, password=None).url()
    result = snapmart(
        ["ingest", "--replay", "--source", "osrs_prices"], tmp_path, bare, PGPASSWORD=db.password
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert scalar(db, "select count(*) from raw_osrs_prices.prices_5m") > 0


def test_a_url_without_password_works_with_a_password_file(db, url, landed, tmp_path) -> None:
    """A whole tick (dlt, Great Expectations, dbt, Dagster's storage) with the password
    in a password file only, as ~/.pgpass holds it."""
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{db.host}:{db.port}:*:{db.user}:{db.password}\n")
    pgpass.chmod(0o600)  # libpq ignores a password file others may read
    bare = replace(db, password=None).url()
    result = snapmart(
        ["refresh", "--replay", "--source", "osrs_prices"], tmp_path, bare, PGPASSFILE=str(pgpass)
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert scalar(db, "select count(*) from marts.fct_price_observations") > 0


TRUST_ROLE = "snapmart_trust_probe"


@pytest.fixture
def trusted(db, base_url_env) -> Iterator[str]:
    """A login the server trusts on loopback (a pg_hba.conf line of its own, first), for
    the length of a test: the embedded server's configuration is ours to change."""
    if base_url_env:
        pytest.skip("needs the embedded server: an external one's pg_hba.conf is not ours")
    with psycopg.connect(db.url("postgres"), autocommit=True) as conn:
        hba = Path(conn.execute("show hba_file").fetchone()[0])
        conn.execute(f"create role {TRUST_ROLE} login superuser")
        original = hba.read_text()
        hba.write_text(f"host all {TRUST_ROLE} 127.0.0.1/32 trust\n{original}")
        conn.execute("select pg_reload_conf()")
    try:
        yield replace(db, user=TRUST_ROLE, password=None).url()
    finally:
        hba.write_text(original)
        # what the role owns (default privileges, Dagster's tables) goes to the owner, in
        # each database it worked in, before the role goes
        for name in sorted(databases(db) & {db.database, f"{db.database}_dagster"}):
            with psycopg.connect(db.url(name), autocommit=True) as conn:
                conn.execute(f"reassign owned by {TRUST_ROLE} to {db.user}")
                conn.execute(f"drop owned by {TRUST_ROLE}")
        with psycopg.connect(db.url("postgres"), autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
            conn.execute(f"drop role {TRUST_ROLE}")


def test_a_url_without_password_works_under_trust(db, landed, trusted, tmp_path) -> None:
    """No password anywhere: libpq needs none, and neither does dlt any more."""
    result = snapmart(["ingest", "--replay", "--source", "osrs_prices"], tmp_path, trusted)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "password" not in result.stderr.lower()


def test_libpq_messages_are_told_apart_by_their_quoted_names() -> None:
    """libpq's text names the host too: a server on host "database" (docker-compose) whose
    role is missing was said to miss its database. Each message, as libpq words it."""
    from orchestration.runtime.connection import ConnectionInfo, connect_mistake

    info = ConnectionInfo("database", 5432, "bob", None, "snapmart")
    no_role = OSError(
        'connection to server at "database" (10.0.0.7), port 5432 failed: '
        'FATAL:  role "bob" does not exist'
    )
    assert "has no user 'bob'" in connect_mistake(no_role, info).sentence
    no_db = OSError(
        'connection to server at "database" (10.0.0.7), port 5432 failed: '
        'FATAL:  database "postgres" does not exist'
    )
    said = connect_mistake(no_db, info).sentence
    assert "The database 'postgres' does not exist on database:5432" in said, said
