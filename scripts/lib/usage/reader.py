"""Reading usage from a Claude Code transcript (JSONL), from a byte offset, streaming.

What the CLI writes (2.1.329, probed offline; tests/e2e/test_usage_e2e.py): usage is on
``type: "assistant"`` lines under ``message.usage``; one API response is one line per content
block; a ``cost-state`` line closes each run with the CLI's cumulative cost. Lines are compact
JSON, so, like ccusage, we look only at lines holding the bytes ``"usage":{`` or
``"type":"cost-state"`` and parse just those: a 100 MB transcript is mostly tool output.

Which lines count is ccusage's `read_usage_file` + `is_valid_usage_entry` (so the counts
equal its own): ``message.usage`` with non-negative integer ``input_tokens`` and
``output_tokens`` (cache counts default to 0), a string ``timestamp``, a ``version`` that
starts like a semver, no empty ``sessionId``/``requestId``/``message.id``/``message.model``,
no ``null`` in the fields ccusage refuses null for, ``speed`` "standard" or "fast". Any other
line with usage is *not counted* and reported (one warning per file, naming the first such
line and how many more), never a traceback. A line holding neither marker is not parsed at
all, as in ccusage: garbage there (say, ``handmade-bad-lines``' line 2) holds no usage and is
not reported; finding it would mean parsing every line of a 100 MB file.

Invariants (tests/usage/test_reader.py):
- Only complete lines are consumed: the offset returned is just past the last newline, so a
  line the CLI is still writing (a torn last line) is read whole next time, never half.
- Memory stays bounded: the file is read in `CHUNK` pieces; a line over `CHUNK` bytes is
  skipped (reported), not buffered.
- Never blocks, never follows a link: O_NONBLOCK | O_NOFOLLOW, then fstat must say regular
  file (a FIFO or a symlink where a transcript should be is reported, not read).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat

from .ledger import Ledger

CHUNK = 8 << 20  # also the longest line we parse: a longer one is skipped, reported
USAGE_MARK = b'"usage":{'
COST_MARK = b'"type":"cost-state"'
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)
# ccusage's has_unsupported_null_field: a line with one of these keys set to null is skipped.
_NULL_FIELDS = frozenset(
    (b"id", b"cwd", b"model", b"speed", b"costUSD", b"version", b"sessionId", b"requestId",
     b"isApiErrorMessage", b"cache_read_input_tokens", b"cache_creation_input_tokens")
)


def has_refused_null(raw: bytes) -> bool:
    """A ``"<key>":null`` with a key of `_NULL_FIELDS` anywhere on the line (compact JSON)."""
    i = raw.find(b'":null')
    while i >= 0:
        if raw[raw.rfind(b'"', 0, i) + 1 : i] in _NULL_FIELDS:
            return True
        i = raw.find(b'":null', i + 6)
    return False


_SEMVER_PREFIX = re.compile(r"[0-9]+\.[0-9]+\.[0-9]")


class TranscriptUnreadable(Exception):
    """The transcript cannot be read at all (missing, a FIFO, a symlink, ...): one line."""


class Problems:
    """Bad lines of one file: the first one named, the others counted (one warning)."""

    __slots__ = ("path", "first", "more")

    def __init__(self, path: str) -> None:
        self.path, self.first, self.more = path, None, 0

    def add(self, line_no: int, reason: str) -> None:
        if self.first is not None:
            self.more += 1
            if line_no >= self.first[0]:
                return
        self.first = (line_no, reason)

    def warning(self):
        if self.first is None:
            return None
        line_no, reason = self.first
        more = f" (+{self.more} more line{'s' if self.more != 1 else ''} not counted)" if self.more else ""
        return f"{self.path}:{line_no}: {reason}; line not counted{more}"


def open_transcript(path: str):
    """(fd, stat) of a regular transcript file; TranscriptUnreadable otherwise."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise TranscriptUnreadable(f"{path}: transcript missing") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TranscriptUnreadable(f"{path}: is a symbolic link; not read") from None
        raise TranscriptUnreadable(f"{path}: cannot open ({exc.strerror or exc})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise TranscriptUnreadable(f"{path}: not a regular file; not read")
    return fd, st


def _count(value) -> bool:
    return type(value) is int and value >= 0


def usage_entry(obj, day_of=None):
    """(message id, request id, ledger entry) of a parsed line; a reason (str) when ccusage
    would not count it; None when it is no usage line at all."""
    day_of = day_of or utc_day
    if not isinstance(obj, dict):
        return None
    message = obj.get("message")
    if not isinstance(message, dict) or "usage" not in message:
        return None
    usage = message["usage"]
    if not isinstance(usage, dict):
        return "message.usage is not an object"
    for name in ("input_tokens", "output_tokens"):
        if not _count(usage.get(name)):
            return f"usage.{name} is {usage.get(name)!r}, not a count"
    for name in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        if name in usage and not _count(usage[name]):
            return f"usage.{name} is {usage[name]!r}, not a count"
    split = usage.get("cache_creation")
    if split is not None:
        if not isinstance(split, dict):
            return "usage.cache_creation is not an object"
        for name in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"):
            if name in split and not _count(split[name]):
                return f"usage.cache_creation.{name} is {split[name]!r}, not a count"
        cache_1h = split.get("ephemeral_1h_input_tokens", 0)
        cache_create = split.get("ephemeral_5m_input_tokens", 0) + cache_1h
    else:
        cache_1h = 0
        cache_create = usage.get("cache_creation_input_tokens", 0)
    speed = usage.get("speed")
    if speed is not None and speed not in ("standard", "fast"):
        return f"usage.speed is {speed!r}"
    timestamp = obj.get("timestamp")
    day = day_of(timestamp) if isinstance(timestamp, str) else None
    if day is None:
        return "no valid timestamp"
    for name, where in (("sessionId", obj), ("requestId", obj), ("id", message), ("model", message)):
        value = where.get(name)
        if value is not None and not (isinstance(value, str) and value):
            return f"{name} is {value!r}"
    version = obj.get("version")
    if version is not None and not (isinstance(version, str) and _SEMVER_PREFIX.match(version)):
        return f"version is {version!r}"
    for name in ("isSidechain", "isApiErrorMessage"):
        if obj.get(name) is not None and not isinstance(obj.get(name), bool):
            return f"{name} is {obj.get(name)!r}"
    cost = obj.get("costUSD")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float))):
        return f"costUSD is {cost!r}"
    model = message.get("model")
    if model is not None and speed == "fast" and model != "<synthetic>":
        model += "-fast"
    entry = [
        model,
        usage["input_tokens"],
        usage["output_tokens"],
        cache_create,
        usage.get("cache_read_input_tokens", 0),
        obj.get("isSidechain") is True,
        speed is not None,
        day,
        cache_1h,
        timestamp,
    ]
    return message.get("id"), obj.get("requestId"), entry


_Z_STAMP = re.compile(
    r"(20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]))T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](?:\.[0-9]+)?Z"
)


def utc_day(timestamp: str):
    """``YYYY-MM-DD`` of an ISO 8601 timestamp as the CLI writes it (``...Z``), else None."""
    fast = _Z_STAMP.fullmatch(timestamp)
    if fast:
        return fast.group(1)
    if len(timestamp) < 20 or timestamp[4] != "-" or timestamp[7] != "-" or timestamp[10] != "T":
        return None
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(timestamp[:-1] + "+00:00" if timestamp.endswith("Z") else timestamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d")


class ScanResult:
    __slots__ = ("offset", "cost_state", "warnings")

    def __init__(self, offset: int, cost_state, warnings: list) -> None:
        self.offset, self.cost_state, self.warnings = offset, cost_state, warnings


def _line_at(buf, hit: int, start: int, end: int):
    """(line start, line end) of the complete line in buf[start:end] around index ``hit``."""
    lo = buf.rfind(b"\n", start, hit) + 1
    if lo == 0:
        lo = start
    return lo, buf.find(b"\n", hit, end)


def line_number(fd: int, offset: int) -> int:
    """1-based number of the line starting at byte ``offset`` (only for warnings: counting
    newlines costs a pass over the file, which the happy path never pays)."""
    n, pos = 1, 0
    while pos < offset:
        chunk = os.pread(fd, min(CHUNK, offset - pos), pos)
        if not chunk:
            break
        n += chunk.count(b"\n")
        pos += len(chunk)
    return n


def scan(path: str, fd: int, offset: int, ledger: Ledger) -> ScanResult:
    """Add the usage of the complete lines from byte ``offset`` on to ``ledger``.

    Returns the offset just past the last complete line, the last cost-state seen (or None)
    and the warnings (one for this file at most, naming its first bad line).
    """
    problems = Problems(path)  # byte offsets here; made line numbers at the end
    cost_state = None
    pos = offset  # file offset of the next unread complete line
    while True:
        # pread from the first unconsumed line each time: the tail of a block is read again
        # rather than glued to the next chunk (no copy of CHUNK bytes per block).
        buf = os.pread(fd, CHUNK, pos)
        if not buf:
            break
        last_nl = buf.rfind(b"\n")
        if last_nl < 0:
            if len(buf) < CHUNK:
                break  # a torn last line: left for the next read
            skip = _skip_long_line(fd, pos)  # no newline in CHUNK bytes: bound memory
            problems.add(pos, f"line over {CHUNK} bytes")
            if skip is None:
                break
            pos = skip
            continue
        cost_state = _scan_block(buf, 0, last_nl + 1, pos, problems, ledger) or cost_state
        pos += last_nl + 1
    warnings = []
    if problems.first is not None:
        problems.first = (line_number(fd, problems.first[0]), problems.first[1])
        warnings.append(problems.warning())
    return ScanResult(pos, cost_state, warnings)


def _skip_long_line(fd: int, pos: int):
    """Offset after the newline that ends the over-long line at ``pos``, or None (no end yet)."""
    while True:
        pos += CHUNK
        buf = os.pread(fd, CHUNK, pos)
        if not buf:
            return None
        nl = buf.find(b"\n")
        if nl >= 0:
            return pos + nl + 1


def _scan_block(buf, start: int, end: int, base: int, problems: Problems, ledger: Ledger):
    """Usage and cost-state lines of buf[start:end] (complete lines; buf[0] is at file offset
    ``base``); returns the last cost-state of the block."""
    cost_state = None
    hits = []
    for mark in (USAGE_MARK, COST_MARK):
        i = buf.find(mark, start, end)
        while i >= 0:
            lo, hi = _line_at(buf, i, start, end)
            hits.append((lo, hi))
            i = buf.find(mark, hi, end)
        if mark is USAGE_MARK:
            found_usage = len(hits)
    if not hits:
        return None
    if len(hits) > found_usage:  # cost-state lines too: in file order, once each
        hits = sorted(set(hits))
    for lo, hi in hits:
        raw = buf[lo:hi]
        if has_refused_null(raw):
            if USAGE_MARK in raw:
                problems.add(base + lo, "a null where ccusage wants a value")
            continue
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            problems.add(base + lo, "not JSON")
            continue
        if type(obj) is dict and obj.get("type") == "cost-state":
            cost_state = obj
            continue
        found = usage_entry(obj)
        if found is None:
            continue
        if isinstance(found, str):
            problems.add(base + lo, found)
            continue
        ledger.add(*found)
    return cost_state
