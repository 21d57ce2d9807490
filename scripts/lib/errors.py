"""The one exception type helpers raise for expected failures.

`handoff_helpers.py` turns it into a single ``handoff: <message>`` line on stderr and a non-zero
exit: an expected failure (bad input, missing file, unknown session) never shows a traceback.
"""

from __future__ import annotations


class HelperError(Exception):
    """An expected failure; ``str(exc)`` names the file or field and the problem."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
