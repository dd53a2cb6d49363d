"""`snapmart simulate …`: the deterministic market simulator, as landing files or as
APIs on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestration.cli.output import console, progress, settings
from orchestration.cli.tick import SourceOpt, resolve_sources

sim_app = typer.Typer(help="The deterministic market simulator.")


@sim_app.command("write")
def simulate_write(
    days: Annotated[float, typer.Option(help="Days of history to write.")] = 7,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42,
    items: Annotated[int, typer.Option(help="Simulated GE items.")] = 300,
    source: SourceOpt = None,
    landing: Annotated[
        Path | None, typer.Option(help="Landing dir (default SNAPMART_LANDING_DIR).")
    ] = None,
) -> None:
    """Write simulated landing files, as fetch would have (every source by default)."""
    from ingestion.simulator import writer

    landing = landing or settings().landing_root
    writers = {
        "osrs_prices": lambda **kw: writer.write_osrs_prices(days, n_items=items, **kw),
        "wow_auctions": lambda **kw: writer.write_wow_auctions(days, **kw),
        "dofus_market": lambda **kw: writer.write_dofus_market(days, **kw),
        "osrs_hiscores": lambda **kw: writer.write_osrs_hiscores(days, **kw),
        # one tick of both exchange sources fetches their whole history
        "binance": lambda **kw: writer.write_exchanges(**kw),
        "vividseats": lambda **kw: writer.write_vividseats(days, **kw),
    }
    chosen = resolve_sources(source)
    if "binance" in chosen and "yahoo_finance" in chosen:
        chosen.remove("yahoo_finance")
    for name in chosen:
        if name not in writers:  # yahoo_finance alone: the exchanges writer does both
            name = "binance"
        with progress() as bar:
            task = bar.add_task(name, total=None)
            rep = writers[name](
                seed=seed,
                root=landing,
                progress=lambda d, t, task=task: bar.update(task, completed=d, total=t),
            )
        span = f" ({rep.start:%F %H:%M} → {rep.end:%F %H:%M} UTC)" if rep.start else ""
        console.print(f"{name}: wrote {rep.files:,} files{span} under {landing}.")


@sim_app.command("serve")
def simulate_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8787,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42,
    items: Annotated[int, typer.Option(help="Simulated GE items.")] = 300,
) -> None:
    """Serve the simulated APIs on loopback until Ctrl-C."""
    from ingestion.simulator.server import SimulatorServer

    server = SimulatorServer(port=port, seed=seed, n_items=items)
    console.print(
        f"Simulator on {server.url}\n"
        f"  export SOURCES__OSRS_PRICES__BASE_URL={server.osrs_base_url}\n"
        f"  export SOURCES__OSRS_HISCORES__BASE_URL={server.url}\n"
        f"  export SOURCES__VIVIDSEATS__BASE_URL={server.url}"
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        server.httpd.server_close()
