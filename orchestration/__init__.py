"""Dagster + runtime: definitions, resources, checks, the CLI.

Importing the package turns telemetry off for every tool it drives (dlt, dbt, Dagster,
Great Expectations): users' data stays theirs and no run waits on a network it cannot
reach. An explicit setting in the environment still wins.
"""

import os

for _name, _value in {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}.items():
    os.environ.setdefault(_name, _value)
