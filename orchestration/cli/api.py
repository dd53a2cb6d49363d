"""`snapmart api`: the HTTP API over the marts (orchestration/api/, docs/api.md), served
by uvicorn, reading as the analyst role."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestration.cli.output import console, start_warehouse


def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API over the marts on http://HOST:PORT (OpenAPI docs at /docs),
    reading them through a small pool of connections acting as snapmart_analyst. Ctrl-C
    stops it."""
    import uvicorn

    from orchestration.api.app import create_app
    from orchestration.api.db import Marts

    wh = start_warehouse()
    app = create_app(Marts(wh.info))
    console.print(
        f"snapmart API on http://{host}:{port} (docs: http://{host}:{port}/docs), reading"
        f" {wh.info.database!r} as snapmart_analyst; Ctrl-C stops it."
    )
    # uvicorn's access log holds method, path and status; no header, body or password
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
