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


def result_or_error(produce, no_fail: bool) -> dict:
    """``produce()``, or with ``no_fail`` ``{"error": message}`` for an expected failure.

    For helpers pre-executed by a slash command (``--no-fail``): there a non-zero exit aborts
    the whole command, so the problem travels in the output instead (tests/e2e/FINDINGS.md).
    """
    try:
        return produce()
    except HelperError as exc:
        if not no_fail:
            raise
        return {"error": str(exc)}


def text_or_error(produce, no_fail: bool, hint: str) -> int:
    """``produce()`` (an exit status), or with ``no_fail`` an expected failure written to stdout
    as ``handoff: <message>`` and ``(<hint>)``, exit 0: `result_or_error` for text output."""
    import sys

    try:
        return produce()
    except HelperError as exc:
        if not no_fail:
            raise
        text = "handoff: %s\n(%s)\n" % (exc, hint)
        sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
        return 0


def one_line(text: str) -> str:
    """``text`` with every control character escaped as Python writes it (``\\n``, ``\\x1b``,
    ``\\u2028``) and every undecodable byte of a file name (a lone surrogate, from
    ``os.listdir``) as ``\\xNN``: a message names files, and a name must neither break the one
    line a problem takes nor send escape sequences to the user's terminal."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif "\udc80" <= ch <= "\udcff":  # os.fsdecode's surrogateescape of a byte >= 0x80
            out.append("\\x%02x" % (ord(ch) - 0xDC00))
        else:
            out.append(repr(ch)[1:-1] if ch != "'" else ch)
    return "".join(out)
