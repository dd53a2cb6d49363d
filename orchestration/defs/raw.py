"""dlt loads as Dagster assets: one @dlt_assets per source, keyed ``raw_<source>/<table>``.

The source object given to ``@dlt_assets`` only shapes the asset specs; each run
builds a fresh one that knows which landing files are already loaded, and a
pipeline bound to the warehouse of that moment (embedded or external).
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion import loader
from ingestion.sources import SOURCES
from ingestion.sources import get as get_source
from orchestration import ingest, metrics, warehouse
from orchestration.defs import partitions


@dataclass
class RawTranslator(DagsterDltTranslator):
    """Asset key = the table dlt writes (raw_<source>/<table>), the key dbt sources name
    in ``meta.dagster.asset_key``, so dlt and dbt assets form one lineage."""

    source: str = ""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
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
    # Shape only; never run. Credentials are bound per run in _materialize.
    return dlt.pipeline(
        pipeline_name=f"snapmart_{source}",
        destination=dlt.destinations.postgres(credentials="postgresql://spec@localhost/spec"),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(ingest.pipelines_dir()),
    )


def _materialize(
    context: AssetExecutionContext, dlt_resource: DagsterDltResource, source: str, replay: bool
) -> Iterator[Any]:
    window = None if replay else partitions.backfill_window(context)
    trigger = "dagster-replay" if replay else "dagster-backfill" if window else "dagster"
    tick = metrics.SourceTick(source, trigger)
    tick.run_id = context.run_id
    try:
        yield from _fetch_and_load(context, dlt_resource, source, replay, tick, window)
    except Exception as exc:
        tick.status, tick.error = "failed", str(exc)[:1000]
        raise
    finally:
        metrics.record([tick])


def _fetch_and_load(
    context: AssetExecutionContext,
    dlt_resource: DagsterDltResource,
    source: str,
    replay: bool,
    tick: metrics.SourceTick,
    window: tuple[datetime, datetime] | None,
) -> Iterator[Any]:
    if not replay:
        t0 = time.monotonic()
        try:
            if window:
                context.log.info(
                    f"{source}: backfilling {window[0]:%F %H:%M} to {window[1]:%F %H:%M} UTC"
                )
                report = get_source(source).fetch_window(*window)
            else:
                report = ingest.fetch_source(source)
        except Exception as exc:
            tick.fetch_failed(exc)
            raise
        finally:
            tick.seconds["fetch"] = time.monotonic() - t0
        tick.fetched(report)
        context.log.info(
            f"{source}: fetched {len(report.files)} file(s) in {report.requests} request(s), "
            f"{report.retries} retried"
        )
    t0 = time.monotonic()
    module = get_source(source)
    selected = {key.path[-1] for key in context.selected_asset_keys}
    pipeline, run_source, _ = ingest.prepare_load(source, only_tables=selected)
    rejected_before = _rejected_count(pipeline)
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
    rejected = _rejected_count(pipeline) - rejected_before
    tables = {e.table.name for e in module.ENDPOINTS}
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    tick.rows_by_table = {t: n for t, n in (counts or {}).items() if t in tables}
    tick.rows_loaded, tick.rows_rejected = sum(tick.rows_by_table.values()), rejected
    tick.seconds["load"] = time.monotonic() - t0
    for result in results:
        if isinstance(result, MaterializeResult):
            yield MaterializeResult(
                asset_key=result.asset_key,
                metadata={
                    **(result.metadata or {}),
                    "rows_rejected_in_run": rejected,
                    "rows_loaded_in_run": tick.rows_by_table.get(result.asset_key.path[-1], 0),
                    "time_window": (
                        f"backfill {window[0]:%F} → {window[1]:%F} (UTC, end exclusive)"
                        if window
                        else "live: newest data plus the catch-up window"
                    ),
                },
            )
        else:
            yield result


def _rejected_count(pipeline: Any) -> int:
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("rejected_records")
            return int(client.execute_sql(f"select count(*) from {table}")[0][0])
    except Exception:
        return 0


def build_raw_assets(source: str) -> Any:
    @dlt_assets(
        dlt_source=_spec_source(source),
        dlt_pipeline=_spec_pipeline(source),
        name=f"{source}_raw",
        dagster_dlt_translator=RawTranslator(source=source),
        pool=f"ingest_{source}",  # a backfill and the schedule never load one source at once
        partitions_def=partitions.DAILY if source in partitions.BACKFILL_SOURCES else None,
        backfill_policy=(
            partitions.ONE_RUN_PER_RANGE if source in partitions.BACKFILL_SOURCES else None
        ),
    )
    def _assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: IngestConfig
    ) -> Iterator[Any]:
        warehouse.ensure_warehouse()
        yield from _materialize(context, dlt, source, config.replay)

    return _assets


RAW_ASSETS = [build_raw_assets(source) for source in SOURCES]
