"""The one way snapmart writes os.environ: for a block, the previous values back after it.

Two tools running in this process read their connection from environment variables and
take no other way in: dbt (profiles.yml's ``env_var()``, read from a copy of os.environ
that dbt takes as each invocation starts; orchestration/transform.py) and Dagster's
instance (dagster.yaml's ``env:`` values, read as the instance loads;
orchestration/dagster_home.py). A generated profiles.yml or dagster.yaml would put the
password on disk, and dbt's ``--vars`` would put it in run_results.json and re-parse the
project. So the connection is in the environment while the tool loads or runs only, and
one invocation's warehouse never leaks into the next, nor into anything else the process
runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def environment(env: Mapping[str, str | None]) -> Iterator[None]:
    """``env`` in os.environ while the block runs (a None value: unset), the previous
    values back after it."""
    saved = {k: os.environ.get(k) for k in env}
    _apply(env)
    try:
        yield
    finally:
        _apply(saved)


def _apply(env: Mapping[str, str | None]) -> None:
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
