"""DAGSTER_HOME for `snapmart ui`: instance config with telemetry off."""

from __future__ import annotations

from pathlib import Path

from orchestration import warehouse

DAGSTER_YAML = """\
telemetry:
  enabled: false
"""


def prepare() -> Path:
    home = warehouse.home_dir() / ".snapmart" / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    return home
