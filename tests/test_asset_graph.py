"""The asset graph is a snapshot: a change to it shows up as a reviewed diff.

The Dagster definitions are rendered as sorted text (every asset with its group and the
assets it reads, every asset check with whether it blocks, every job with the assets it
selects, every schedule and sensor) and compared with tests/snapshots/asset_graph.txt.
After a deliberate change, rewrite the file and commit it with the change:

    SNAPMART_UPDATE_SNAPSHOTS=1 make test PYTEST_ARGS=tests/test_asset_graph.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"
UPDATE_ENV = "SNAPMART_UPDATE_SNAPSHOTS"
UPDATE_HINT = f"{UPDATE_ENV}=1 make test PYTEST_ARGS=tests/test_asset_graph.py"


@pytest.fixture(scope="module")
def defs(snapmart_home):
    from orchestration.definitions import defs

    return defs


def _key(key) -> str:
    return key.to_user_string()


def _keys(keys) -> list[str]:
    return sorted(_key(k) for k in keys)


def describe(defs) -> str:
    """The definitions as stable text: sorted, no paths, no times, nothing from the machine."""
    graph = defs.resolve_asset_graph()
    repo = defs.get_repository_def()
    lines = [
        "# The Dagster asset graph (orchestration.definitions.defs), from",
        "# tests/test_asset_graph.py. After a deliberate change, rewrite it with",
        f"#   {UPDATE_HINT}",
        "",
    ]

    asset_keys = sorted(graph.get_all_asset_keys(), key=_key)
    lines.append(f"[assets] {len(asset_keys)}: key  group=<group>  <- <the assets it reads>")
    for key in asset_keys:
        node = graph.get(key)
        parents = ", ".join(_keys(node.parent_keys)) or "-"
        lines.append(f"{_key(key)}  group={node.group_name}  <- {parents}")
    lines.append("")

    check_keys = sorted(graph.asset_check_keys, key=lambda c: (_key(c.asset_key), c.name))
    lines.append(f"[asset checks] {len(check_keys)}: asset key  check name  blocking")
    for check in check_keys:
        blocking = "blocking" if graph.get_check_spec(check).blocking else "non-blocking"
        lines.append(f"{_key(check.asset_key)}  {check.name}  {blocking}")
    lines.append("")

    job_names = sorted(job.name for job in defs.jobs)
    lines.append(f"[jobs] {len(job_names)}: name, then the assets it selects (or its ops)")
    for name in job_names:
        job = defs.resolve_job_def(name)
        selected = job.asset_layer.selected_asset_keys if job.asset_layer else set()
        if selected:
            lines.append(f"{name}  assets={len(selected)}")
            lines += [f"    {key}" for key in _keys(selected)]
        else:
            ops = sorted(node.name for node in job.graph.node_defs)
            lines.append(f"{name}  ops={', '.join(ops)}")
    lines.append("")

    schedules = sorted(repo.schedule_defs, key=lambda s: s.name)
    lines.append(f"[schedules] {len(schedules)}: name  cron (timezone)  job  default status")
    for s in schedules:
        lines.append(
            f"{s.name}  {s.cron_schedule} ({s.execution_timezone})  {s.job_name}"
            f"  {s.default_status.value}"
        )
    lines.append("")

    sensors = sorted(repo.sensor_defs, key=lambda s: s.name)
    lines.append(f"[sensors] {len(sensors)}: name  default status  jobs")
    for s in sensors:
        jobs = ", ".join(sorted(t.job_name for t in s.targets)) if s.has_jobs else "-"
        lines.append(f"{s.name}  {s.default_status.value}  {jobs}")
    return "\n".join(lines) + "\n"


def test_the_asset_graph_matches_its_snapshot(defs) -> None:
    actual = describe(defs)
    if os.environ.get(UPDATE_ENV):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(actual, encoding="utf-8")
        return
    assert SNAPSHOT.exists(), f"no snapshot at {SNAPSHOT}; write it with: {UPDATE_HINT}"
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile="tests/snapshots/asset_graph.txt (committed)",
                tofile="orchestration.definitions.defs (now)",
            )
        )
        pytest.fail(
            "The asset graph differs from its snapshot. If the change is intended, rewrite"
            f" the snapshot and commit it with the change:\n    {UPDATE_HINT}\n\n{diff}",
            pytrace=False,
        )


def test_the_description_is_stable(defs) -> None:
    """Two renderings in one process are identical and carry nothing from this machine."""
    text = describe(defs)
    assert describe(defs) == text
    for local in (str(Path.home()), str(Path(__file__).resolve().parents[1]), "/tmp/"):
        assert len(local) < 2 or local not in text, local
