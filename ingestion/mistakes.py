"""The one exception for a problem the user can fix (a URL, a file, a name), in any layer.

It carries one sentence (what is wrong) and a hint (what to do). The `snapmart` command
turns it, at one place (orchestration/cli/__init__.py, the command group's ``invoke``),
into those two lines on stderr and exit code 2 (orchestration/cli/exit_codes.py
``USER_MISTAKE``), never a traceback. Raise it before anything is written, so a mistake
has no side effect.
"""

from __future__ import annotations


class UserMistake(Exception):
    """``sentence``: one sentence saying what is wrong (never a secret); ``hint``: what to
    do about it, or None."""

    def __init__(self, sentence: str, hint: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.hint = hint
