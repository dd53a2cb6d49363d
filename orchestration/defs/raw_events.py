"""What the raw assets say, for whoever follows a run: the log lines they write while
they load and when a fetch failed, their check names and the tag of a command's runs.

Apart from orchestration/defs/raw.py so that the CLI reads them without building the
raw assets (dlt sources, their config) as it starts.
"""

from __future__ import annotations

import re

# What the raw assets log while they load, for whoever follows a run (the CLI's bars).
PROGRESS = re.compile(r"^(?P<source>\w+): loaded (?P<done>\d+) of (?P<total>\d+) landing file")
PROGRESS_EVERY_SECONDS = 0.5


def progress_line(source: str, done: int, total: int) -> str:
    """The log line a raw asset writes as it loads (PROGRESS parses it back):
    ``<source>: loaded <done> of <total> landing file(s)``."""
    return f"{source}: loaded {done} of {total} landing file(s)"


TRIGGER_TAG = "snapmart/trigger"
"""Run tag of the runs a `snapmart` command starts (value ``cli``)."""

FETCH_FAILED = "fetch failed: "
"""How a raw asset's warning about a failed fetch starts: ``fetch failed: <FetchError>``,
the one line the CLI repeats on stderr."""
FETCH_OK, NEW_ROWS = "fetch_ok", "new_rows"
