"""Freshness policies, from the source registry (docs/architecture.md#dagster): a source's
raw tables fail after its ``TICK.freshness`` without a load (about three missed ticks of
its schedule) and warn after half of it, so a stuck schedule or a run that keeps failing
shows red in the UI before anyone reads a stale mart."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from dagster import AssetSpec, FreshnessPolicy, PreviewWarning, apply_freshness_policy
from dagster import map_asset_specs as map_specs

from ingestion import sources


def with_freshness(assets: Iterable[Any]) -> list[Any]:
    """``assets`` (asset definitions or specs) with each source's policy on its raw assets
    (the asset group of its name); the others as they are.

    Applied to the definitions before they are assembled, not to the assembled
    ``Definitions``: mapping resolved specs binds the definitions' resources to the assets,
    and a `snapmart` command's run could then not pass the warehouse of its own settings.
    """
    policies = {
        source: FreshnessPolicy.time_window(
            fail_window=sources.tick(source).freshness,
            warn_window=sources.tick(source).freshness / 2,
        )
        for source in sources.ALL_SOURCES
    }

    def apply(spec: AssetSpec) -> AssetSpec:
        policy = policies.get(spec.group_name or "")
        return spec if policy is None else apply_freshness_policy(spec, policy)

    # Dagster 1.13 marks freshness policies "preview": said on every command's output
    # otherwise; tests/test_source_registry.py checks the policies land.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return list(map_specs(apply, assets))
