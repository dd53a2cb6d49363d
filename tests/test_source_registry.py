"""A source is registered once (docs/architecture.md#adding-a-source): every source in
the registry (ingestion/sources/) gets, in the Dagster definitions, the job its ``TICK``
names, carrying its queue tag; that job's schedule as declared (or a sensor starting
it); and its freshness policy on its raw tables. Nothing in orchestration/definitions.py
lists the sources, so a source added to the registry cannot be forgotten there."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion import sources

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def defs(snapmart_home):
    from orchestration.definitions import defs

    return defs


def test_every_source_gets_its_job_schedule_and_freshness(defs) -> None:
    from dagster import AssetSelection

    from orchestration.defs.queue import source_tag

    repo = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    ticks = [j for j in repo.get_all_jobs() if j.name not in ("refresh_all", "retention_job")]
    schedules = {s.job_name: s for s in repo.schedule_defs}
    sensed = {t.job_name for s in repo.sensor_defs if s.has_jobs for t in s.targets}
    refresh_all = defs.resolve_job_def("refresh_all")
    for source in sources.ALL_SOURCES:
        declared = sources.tick(source)
        # exactly one tick job carries the source's queue tag: the one its TICK names
        carrying = [j.name for j in ticks if source_tag(source) in j.run_tags]
        assert carrying == [declared.job.name], source
        assert source_tag(source) in refresh_all.run_tags, source
        job = defs.resolve_job_def(declared.job.name)
        assert job.description == declared.job.description, source
        raw = AssetSelection.groups(source).resolve(graph)
        assert raw, f"{source}: no raw assets"
        assert raw <= set(job.asset_layer.selected_asset_keys), source
        # started by its declared schedule, or (no schedule declared) by a sensor
        if declared.job.schedule is None:
            assert job.name in sensed and job.name not in schedules, source
        else:
            assert job.name in schedules, f"{source}: no schedule runs {job.name}"
            schedule = schedules[job.name]
            assert schedule.name == declared.job.schedule.name, source
            assert schedule.cron_schedule == declared.job.schedule.cron, source
            assert schedule.execution_timezone == "UTC", source
            assert schedule.description == declared.job.schedule.description, source
            running = schedule.default_status.value == "RUNNING"
            assert running == declared.job.schedule.running, source
        # its raw tables fail after its freshness, warn after half of it
        for key in raw:
            policy = graph.get(key).freshness_policy
            assert policy is not None, f"{key.to_user_string()}: no freshness policy"
            assert policy.fail_window.to_timedelta() == declared.freshness, key
            assert policy.warn_window.to_timedelta() == declared.freshness / 2, key
    # and no tick job loads anything the registry does not know
    tagged = {k for j in ticks for k in j.run_tags if k.startswith("snapmart/ingest_")}
    assert tagged == {source_tag(s) for s in sources.ALL_SOURCES}


def test_definitions_list_no_source() -> None:
    """definitions.py only assembles orchestration/defs/: it names no source and no
    source's job or schedule (those come from the registry)."""
    text = (PROJECT_ROOT / "orchestration" / "definitions.py").read_text()
    names = set(sources.ALL_SOURCES)
    for source in sources.ALL_SOURCES:
        job = sources.tick(source).job
        names.add(job.name)
        if job.schedule is not None:
            names.add(job.schedule.name)
    assert [n for n in sorted(names) if n in text] == []


def test_shared_jobs_are_declared_once_alike(monkeypatch) -> None:
    """Binance and Yahoo share ``exchanges_tick``; two sources naming one job with
    different declarations is an error, not a silent pick of either."""
    jobs = sources.jobs()
    assert jobs["exchanges_tick"][1] == ("binance", "yahoo_finance")
    assert sum(len(loads) for _, loads in jobs.values()) == len(sources.ALL_SOURCES)

    binance = sources.tick("binance")
    other = sources.Job("exchanges_tick", "something else", binance.job.schedule)
    real_tick = sources.tick
    monkeypatch.setattr(
        sources,
        "tick",
        lambda name: (
            sources.Tick(other, binance.freshness) if name == "yahoo_finance" else real_tick(name)
        ),
    )
    with pytest.raises(ValueError, match="declare the job 'exchanges_tick' differently"):
        sources.jobs()
