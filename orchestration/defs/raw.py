"""dlt loads as Dagster assets: one multi-asset per source, keyed ``raw_<source>/<table>``.

Its specs are dagster-dlt's (``build_dlt_asset_specs``), so ``DagsterDltResource.run``
reads the source and pipeline from them as under ``@dlt_assets``; the multi-asset adds
two non-blocking checks per source (``fetch_ok``, ``new_rows``). The source object given
to the specs only shapes them; each run builds a fresh one that knows which landing
files are already loaded, and a pipeline bound to the warehouse of that moment
(embedded or external).

A fetch that fails after its retries does not fail the run: what arrived is loaded and
the marts build from it, and the check ``fetch_ok`` goes red (severity ERROR) naming the
request that failed (docs/architecture.md#when-a-fetch-fails). The CLI exits 3 on it.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dlt
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    MaterializeResult,
    multi_asset,
)
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion import loader
from ingestion.sources import SOURCES
from ingestion.sources import get as get_source
from orchestration import gaps as fetch_gaps
from orchestration import ingest, metrics
from orchestration.defs import partitions
from orchestration.defs.raw_events import (
    FETCH_FAILED,
    FETCH_OK,
    NEW_ROWS,
    PROGRESS_EVERY_SECONDS,
    TRIGGER_TAG,
    progress_line,
)
from orchestration.defs.resources import WarehouseResource
from orchestration.runtime import locks


@dataclass
class RawTranslator(DagsterDltTranslator):
    """Asset key = the table dlt writes (raw_<source>/<table>), the key dbt sources name
    in ``meta.dagster.asset_key``, so dlt and dbt assets form one lineage."""

    source: str = ""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        """dagster-dlt's spec for the resource, keyed ``raw_<source>/<table>``, grouped by source,
        with no upstream dependencies."""
        spec = super().get_asset_spec(data)
        source = self.source
        return spec.replace_attributes(
            key=AssetKey([f"raw_{source}", data.resource.name]),
            deps=[],
            group_name=source,
        )


class IngestConfig(Config):
    """Run config: ``replay`` loads landing files only, with no live fetch."""

    replay: bool = False


def _spec_source(source: str) -> Any:
    module = get_source(source)
    return loader.landing_source(source, module.ENDPOINTS, loaded={})


def _spec_pipeline(source: str) -> Any:
    # Shape only; never run. Credentials are bound per run in _materialize. Its folder is
    # the process's own: every process imports this, and dlt.pipeline() wipes a working
    # folder holding no state yet, as a source's first load in another process does.
    return dlt.pipeline(
        pipeline_name=f"snapmart_{source}",
        destination=dlt.destinations.postgres(credentials="postgresql://spec@localhost/spec"),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(ingest.scratch_pipelines_dir()),
    )


def trigger(context: AssetExecutionContext, replay: bool, window: Any) -> str:
    """What started the load, as ops.pipeline_metrics records it: the schedule or the UI
    (``dagster…``), or a `snapmart` command (``cli…``, run tag ``TRIGGER_TAG``)."""
    base = "cli" if context.run.tags.get(TRIGGER_TAG) == "cli" else "dagster"
    return f"{base}-replay" if replay else f"{base}-backfill" if window else base


def _materialize(
    context: AssetExecutionContext,
    dlt_resource: DagsterDltResource,
    source: str,
    replay: bool,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    window = None if replay else partitions.backfill_window(context)
    tick = metrics.SourceTick(source, trigger(context, replay, window), tick_id=context.run_id)
    tick.run_id = context.run_id
    # ticks of this source that a killed process left "running": crashed, and their runs
    # failed, before this one says it runs
    for crashed in metrics.sweep(warehouse.info, context.instance, source):
        context.log.warning(f"{source}: tick {crashed.tick_id} {crashed.reason}")
    metrics.start([tick], warehouse.info)
    try:
        # one fetch + load per source at a time, whoever started it (orchestration/runtime/locks.py)
        with locks.hold(
            warehouse.info,
            locks.source_lock(source),
            run_id=context.run_id,
            wait=warehouse.warehouse.settings.lock_wait_seconds,
            on_wait=lambda who: context.log.info(f"{source}: waiting for the lock of {who}"),
        ):
            yield from _fetch_and_load(
                context, dlt_resource, source, replay, tick, window, warehouse
            )
    except Exception as exc:
        tick.status, tick.error = "failed", str(exc)[:1000]
        raise
    finally:
        metrics.record([tick], warehouse.info)


def _fetch_and_load(
    context: AssetExecutionContext,
    dlt_resource: DagsterDltResource,
    source: str,
    replay: bool,
    tick: metrics.SourceTick,
    window: tuple[datetime, datetime] | None,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    """Fetch (unless replaying), then load every landing file not loaded yet. A fetch
    that fails after its retries is recorded (the tick counts as failed) and logged, and
    the load goes on: what was fetched before the failure is archived, and the files
    already landed are no less loadable."""
    from ingestion.http import FetchError

    fetch_error = None
    root = warehouse.landing
    if not replay:
        t0 = time.monotonic()
        try:
            if window:
                context.log.info(
                    f"{source}: backfilling {window[0]:%F %H:%M} to {window[1]:%F %H:%M} UTC"
                )
                report = get_source(source).fetch_window(*window, root=root)
            else:
                report = ingest.fetch_source(source, root=root)
        except FetchError as exc:
            tick.fetch_failed(exc)
            fetch_error = str(exc)
        except Exception as exc:
            tick.fetch_failed(exc)
            raise
        else:
            tick.fetched(report)
            context.log.info(
                f"{source}: fetched {len(report.files)} file(s) in {report.requests}"
                f" request(s), {report.retries} retried"
            )
            if report.failures:  # it went on past them; the first one says which request
                tick.status = "failed"  # the report's counters are the whole fetch's
                fetch_error = str(report.failures[0])
                if len(report.failures) > 1:
                    fetch_error += f" (and {len(report.failures) - 1} more request(s))"
                tick.error = fetch_error[:1000]
        finally:
            tick.seconds["fetch"] = time.monotonic() - t0
        if fetch_error:
            context.log.warning(
                f"{FETCH_FAILED}{fetch_error} (what was fetched before the failure is"
                " archived; loading the landing files anyway)"
            )
        # what the API will never serve again, named (after a failed fetch too)
        found = fetch_gaps.after_fetch(source, root, warehouse.info)
        if found:
            last = max(found, key=lambda g: g.gap_to)
            context.log.warning(
                f"{source}: {len(found)} open gap(s) the API no longer serves; the latest:"
                f" {last.endpoint} {last.gap_from:%F %H:%M} to {last.gap_to:%F %H:%M} UTC"
            )
    t0 = time.monotonic()
    module = get_source(source)
    selected = {key.path[-1] for key in context.selected_asset_keys}
    pending = [0, 0, 0.0]  # files pending, files read, when last said

    def on_pending(n: int) -> None:
        pending[0] = n
        context.log.info(progress_line(source, 0, n))

    def advance(_endpoint: str, n: int) -> None:
        pending[1] += n
        now = time.monotonic()
        if now - pending[2] >= PROGRESS_EVERY_SECONDS or pending[1] >= pending[0]:
            pending[2] = now
            context.log.info(progress_line(source, pending[1], pending[0]))

    resumed: list[dict[str, int]] = []  # an interrupted run's package, loaded first
    pipeline, run_source, _ = ingest.prepare_load(
        source,
        root,
        progress=advance,
        only_tables=selected,
        on_pending=on_pending,
        wh=warehouse.warehouse,
        on_resumed=resumed.append,
    )
    results = list(
        dlt_resource.run(
            context=context,
            dlt_source=run_source,
            dlt_pipeline=pipeline,
            loader_file_format=loader.FILE_FORMAT,
        )
    )
    loader.ensure_tables(pipeline, [e.table for e in module.ENDPOINTS])
    loader.ensure_indexes(pipeline, [e.table for e in module.ENDPOINTS])
    tables = {e.table.name for e in module.ENDPOINTS}
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    counts = dict(counts or {})
    for extra in resumed:  # its run died before counting it: this tick's rows too
        for table, n in extra.items():
            counts[table] = counts.get(table, 0) + n
    tick.rows_by_table = {t: n for t, n in counts.items() if t in tables}
    tick.rows_loaded = sum(tick.rows_by_table.values())
    tick.rows_rejected = counts.get("rejected_records", 0)
    tick.files_loaded = counts.get("landing_files", 0)
    tick.seconds["load"] = time.monotonic() - t0
    # the same numbers on every table of the load: a follower (the CLI's summary) reads
    # them from whichever materialization it sees
    shared = {
        "rows_rejected_in_run": tick.rows_rejected,
        "files_loaded_in_run": tick.files_loaded,
        "load_seconds": round(tick.seconds["load"], 3),
        "time_window": (
            f"backfill {window[0]:%F} → {window[1]:%F} (UTC, end exclusive)"
            if window
            else "live: newest data and everything missed since, as far back as the API serves"
            if not replay
            else "replay: landing files not loaded yet, no fetch"
        ),
    }
    if not replay:
        shared["files_fetched"] = tick.files_fetched or 0
        shared["fetch_seconds"] = round(tick.seconds["fetch"], 3)
    if fetch_error:
        shared["fetch_error"] = fetch_error[:1000]
    shared["new_rows_in_run"] = tick.rows_loaded
    for result in results:
        if isinstance(result, MaterializeResult):
            yield MaterializeResult(
                asset_key=result.asset_key,
                metadata={
                    **(result.metadata or {}),
                    **shared,
                    "rows_loaded_in_run": tick.rows_by_table.get(result.asset_key.path[-1], 0),
                },
            )
        else:
            yield result
    yield from _check_results(context, source, replay, fetch_error, tick.rows_loaded)


def check_asset(source: str) -> AssetKey:
    """The raw asset a source's ``fetch_ok`` and ``new_rows`` checks sit on: its first
    endpoint's table (the checks are about the whole source's tick)."""
    return AssetKey([f"raw_{source}", get_source(source).ENDPOINTS[0].table.name])


def check_specs(source: str) -> list[AssetCheckSpec]:
    """The source's two non-blocking checks: ``fetch_ok`` (every request of the fetch was
    answered; red, severity ERROR, naming the request that was not) and ``new_rows`` (the
    load brought new rows; a warning when it brought none)."""
    asset = check_asset(source)
    return [
        AssetCheckSpec(
            FETCH_OK,
            asset=asset,
            description=f"Every request of the {source} fetch was answered (after retries); "
            "when one was not, what arrived is still loaded, and the check names the request.",
        ),
        AssetCheckSpec(
            NEW_ROWS,
            asset=asset,
            description=f"The {source} load brought new rows; a load of none (nothing new "
            "landed) warns: the source is not fresh.",
        ),
    ]


def _check_results(
    context: AssetExecutionContext,
    source: str,
    replay: bool,
    fetch_error: str | None,
    rows: int | None,
) -> Iterator[AssetCheckResult]:
    """The source's check results, those of the run's selection only."""
    selected = context.selected_asset_check_keys
    asset = check_asset(source)
    for spec in check_specs(source):
        if spec.key not in selected:
            continue
        if spec.name == FETCH_OK:
            yield AssetCheckResult(
                asset_key=asset,
                check_name=FETCH_OK,
                passed=fetch_error is None,
                severity=AssetCheckSeverity.ERROR,
                description=fetch_error or ("replay: nothing fetched" if replay else None),
                metadata={"fetched": not replay, "error": fetch_error or ""},
            )
        else:
            yield AssetCheckResult(
                asset_key=asset,
                check_name=NEW_ROWS,
                passed=bool(rows),
                severity=AssetCheckSeverity.WARN,
                description=None if rows else f"no new rows: {source}",
                metadata={"rows_loaded": rows or 0},
            )


def build_raw_assets(source: str) -> Any:
    """The source's raw assets: one multi-asset, ``<source>_raw``, of dagster-dlt's specs for
    its raw tables plus its ``fetch_ok`` and ``new_rows`` checks; pool ``ingest_<source>``,
    daily partitions for a source that can backfill."""
    backfills = source in partitions.BACKFILL_SOURCES

    @multi_asset(
        specs=build_dlt_asset_specs(
            dlt_source=_spec_source(source),
            dlt_pipeline=_spec_pipeline(source),
            dagster_dlt_translator=RawTranslator(source=source),
        ),
        check_specs=check_specs(source),
        name=f"{source}_raw",
        can_subset=True,
        pool=f"ingest_{source}",  # a backfill and the schedule never load one source at once
        partitions_def=partitions.DAILY if backfills else None,
        backfill_policy=partitions.ONE_RUN_PER_RANGE if backfills else None,
    )
    def _assets(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        config: IngestConfig,
        warehouse: WarehouseResource,
    ) -> Iterator[Any]:
        warehouse.warehouse.prepare()
        yield from _materialize(context, dlt, source, config.replay, warehouse)

    return _assets


RAW_ASSETS = [build_raw_assets(source) for source in SOURCES]
