"""Issue 21's "analyst probes denied": the probe battery of
orchestration/runtime/probes.py run against the bench's built warehouse."""

from __future__ import annotations

from collections.abc import Callable

from orchestration import warehouse
from orchestration.runtime import embedded
from orchestration.runtime.probes import analyst_probes, summary, unreadable_marts


def analyst_probe_figures(
    info: warehouse.ConnectionInfo, log: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Probe ``info``'s warehouse (prepared, marts built) as ``snapmart_analyst``:
    ``analyst_probes`` tried, ``analyst_probes_denied``, ``analyst_probes_visible_by_design``
    (the system catalogues, which PostgreSQL shows every role) and ``analyst_marts_unreadable``
    (the positive control: marts the analyst could not read; 0 when all is well). Each
    probe that was not denied is logged. WarehouseError when the analyst cannot log in."""
    settings = warehouse.Settings.from_env()
    passwords = warehouse.Warehouse(settings, info).passwords()
    # The bench reaches its scratch database by URL, but on the home's embedded server,
    # whose roles carry the passwords kept with it.
    if passwords is None and embedded.running_port(settings.home) == info.port:
        passwords = embedded.passwords(settings.home)
    results = analyst_probes(info, passwords)
    for r in results:
        if not r.denied:
            log(f"  analyst probe {r.outcome}: {r.kind} {r.target}: {r.detail}")
    unreadable = unreadable_marts(info, passwords)
    for relation, message in unreadable.items():
        log(f"  analyst cannot read marts.{relation}: {message}")
    return {**summary(results), "analyst_marts_unreadable": len(unreadable)}
