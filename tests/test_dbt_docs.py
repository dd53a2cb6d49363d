"""`snapmart db env` makes plain `dbt` work on the warehouse; `snapmart docs` generates
dbt's docs site over it (the catalogue of what is built, with column docs)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import scalar

runner = CliRunner()
VIEW = "stg_osrs_prices__items"


def exports(output: str) -> dict[str, str]:
    """The ``export KEY=value`` lines of `snapmart db env`, as a mapping."""
    env = {}
    for line in output.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            (env[key],) = shlex.split(value)
    return env


def test_db_env_is_what_plain_dbt_needs_and_docs_describe_the_build(db, tmp_path) -> None:
    result = runner.invoke(app, ["db", "env"])
    assert result.exit_code == 0, result.output
    env = exports(result.output)
    assert env["SNAPMART_PG_DATABASE"] == db.database
    assert env["SNAPMART_PG_ROLE"] == "snapmart_transformer"
    assert env["SNAPMART_PG_PASSWORD"] == (db.password or "")  # not a terminal: eval-able

    # plain dbt, in a shell that has nothing of snapmart's but those exports
    bare = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env}
    dbt = str(Path(sys.executable).parent / "dbt")
    run = subprocess.run(
        [dbt, "run", "--select", VIEW], env=bare, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert scalar(db, f"select to_regclass('staging.{VIEW}') is not null")
    owner = scalar(
        db, f"select viewowner from pg_views where schemaname = 'staging' and viewname = '{VIEW}'"
    )
    assert owner == "snapmart_transformer"  # dbt worked as the role, not the login

    docs = runner.invoke(app, ["docs", "--no-serve"])
    assert docs.exit_code == 0, docs.output
    target = Path(env["DBT_TARGET_PATH"])
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    (node,) = [n for n in catalog["nodes"].values() if n["metadata"]["name"] == VIEW]
    assert node["metadata"]["schema"] == "staging"
    assert "source_item_id" in node["columns"]
    manifest = json.loads((target / "manifest.json").read_text())
    (model,) = [
        n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == VIEW
    ]
    assert model["description"]  # the column and model docs travel with the site
    assert db.password is None or db.password not in docs.output
