"""`snapmart docs`: dbt's docs site (lineage, model and column docs, the catalogue of the
warehouse as built), generated with the warehouse's connection and served on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from orchestration.cli.output import console, fail, start_warehouse


def dbt_executable() -> str:
    """The dbt next to this interpreter (PATH may not include the venv), else ``dbt``."""
    local = Path(sys.executable).parent / "dbt"
    return str(local) if local.exists() else "dbt"


def docs(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve the site on.")] = 8080,
    serve: Annotated[
        bool, typer.Option(help="Serve the site after generating it (Ctrl-C stops it).")
    ] = True,
) -> None:
    """Generate dbt's docs site for the warehouse (lineage, column docs, the catalogue of
    what is built) and serve it on http://127.0.0.1:PORT.

    dbt runs as a child process with the connection in its environment only (never on
    its command line or on disk), as the transformer role; the site lands in dbt's
    target folder (catalog.json, manifest.json, index.html)."""
    from orchestration import transform

    wh = start_warehouse()
    env = {**os.environ, **transform.dbt_env(wh), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = transform.target_path()
    # the project, profiles and target folders every snapmart dbt invocation uses
    common = transform.dbt_args("docs")[1:]
    console.print("Generating the dbt docs site (dbt docs generate)…")
    generate = subprocess.run(
        [dbt_executable(), "docs", "generate", *common],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if generate.returncode != 0:
        tail = (generate.stdout + generate.stderr).strip().splitlines()[-15:]
        fail(RuntimeError("dbt docs generate failed:\n" + "\n".join(tail)), "see logs/dbt.log")
    console.print(f"[green]Docs site generated[/] in {target} (index.html, catalog.json).")
    if not serve:
        return
    console.print(f"Serving it on http://127.0.0.1:{port} — Ctrl-C stops it.")
    args = [dbt_executable(), "docs", "serve", *common]
    args += ["--host", "127.0.0.1", "--port", str(port), "--no-browser"]
    try:
        code = subprocess.call(args, env=env)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
