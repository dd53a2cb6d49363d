"""The exit codes of every `snapmart` command, as README.md#exit-codes documents them: cron,
CI and Dagster's command-line callers tell what went wrong from the code alone."""

from enum import IntEnum


class ExitCode(IntEnum):
    """A command's exit status; the most severe one wins when several apply."""

    OK = 0
    """Everything asked was done."""
    FAILED = 1
    """The run failed for another reason (a dbt model or test error, a crash)."""
    USER_MISTAKE = 2
    """Something the user can fix (a URL, a file, a name): one sentence and a hint."""
    FETCH_FAILED = 3
    """A fetch failed after its retries; what was fetched is loaded, the rest is missing."""
    CHECK_FAILED = 4
    """A blocking data-quality check failed: the marts downstream were not rebuilt."""
    BUSY = 5
    """Another run holds the source's (or the dbt build's) lock past the waiting time."""
