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
LOG_ID_RE = re.compile(r"^(?P<op>[A-Z]{2,4})-(?P<day>[0-9]{6})-(?P<seq>[0-9]{2,})\Z")
LEGACY_PREFIX = "CONV-"


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
    if not m:
        return None
    seq = m.group("seq")
    if len(seq) > 2 and seq.startswith("0"):  # 01..99 are two digits; past that, no padding
        return None
    return LogId(day=m.group("day"), seq=int(seq), operator=m.group("op"))


def day_of(iso_date: str) -> str:
    """``2026-11-21`` -> ``261121``."""
    return iso_date[2:4] + iso_date[5:7] + iso_date[8:10]


def is_legacy_name(file_name: str) -> bool:
    return file_name.startswith(LEGACY_PREFIX) and file_name.endswith(".md")


def is_log_file_name(file_name: str) -> bool:
    """Whether a file in ``docs/sessions/`` is a session log: ``<id>.md`` or a legacy
    ``CONV-*.md``. Everything else there (``README.md``, ``INDEX.md``, the commit log
    ``CHANGELOG.md``, a user's notes) is not a log. /resume and /recall read the same rule
    without building a LogId (resume/sessionlogs.is_log_name, resume/lognames.is_log_name)."""
    if is_legacy_name(file_name):
        return True
    return file_name.endswith(".md") and parse_log_id(file_name[:-3]) is not None
