"""The fault suite, bounded for `make test`: Hypothesis draws faulty landing files for
all seven sources (wrong types, overflows, NaN/Infinity, NUL, BOM, truncation, corrupt
gzip, times outside reality or off the grid, one bucket under two names, absurd
prices), each beside good records. Every load finishes, every file ends as expected
(its good records loaded, its bad ones rejected with a reason), and after a build no
bad value is in a mart. `snapmart bench --suite faults` runs the same check on ≥ 2,000
files."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ingestion.simulator.faults import Fault, kinds_for
from ingestion.sources import SOURCES
from orchestration import transform
from orchestration.bench import faults as bench_faults

FAULTS = st.sampled_from(SOURCES).flatmap(
    lambda source: st.builds(
        Fault,
        st.just(source),
        st.sampled_from(kinds_for(source)),
        n_good=st.integers(1, 8),
        target=st.integers(0, 20),
        field=st.integers(0, 40),
        value=st.integers(0, 10),
    )
)
SERIALS = itertools.count(0, 100)  # each example's files get serials (and slots) of their own


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example is a real load
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(FAULTS, min_size=7, max_size=25))
def test_every_file_ends_as_expected(db, landing, batch) -> None:
    start = next(SERIALS)
    root = landing / f"example{start}"
    files = bench_faults.write_faults(batch, root, start=start)
    outcomes = bench_faults.load_and_check(files, root)
    assert [p for o in outcomes.values() for p in o.problems] == []
    assert sum(o.crashes for o in outcomes.values()) == 0
    for o in outcomes.values():
        assert o.good_loaded == o.good_expected, o.source
        assert o.rejects == o.rejects_with_reason, o.source


def test_a_sweep_of_every_kind_then_no_bad_value_in_a_mart(db, landing) -> None:
    root = landing / "sweep"
    faults = bench_faults.sweep(len(SOURCES) * 12, seed=7)
    assert {(f.source, f.kind) for f in faults} == {(s, k) for s in SOURCES for k in kinds_for(s)}
    files = bench_faults.write_faults(faults, root, start=10_000)
    outcomes = bench_faults.load_and_check(files, root)
    assert [p for o in outcomes.values() for p in o.problems] == []
    result = transform.run_dbt("build", unit_tests=False)
    assert result.success, [(n.name, n.message) for n in result.failed()][:5]
    assert bench_faults.bad_values_in_marts() == {
        "fct_price_observations": 0,
        "fct_hiscore_snapshots": 0,
    }
