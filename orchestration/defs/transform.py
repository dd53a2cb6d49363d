"""dbt models as Dagster assets, their tests as asset checks.

The price fact (partitioned by day, for backfills), the other incremental facts and
everything else sit in separate ``@dbt_assets``, each in a pool of its own (limit 1,
orchestration/defs/queue.py): two runs never build the same models at once. dbt sources carry
``meta.dagster.asset_key`` = the dlt asset's key, so the graph is one lineage.

Each step runs dbt in-process on the project parsed once per process
(orchestration/transform.py), and dagster-dbt turns dbt's node results into
materializations and check results: the asset graph splits dbt into several steps (around
the price fact, its volume check and the alerts), and each step costs its models, not a
dbt start-up and a parse.
"""

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Config, Failure
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_UNIQUE_ID_METADATA_KEY,
    DBT_INDIRECT_SELECTION_ENV,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration import transform
from orchestration.defs import partitions, run_metadata
from orchestration.defs.resources import WarehouseResource
from orchestration.runtime import locks
from orchestration.transform import PROJECT_DIR, dbt_args, target_path

INCREMENTAL = "config.materialized:incremental"
# The pipeline-health views (docs/architecture.md): they read ops tables, so no source's
# selection holds them; every dbt step makes sure they exist (once: they are views,
# current whenever queried), so a warehouse only ever refreshed source by source has them.
HEALTH_VIEWS = ("mart_pipeline_runs", "mart_source_health", "mart_fetch_gaps")


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any dbt file,
    so the definitions load on a fresh clone without a separate `dbt parse` step."""
    target = target_path()
    target.mkdir(parents=True, exist_ok=True)
    manifest = target / "manifest.json"
    # two processes starting at once (two `snapmart` commands, a code server and a command)
    # would otherwise parse into the same file while the other reads it half-written
    with open(target / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        newest = max(p.stat().st_mtime for p in transform.project_files())
        if manifest.exists() and manifest.stat().st_mtime >= newest:
            return manifest
        from dbt.cli.main import dbtRunner

        res = dbtRunner().invoke([*dbt_args("parse"), "--quiet"])
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
    return manifest


DBT_PROJECT = DbtProject(
    project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=target_path()
)
MANIFEST = ensure_manifest()


class Translator(DagsterDbtTranslator):
    """Groups by layer/domain folder (staging_osrs_prices, marts_markets, ...)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The node's group: its layer and domain folder, seeds in ``reference``."""
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        if len(fqn) >= 3:
            return f"{fqn[1]}_{fqn[2]}"
        return "dbt"


TRANSLATOR = Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(Config):
    """Run config of the dbt steps. A tick (the schedule, `snapmart refresh`) runs the data
    tests only; `snapmart transform` asks for the unit tests too, or a full refresh."""

    full_refresh: bool = False
    unit_tests: bool = False


def _build(
    context: AssetExecutionContext,
    config: DbtBuildConfig,
    warehouse: WarehouseResource,
    dbt_vars: dict[str, str] | None = None,
) -> Iterator[Any]:
    """dbt build of this step's selection (in-process), as Dagster events."""
    wh = warehouse.warehouse
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=None,
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=os.getenv(DBT_INDIRECT_SELECTION_ENV),
    )
    # the dbt node of each selected asset (unique id → asset key)
    keys = {
        context.assets_def.get_asset_spec(key).metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY]: key
        for key in context.selected_asset_keys
    }
    selected = list(keys)
    args = dbt_args("build", full_refresh=config.full_refresh, unit_tests=config.unit_tests)
    # the step's log says what failed (below); dbt's own log file keeps the detail
    args += [*selection, "--log-level", "none"]
    if indirect:
        args += ["--indirect-selection", indirect]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    since = None if dbt_vars else _loaded_since(context)
    # two runs (a tick, a backfill, another process) never build this step's models at once
    step = context.assets_def.op.name
    with locks.hold(
        wh.info,
        locks.dbt_lock(step),
        run_id=context.run_id,
        wait=wh.settings.lock_wait_seconds,
        on_wait=lambda who: context.log.info(f"{step}: waiting for the lock of {who}"),
    ):
        transform.ensure_built(selected, wh, parents_only=True)
        transform.ensure_built(transform.model_ids(HEALTH_VIEWS, wh), wh)
        events = _events(context, transform.stream(args, since, wh), manifest, translator, project)

        def last_metadata(unique_id: str) -> Mapping[str, Any] | None:
            """The node's previous materialization's metadata (a new index day, a chart)."""
            key = keys.get(unique_id)
            event = key and context.instance.get_latest_materialization_event(key)
            return (
                event.asset_materialization.metadata
                if event and event.asset_materialization
                else None
            )

        yield from run_metadata.enrich(events, MANIFEST, wh.info, last_metadata)


def _events(
    context: AssetExecutionContext,
    stream: Iterator[dict[str, Any]],
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    project: DbtProject | None,
) -> Iterator[Any]:
    """dbt's node results as dagster-dbt's events; each node that failed said in the
    step's log; a failed invocation fails the step, naming what failed."""
    failed: list[str] = []
    while True:
        try:
            raw = next(stream)
        except StopIteration as stop:
            invocation: transform.Invocation = stop.value
            break
        if raw["info"]["name"] == "NodeFinished":
            node = transform.result_node(raw)
            if node.status in ("error", "fail", "runtime error"):
                failed.append(f"{node.resource_type} {node.name}")
                context.log.error(
                    f"dbt {node.status}: {node.resource_type} {node.name}: "
                    f"{(node.message or '').strip()[:1000]}"
                )
            continue
        message = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        yield from message.to_default_asset_events(
            manifest=manifest, dagster_dbt_translator=translator, context=context, project=project
        )
    if not invocation.success:
        what = ", ".join(failed) or invocation.error or "no node reported"
        raise Failure(description=f"dbt build failed: {what}")


def _loaded_since(context: AssetExecutionContext) -> float | None:
    """When this run started, if it also loads raw data (every ``<source>_tick`` job):
    its big facts' data tests then look at what it loaded (macros/test_window.sql). A run
    of dbt assets alone, or a backfill, tests every row."""
    selection = context.run.asset_selection
    if selection is not None and not any(k.path[0].startswith("raw_") for k in selection):
        return None
    stats = context.instance.get_run_stats(context.run_id)
    return stats.start_time if stats is not None else None


@dbt_assets(
    manifest=MANIFEST,
    project=DBT_PROJECT,
    select=partitions.PRICE_FACTS,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_price_facts",
    partitions_def=partitions.DAILY,
    backfill_policy=partitions.ONE_RUN_PER_RANGE,
    pool="dbt_price_facts",
)
def dbt_price_facts(
    context: AssetExecutionContext, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Partitioned by observation day: a live tick appends the new loads, a backfill run
    also rebuilds every row observed in its range."""
    window = partitions.backfill_window(context)
    if window:
        context.log.info(f"rebuilding observations from {window[0]:%F} to {window[1]:%F} (UTC)")
    yield from _build(context, config, warehouse, partitions.rebuild_vars(window))


@dbt_assets(
    manifest=MANIFEST,
    project=DBT_PROJECT,
    select=INCREMENTAL,
    exclude=partitions.PRICE_FACTS,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_incremental_facts",
    pool="dbt_incremental_facts",
)
def dbt_incremental_facts(
    context: AssetExecutionContext, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    """The incremental facts but the price fact: each step appends what it loaded."""
    yield from _build(context, config, warehouse)


@dbt_assets(
    manifest=MANIFEST,
    project=DBT_PROJECT,
    exclude=INCREMENTAL,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_models",
    pool="dbt_models",
)
def dbt_models(
    context: AssetExecutionContext, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Every non-incremental model (views, tables, seeds) with its data tests."""
    yield from _build(context, config, warehouse)
