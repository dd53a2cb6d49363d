"""The exit codes of every `snapmart` command, as README.md#exit-codes documents them: cron,
CI and Dagster's command-line callers tell what went wrong from the code alone."""

from collections.abc import Iterable
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


# Which code a command exits with when several apply (a tick whose fetch failed and whose
# blocking check failed too, say): the one that asks the most of whoever reads it.
# A user mistake first: until it is fixed nothing the command was asked can run right.
# Then an unexplained failure (a crash, a dbt error): someone must look. Then a blocking
# check: the marts were not rebuilt, bad rows wait in raw for a fix. Then a busy lock:
# nothing is wrong, the part ran elsewhere or will run next time. A failed fetch last:
# what arrived was loaded and built, the next tick fetches the rest by itself.
SEVERITY = (
    ExitCode.OK,
    ExitCode.FETCH_FAILED,
    ExitCode.BUSY,
    ExitCode.CHECK_FAILED,
    ExitCode.FAILED,
    ExitCode.USER_MISTAKE,
)


def most_severe(codes: Iterable[int]) -> ExitCode:
    """The most severe of ``codes`` in the order of ``SEVERITY`` (OK < FETCH_FAILED < BUSY
    < CHECK_FAILED < FAILED < USER_MISTAKE); OK when there are none. A code that is no
    ExitCode is a ValueError."""
    return max((ExitCode(c) for c in codes), key=SEVERITY.index, default=ExitCode.OK)
