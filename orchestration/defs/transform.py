"""dbt models as Dagster assets, their tests as asset checks.

The price fact (partitioned by day, for backfills), the other incremental facts and
everything else sit in separate ``@dbt_assets``, each in a pool of its own (limit 1,
orchestration/defs/queue.py): two runs never build the same models at once. dbt sources carry
``meta.dagster.asset_key`` = the dlt asset's key, so the graph is one lineage.
"""

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration import warehouse
from orchestration.defs import partitions, run_metadata
from orchestration.transform import (
    PROJECT_DIR,
    SKIP_UNIT_TESTS,
    dbt_env,
    ensure_built,
    target_path,
    tests_since,
)

INCREMENTAL = "config.materialized:incremental"


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any dbt file,
    so the definitions load on a fresh clone without a separate `dbt parse` step."""
    manifest = target_path() / "manifest.json"
    sources = [PROJECT_DIR / "dbt_project.yml", PROJECT_DIR / "profiles.yml"]
    sources += [p for p in (PROJECT_DIR / "dbt_project").rglob("*") if p.is_file()]
    newest = max(p.stat().st_mtime for p in sources)
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return manifest
    from dbt.cli.main import dbtRunner

    from orchestration.transform import dbt_args

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
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        if len(fqn) >= 3:
            return f"{fqn[1]}_{fqn[2]}"
        return "dbt"


TRANSLATOR = Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _build(
    context: AssetExecutionContext, dbt: DbtCliResource, dbt_vars: dict[str, str] | None = None
) -> Iterator[Any]:
    warehouse.ensure_warehouse()
    dbt_env()
    ensure_built()
    args = ["build", *SKIP_UNIT_TESTS]  # scheduled runs: data tests only
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    with tests_since(None if dbt_vars else _loaded_since(context)):  # dbt.cli copies the env
        yield from run_metadata.enrich(dbt.cli(args, context=context).stream(), MANIFEST)


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
def dbt_price_facts(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Partitioned by observation day: a live tick appends the new loads, a backfill run
    also rebuilds every row observed in its range."""
    window = partitions.backfill_window(context)
    if window:
        context.log.info(f"rebuilding observations from {window[0]:%F} to {window[1]:%F} (UTC)")
    yield from _build(context, dbt, partitions.rebuild_vars(window))


@dbt_assets(
    manifest=MANIFEST,
    project=DBT_PROJECT,
    select=INCREMENTAL,
    exclude=partitions.PRICE_FACTS,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_incremental_facts",
    pool="dbt_incremental_facts",
)
def dbt_incremental_facts(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    yield from _build(context, dbt)


@dbt_assets(
    manifest=MANIFEST,
    project=DBT_PROJECT,
    exclude=INCREMENTAL,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_models",
    pool="dbt_models",
)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    yield from _build(context, dbt)


def dbt_resource() -> DbtCliResource:
    # The dbt next to this interpreter: PATH may not include the venv (e.g. under the daemon).
    local = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(PROJECT_DIR),
        dbt_executable=str(local) if local.exists() else "dbt",
    )
