"""Which instants a digest covers: an ISO week (or a date range) in a time zone, and the one before.

A `Window` is ``[start, end)`` in epoch seconds plus the time zone it was cut in. An ISO week
runs Monday 00:00 to the next Monday 00:00 *local time*, so with ``--tz`` a week may last 167 or
169 hours (a DST change); weeks are never built by adding 7 * 86400 seconds. ISO years have 52 or
53 weeks (``2026-W53`` exists, ``2025-W53`` does not); the days of ``2026-W01`` start on
2025-12-29 (the turn of a year belongs to whichever ISO year holds the week's Thursday).

Session logs are named by the UTC day they were first written (``<OP>-<YYMMDD>-<NN>.md``, the
catalog's ``day``); `candidate_days` is the set of such days that can hold a log ending inside a
window: the window's UTC days widened by one on each side (a time zone shifts a local day by
less than a day; a log re-written after midnight keeps its first day's name). The logs read are
then placed by their own ``ended_at``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from ..core.errors import HelperError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEK_RE = re.compile(r"(\d{4})-?W(\d{2})\Z", re.IGNORECASE)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@dataclass(frozen=True)
class Window:
    label: str  # "2026-W47", or "2026-11-01..2026-11-10" for a date range
    first_day: _dt.date  # local dates, both inclusive
    last_day: _dt.date
    start: float  # epoch, inclusive
    end: float  # epoch, exclusive
    tz: _dt.tzinfo

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def contains(self, epoch: float) -> bool:
        return self.start <= epoch < self.end

    def local_date(self, epoch: float) -> _dt.date:
        return _dt.datetime.fromtimestamp(epoch, self.tz).date()

    def weekday(self, epoch: float) -> str:
        """``Mon``..``Sun`` of an instant, in the window's time zone."""
        return DAY_NAMES[self.local_date(epoch).weekday()]

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "start": _iso(self.start, self.tz),
            "end": _iso(self.end, self.tz),
            "tz": tz_name(self.tz),
        }


def _iso(epoch: float, tz) -> str:
    return _dt.datetime.fromtimestamp(epoch, tz).isoformat()


def tz_name(tz) -> str:
    return getattr(tz, "key", None) or ("UTC" if tz is _dt.timezone.utc else str(tz))


def parse_tz(name: str | None) -> _dt.tzinfo:
    """``--tz``: an IANA name (``Europe/Paris``) or ``UTC``; HelperError for anything else."""
    if not name or name.upper() in ("UTC", "Z"):
        return _dt.timezone.utc
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    except ImportError:  # pragma: no cover - Python 3.10+ has it
        raise HelperError("--tz needs Python's zoneinfo module") from None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise HelperError(f"--tz {name!r}: not a known time zone (e.g. UTC, Europe/Paris)") from None


def _midnight(day: _dt.date, tz) -> float:
    """Epoch of local midnight starting ``day`` (the first instant of that local date)."""
    local = _dt.datetime.combine(day, _dt.time(0), tzinfo=tz)
    epoch = local.timestamp()
    # A zone whose DST change skips midnight: the day starts at the first instant that is that date.
    if _dt.datetime.fromtimestamp(epoch, tz).date() != day:
        epoch = _dt.datetime.combine(day, _dt.time(1), tzinfo=tz).timestamp()
    return epoch


def weeks_in_year(year: int) -> int:
    return _dt.date(year, 12, 28).isocalendar()[1]


def parse_week(text: str) -> tuple:
    """``2026-W47`` -> (2026, 47); HelperError naming the problem."""
    m = _WEEK_RE.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise HelperError(f"--week {text!r}: expected an ISO week like 2026-W47")
    year, week = int(m.group(1)), int(m.group(2))
    if year < 1971 or year > 9998:
        raise HelperError(f"--week {text!r}: year out of range")
    top = weeks_in_year(year)
    if not 1 <= week <= top:
        raise HelperError(f"--week {text!r}: {year} has weeks 01..{top:02d}")
    return year, week


def week_window(year: int, week: int, tz) -> Window:
    monday = _dt.date.fromisocalendar(year, week, 1)
    sunday = monday + _dt.timedelta(days=6)
    return Window(
        label="%04d-W%02d" % (year, week),
        first_day=monday,
        last_day=sunday,
        start=_midnight(monday, tz),
        end=_midnight(sunday + _dt.timedelta(days=1), tz),
        tz=tz,
    )


def week_of(epoch: float, tz) -> Window:
    year, week, _ = _dt.datetime.fromtimestamp(epoch, tz).date().isocalendar()
    return week_window(year, week, tz)


def previous_week(window: Window) -> Window:
    return week_of(window.start - 1, window.tz)


def weeks_before(window: Window, count: int) -> list:
    """The ``count`` weeks ending with ``window``'s week, oldest first."""
    out = [window]
    while len(out) < count:
        out.insert(0, previous_week(out[0]))
    return out


def parse_date(text: str, flag: str) -> _dt.date:
    if not isinstance(text, str) or not _DATE_RE.match(text.strip()):
        raise HelperError(f"{flag} {text!r}: expected a date like 2026-11-16")
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise HelperError(f"{flag} {text!r}: not a calendar date") from None


def range_window(first: _dt.date, last: _dt.date, tz) -> Window:
    return Window(
        label=f"{first.isoformat()}..{last.isoformat()}",
        first_day=first,
        last_day=last,
        start=_midnight(first, tz),
        end=_midnight(last + _dt.timedelta(days=1), tz),
        tz=tz,
    )


def previous_range(window: Window) -> Window:
    span = _dt.timedelta(days=window.days)
    return range_window(window.first_day - span, window.last_day - span, window.tz)


def resolve(week: str | None, since: str | None, until: str | None, tz, now: float) -> tuple:
    """(current, previous) windows for the command line; HelperError for a bad or future one."""
    if week and (since or until):
        raise HelperError("--week cannot be combined with --since/--until")
    if week:
        current = week_window(*parse_week(week), tz)
        this_week = week_of(now, tz)
        if current.start > now:
            raise HelperError(f"--week {week}: is in the future (this week is {this_week.label})")
        return current, previous_week(current)
    if since or until:
        if not (since and until):
            raise HelperError("--since and --until go together (dates, both inclusive)")
        first, last = parse_date(since, "--since"), parse_date(until, "--until")
        if last < first:
            raise HelperError(f"--until {until}: before --since {since}")
        if (last - first).days > 366:
            raise HelperError(f"--since {since} --until {until}: over a year; digest covers weeks")
        current = range_window(first, last, tz)
        if current.start > now:
            raise HelperError(f"--since {since}: is in the future")
        return current, previous_range(current)
    current = week_of(now, tz)
    return current, previous_week(current)


def candidate_days(windows) -> set:
    """``YYYY-MM-DD`` UTC days whose logs may end inside one of ``windows`` (see the module doc)."""
    days = set()
    for w in windows:
        day = _dt.datetime.fromtimestamp(w.start, _dt.timezone.utc).date() - _dt.timedelta(days=1)
        last = _dt.datetime.fromtimestamp(w.end - 1, _dt.timezone.utc).date() + _dt.timedelta(days=1)
        while day <= last:
            days.add(day.isoformat())
            day += _dt.timedelta(days=1)
    return days
