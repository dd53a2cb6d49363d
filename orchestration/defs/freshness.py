"""Freshness policies, from the source registry (docs/architecture.md#dagster): a source's
raw tables fail after its ``TICK.freshness`` without a load (about three missed ticks of
its schedule) and warn after half of it, so a stuck schedule or a run that keeps failing
shows red in the UI before anyone reads a stale mart."""

from __future__ import annotations

import warnings

from dagster import (
    AssetSelection,
    Definitions,
    FreshnessPolicy,
    PreviewWarning,
    apply_freshness_policy,
)

from ingestion import sources


def with_freshness(defs: Definitions) -> Definitions:
    """``defs`` with each source's policy on its raw assets (the asset group of its name)."""
    for source in sources.ALL_SOURCES:
        window = sources.tick(source).freshness
        policy = FreshnessPolicy.time_window(fail_window=window, warn_window=window / 2)
        # Dagster 1.13's way to put a policy on built assets, marked "preview": said once
        # per source on every command's output otherwise; tests/test_source_registry.py
        # checks the policies land, so a breaking change shows there.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PreviewWarning)
            defs = defs.map_resolved_asset_specs(
                func=lambda spec, policy=policy: apply_freshness_policy(spec, policy),
                selection=AssetSelection.groups(source),
            )
    return defs
