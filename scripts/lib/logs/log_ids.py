"""Session log ids: ``<OPERATOR>-<YYMMDD>-<NN>``, e.g. ``RT-261121-01``.

A log id is keyed by its real identity, operator *and* day: ``NN`` counts from 01 per
operator per day and keeps counting past 99 (``RT-261121-100``). Sorting is by
(date, sequence number) numerically, never by the string ("-100" sorts after "-99").
Legacy logs (``CONV-*.md``) have no parsable id; their id is the file stem.
"""

from __future__ import annotations

import re
from functools import total_ordering

OPERATOR_RE = re.compile(r"^[A-Z]{2,4}$")
# 01..99 are two digits; past that, no padding. The one rule for ids and file names.
ID_PATTERN = r"(?P<op>[A-Z]{2,4})-(?P<day>[0-9]{6})-(?P<seq>[0-9]{2}|[1-9][0-9]{2,})"
LOG_ID_RE = re.compile(ID_PATTERN + r"\Z")
_FILE_NAME_RE = re.compile(ID_PATTERN + r"\.md\Z")
LEGACY_PREFIX = "CONV-"
SESSIONS_DIR = "docs/sessions"


@total_ordering
class LogId:
    """``RT-261121-07`` as (day ``YYMMDD``, seq ``7``, operator ``RT``), immutable and ordered
    like the logs: (day, seq) numerically, then operator.

    A small slotted class rather than a dataclass: this sits on ``/resume``'s warm path, and
    importing ``dataclasses`` (it pulls in ``inspect``) cost 9 ms of a ~60 ms run.
    """

    __slots__ = ("day", "seq", "operator")

    def __init__(self, day: str, seq: int, operator: str):
        object.__setattr__(self, "day", day)
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "operator", operator)

    def __setattr__(self, name, value):
        raise AttributeError("LogId is immutable")

    def _key(self) -> tuple:
        return (self.day, self.seq, self.operator)

    def __eq__(self, other):
        return self._key() == other._key() if isinstance(other, LogId) else NotImplemented

    def __lt__(self, other):
        return self._key() < other._key() if isinstance(other, LogId) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "LogId(day=%r, seq=%r, operator=%r)" % self._key()

    def __str__(self) -> str:
        return format_log_id(self.operator, self.day, self.seq)

    @property
    def iso_date(self) -> str:
        return "20%s-%s-%s" % (self.day[:2], self.day[2:4], self.day[4:6])


def is_operator(value: object) -> bool:
    return isinstance(value, str) and bool(OPERATOR_RE.match(value))


def format_log_id(operator: str, day: str, seq: int) -> str:
    if not is_operator(operator):
        raise ValueError("operator %r is not 2-4 capital letters" % (operator,))
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return "%s-%s-%02d" % (operator, day, seq)


def parse_log_id(stem: str) -> LogId | None:
    """``RT-261121-07`` -> LogId; None for anything else (legacy names, INDEX, README)."""
    m = LOG_ID_RE.match(stem)
    return None if m is None else LogId(day=m.group("day"), seq=int(m.group("seq")), operator=m.group("op"))


def day_of(iso_date: str) -> str:
    """``2026-11-21`` -> ``261121``."""
    return iso_date[2:4] + iso_date[5:7] + iso_date[8:10]


def is_legacy_name(file_name: str) -> bool:
    return file_name.startswith(LEGACY_PREFIX) and file_name.endswith(".md")


def name_key(file_name: str) -> tuple | None:
    """``RT-261121-07.md`` -> ``("20261121", 7, "RT")``, the order of logs (day, seq, operator);
    None for anything that is not a named log (legacy ``CONV-*.md``, INDEX.md, README.md)."""
    m = _FILE_NAME_RE.match(file_name)
    return None if m is None else ("20" + m.group("day"), int(m.group("seq")), m.group("op"))


def is_log_name(file_name: str) -> bool:
    """A session log's file name: a named log's or a legacy ``CONV-*.md``."""
    return _FILE_NAME_RE.match(file_name) is not None or is_legacy_name(file_name)


def sort_key(file_name: str, legacy_day: str | None = None) -> str:
    """The text that orders logs, newest last: ``20261121-000007-RT``; a legacy log sorts by its
    frontmatter day (``legacy_day``, YYYY-MM-DD) before that day's named logs, undated: oldest."""
    key = name_key(file_name)
    if key is None:
        key = ((legacy_day or "").replace("-", ""), 0, file_name[:-3])
    return "%s-%06d-%s" % key
