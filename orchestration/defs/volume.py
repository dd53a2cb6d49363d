"""Volume-anomaly checks on the facts: rows the newest load of each source added, against
the median of that source's previous loads (rows per tick, trailing median).

Blocking: a load that brings under a tenth of the usual rows (an API answering empty
pages) or over ten times as many (a duplicated backfill) stops the marts downstream of
the fact, and the check's metadata says which source and by how much. With fewer than
``MIN_HISTORY`` earlier loads there is nothing to judge by: the check passes and says so.
The cost follows the loads read, not the history: the newest load ids per source come
from an index skip-scan on (source, load_id), their rows from index range scans.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from ingestion.sources import SOURCES
from orchestration import warehouse
from orchestration.defs.resources import WarehouseResource

TRAILING_LOADS = 10
MIN_HISTORY = 5
LOW, HIGH = 0.1, 10.0  # newest / median outside [LOW, HIGH] fails

# fact → SQL expression of its source (a column, or a constant for one-source facts)
FACTS: dict[str, str] = {
    "fct_price_observations": "source",
    "fct_hiscore_snapshots": "'osrs_hiscores'",
}

# The newest TRAILING_LOADS + 1 distinct load ids of one source, by skip-scan.
LOADS_SQL = """
with recursive ids as (
    (select load_id from marts.{fact} where {source} = %(source)s
     order by load_id desc limit 1)
    union all
    select (
        select f.load_id from marts.{fact} as f
        where {source_f} = %(source)s and f.load_id < ids.load_id
        order by f.load_id desc limit 1
    )
    from ids where ids.load_id is not null
)
select f.load_id, count(*)
from marts.{fact} as f
where {source_f} = %(source)s
    and f.load_id in (select load_id from ids where load_id is not null limit %(keep)s)
group by f.load_id
order by f.load_id desc
"""


def _sources(fact: str) -> list[str]:
    if FACTS[fact].startswith("'"):
        return [FACTS[fact].strip("'")]
    return list(SOURCES)


def volume_report(fact: str, info: Any = None) -> list[dict[str, Any]]:
    """Per source: the newest load's rows, the median of the previous ones, the ratio,
    and whether it is outside [LOW, HIGH] with enough history to say so."""
    source = FACTS[fact]
    source_f = source if source.startswith("'") else f"f.{source}"
    sql = LOADS_SQL.format(fact=fact, source=source, source_f=source_f)
    out: list[dict[str, Any]] = []
    with warehouse.connect(info) as conn:
        if not conn.execute("select to_regclass(%s)", (f"marts.{fact}",)).fetchone()[0]:
            return out
        for src in _sources(fact):
            counts = [
                int(n) for _, n in conn.execute(sql, {"source": src, "keep": TRAILING_LOADS + 1})
            ]
            if not counts:
                continue
            newest, history = counts[0], sorted(counts[1:])
            median = None
            if history:
                mid = len(history) // 2
                median = (
                    float(history[mid])
                    if len(history) % 2
                    else (history[mid - 1] + history[mid]) / 2
                )
            ratio = newest / median if median else None
            judged = len(history) >= MIN_HISTORY and ratio is not None
            out.append(
                {
                    "source": src,
                    "newest_rows": newest,
                    "median_rows": median,
                    "history_loads": len(history),
                    "ratio": round(ratio, 3) if ratio is not None else None,
                    "anomalous": bool(judged and not LOW <= ratio <= HIGH),
                }
            )
    return out


def build_volume_check(fact: str) -> Any:
    """The blocking asset check ``volume_vs_trailing_median`` on ``marts.<fact>``: fails when a
    source's newest load added under LOW or over HIGH times the median of its previous
    TRAILING_LOADS loads (``volume_report``)."""

    @asset_check(
        asset=AssetKey(["marts", fact]),
        name="volume_vs_trailing_median",
        blocking=True,
        description=(
            f"Rows the newest load of each source added to {fact}, against the median of its "
            f"previous {TRAILING_LOADS} loads; fails outside ×{LOW:g}–×{HIGH:g} "
            f"(judged from {MIN_HISTORY} loads of history)."
        ),
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        report = volume_report(fact, warehouse.info)
        bad = [r for r in report if r["anomalous"]]
        return AssetCheckResult(
            passed=not bad,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "sources": MetadataValue.json(report),
                "anomalous": ", ".join(
                    f"{r['source']}: {r['newest_rows']} rows vs median {r['median_rows']:g}"
                    for r in bad
                )
                or "none",
            },
        )

    return _check


VOLUME_CHECKS = [build_volume_check(fact) for fact in FACTS]
