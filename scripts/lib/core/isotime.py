"""UTC timestamps as the session logs store them: ``2026-11-21T04:27:22Z`` (whole seconds).

Everything inside the helpers is an epoch float; strings are made only at the edges
(frontmatter, JSON output, ``git log --since``).
"""

from __future__ import annotations

import datetime as _dt
import os
import time

from .errors import HelperError

NOW_ENV = "HANDOFF_NOW"  # tests and demos only: pin "now" (an ISO timestamp)


def now() -> float:
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        return parse_iso(pinned, NOW_ENV)
    return time.time()


def parse_iso(value: object, what: str) -> float:
    """``2026-11-21T04:27:22Z``, with or without fraction or offset, or a bare date -> epoch.

    A time without an offset is taken as UTC. ``what`` names the field in the error.
    """
    if not isinstance(value, str) or not value.strip():
        raise HelperError("%s: expected an ISO 8601 timestamp, got %r" % (what, value))
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=_dt.timezone.utc)
        return parsed.timestamp()
    except (ValueError, OverflowError):  # not ISO, or outside what an epoch float holds (0001-01-01+01:00)
        raise HelperError("%s: %r is not an ISO 8601 timestamp (e.g. 2026-11-21T04:27:22Z)" % (what, value)) from None


def epoch_or_none(value) -> float | None:
    """`parse_iso` of a string that may be anything (a field of a hand-edited log): None when it
    is not a timestamp."""
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value, "time")
    except (HelperError, OverflowError, ValueError, OSError):
        return None


def iso_z(epoch: float) -> str:
    """``2026-11-21T04:27:22Z`` (fraction dropped)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def utc_date(epoch: float) -> str:
    """``2026-11-21``."""
    return time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))


def git_date(epoch: float) -> str:
    """A date ``git log --since`` reads exactly (it ignores fractions and mis-reads some ISO forms)."""
    return time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(int(epoch)))


def minutes_between(start: float, end: float) -> float:
    return round(max(0.0, end - start) / 60.0, 1)
