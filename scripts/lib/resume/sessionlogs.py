"""Listing and reading ``docs/sessions/`` for ``/resume`` and ``regen-indexes``, through the cache.

- `name_key` orders logs without opening one: ``<OP>-<YYMMDD>-<NN>.md`` carries its operator,
  day and sequence number. Legacy ``CONV-*.md`` logs keep their operator and date in their
  frontmatter (`legacy_key`). Other files (INDEX.md, README.md, notes) are not logs.
- `LogReader` reads what a question needs and no more: `workstreams_of` a log (the cheap scan
  of lib/resume/fmscan.py, falling back to YAML), or the `full` record (title, date, ended_at,
  operator, workstreams; with ``text=True`` also summary and resume_prompt). Each answer is
  cached per file (lib/resume/cache.py); a file that cannot be read becomes one warning
  ``<path>: <reason>`` and is skipped, never fatal.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from .lognames import LEGACY_PREFIX, MAX_FRONTMATTER_BYTES, day_of_key, norm_workstreams  # noqa: F401 - re-exported
from .workstreams import is_slug

SESSIONS_DIR = "docs/sessions"
READ_BYTES = 64 * 1024 + 8192  # the frontmatter limit plus room for the lines around it


class LogError(Exception):
    """A log that cannot be used; the message is the reason (without the path)."""


_NAME_RE = re.compile(r"([A-Z]{2,4})-([0-9]{6})-([0-9]{2,})\.md\Z")


def name_key(name: str):
    """``RT-261121-07.md`` -> ``("20261121", 7, "RT")``; None for anything that is not a named
    log. Same rule as ``log_ids.parse_log_id`` (tests/resume/test_resume_ordering.py), without building
    a LogId per file: the warm path runs it on every name."""
    m = _NAME_RE.match(name)
    if m is None:
        return None
    seq = m.group(3)
    if len(seq) > 2 and seq[0] == "0":
        return None
    return ("20" + m.group(2), int(seq), m.group(1))


def is_log_name(name: str) -> bool:
    """Whether ``name`` is a log's: ``name_key(name) is not None``, or a legacy ``CONV-*.md``.
    Without building the key (a cold recall build asks this of every file before it can
    start: 0.2 us instead of 0.55)."""
    m = _NAME_RE.match(name)
    if m is not None:
        seq = m.group(3)
        if len(seq) <= 2 or seq[0] != "0":
            return True
    return name.startswith(LEGACY_PREFIX) and name.endswith(".md")


def legacy_key(name: str, day: str | None):
    """Legacy logs sort by their frontmatter day, before that day's numbered logs; undated: oldest."""
    return (day.replace("-", "") if day else "", 0, name[:-3])


def list_logs(root: str) -> list:
    """Names in docs/sessions, in directory order (`_sort` keeps the logs); listdir, not scandir:
    no per-entry objects, and the warm path stats only the logs it uses."""
    try:
        return os.listdir(os.path.join(root, SESSIONS_DIR))
    except (FileNotFoundError, NotADirectoryError):
        return []


_OPERATOR_RE = re.compile(r"[A-Z]{2,4}\Z")


def is_operator(value) -> bool:
    """Same rule as ``log_ids.is_operator``; local so the warm path need not import log_ids
    (its dataclass costs several ms of start-up)."""
    return isinstance(value, str) and _OPERATOR_RE.match(value) is not None


def split_frontmatter_bytes(data: bytes, complete: bool) -> bytes | None:
    """The frontmatter between a first ``---`` line and the next line that is exactly ``---``
    (same rule as ``frontmatter.split``), or None when it is absent or not closed in ``data``."""
    if data.startswith(b"---\n"):
        start = 4
    elif data.startswith(b"---\r\n"):
        start = 5
    else:
        return None
    n = len(data)
    i = start - 1
    while True:
        i = data.find(b"\n---", i)
        if i < 0:
            return None
        k = i + 4
        while k < n and data[k] == 13:  # "\r"
            k += 1
        if k == n:
            return data[start : i + 1] if complete else None
        if data[k] == 10:  # "\n"
            return data[start : i + 1]
        i = k


def read_frontmatter(path: str) -> str:
    """The frontmatter text of a log; LogError with the reason when there is none to use."""
    # O_NONBLOCK + fstat: a FIFO or device named like a log must not hang or flood /resume;
    # O_NOFOLLOW: a log is a regular file in the repo, never a link to elsewhere.
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LogError("is a symbolic link") from None
        raise LogError(exc.strerror or str(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LogError("not a regular file")
        data = os.read(fd, READ_BYTES)
        complete = len(data) < READ_BYTES or not os.read(fd, 1)
    except OSError as exc:
        raise LogError(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    fm = split_frontmatter_bytes(data, complete)
    if fm is None:
        if not (data.startswith(b"---\n") or data.startswith(b"---\r\n")):
            raise LogError("no frontmatter (the file must start with a '---' line)")
        if not complete:
            raise LogError("frontmatter is over %d bytes" % MAX_FRONTMATTER_BYTES)
        raise LogError("frontmatter is never closed (no second '---' line)")
    if len(fm) > MAX_FRONTMATTER_BYTES:
        raise LogError("frontmatter is over %d bytes" % MAX_FRONTMATTER_BYTES)
    try:
        return fm.decode("utf-8")
    except UnicodeDecodeError:
        raise LogError("frontmatter is not UTF-8 text") from None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _one_line(value) -> str | None:
    text = _text(value)
    return " ".join(text.split()) if text is not None else None


def extract(meta: dict, text: bool) -> dict:
    """The cached record of a parsed log."""
    op = meta.get("operator")
    record = {
        "full": 1,
        "title": _one_line(meta.get("title")) or "",
        "date": meta.get("date") if isinstance(meta.get("date"), str) else None,
        "ended": meta.get("ended_at") if isinstance(meta.get("ended_at"), str) else None,
        "op": op if is_operator(op) else None,
        "ws": norm_workstreams(meta.get("workstreams")),
        "u": usage_summary(meta.get("usage")),
    }
    if text:
        record["text"] = 1
        record["rp"] = _text(meta.get("resume_prompt"))
        record["sum"] = _text(meta.get("summary"))
    return record


def usage_summary(usage):
    """``{"cost": usd or None, "tokens": n}`` of a log's optional ``usage`` (issue 10), or None
    when it has none. Odd values (a hand-edited log) read as unknown, never as $0."""
    if not isinstance(usage, dict):
        return None
    cost = usage.get("cost_usd")
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0:
        cost = None
    tokens = 0
    for name in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens"):
        value = usage.get(name)
        if type(value) is int and value >= 0:
            tokens += value
    return {"cost": float(cost) if cost is not None else None, "tokens": tokens}


def _valid_usage(value) -> bool:
    if value is None:
        return True
    return (
        type(value) is dict
        and (value.get("cost") is None or type(value.get("cost")) is float)
        and type(value.get("tokens")) is int
    )


def _is_str_list(value) -> bool:
    return type(value) is list and all(type(x) is str for x in value)


def _opt_str(value) -> bool:
    return value is None or type(value) is str


def _valid_full(data: dict, text: bool) -> bool:
    if not (
        data.get("full") == 1
        and type(data.get("title")) is str
        and _opt_str(data.get("date"))
        and _opt_str(data.get("ended"))
        and (data.get("op") is None or is_operator(data.get("op")))
        and _is_str_list(data.get("ws"))
        and "u" in data  # records cached before logs had usage are read again once
        and _valid_usage(data.get("u"))
    ):
        return False
    return not text or (data.get("text") == 1 and _opt_str(data.get("rp")) and _opt_str(data.get("sum")))


class LogReader:
    """The logs of one project, newest first, and what is known about each (through the cache).

    ``names[i]`` is the i-th newest log; `ws_at` and `full_at` answer by index. Building it
    lists the directory, stats and reads every legacy log (their date and operator are in their
    frontmatter) and sorts by name only when the listing or a legacy log changed.
    """

    def __init__(self, root: str, cache, warnings: list):
        from .cache import listing_signature

        self.dir = os.path.join(root, SESSIONS_DIR)
        self.prefix = self.dir + os.sep
        self.cache = cache
        self.warnings = warnings
        self.warned: set = set()
        self.parsed = 0  # YAML parses
        self.scanned = 0  # cheap scans
        listing = list_logs(root)
        signature = listing_signature(listing)
        if signature != cache.listing:
            cache.reorder(signature, _sort(listing, {}), [])
        # legacy logs: read them all, then re-sort if what the order was made with changed
        names = cache.names
        legacy = {}
        for i, name in enumerate(names):
            if name.startswith(LEGACY_PREFIX) and name_key(name) is None:
                record = self.full_at(i)
                if record is not None:
                    legacy[name] = (record["op"], legacy_day(record))
        basis = sorted([n, op or "", day or ""] for n, (op, day) in legacy.items())
        if basis != cache.legacy:
            cache.reorder(signature, _sort(names, legacy), basis)
        self.names = cache.names
        self.legacy = legacy

    def operator_of(self, name: str) -> str | None:
        info = self.legacy.get(name)
        if info is not None:
            return info[0]
        key = name_key(name)
        return key[2] if key else None

    def day_of(self, name: str) -> str | None:
        info = self.legacy.get(name)
        if info is not None:
            return info[1]
        key = name_key(name)
        return day_of_key(key) if key else None

    def is_by(self, name: str, operator: str) -> bool:
        """Whether log ``name`` is ``operator``'s (legacy logs: by their ``operator:``)."""
        info = self.legacy.get(name)
        if info is not None:
            return info[0] == operator
        return name.startswith(operator + "-") and name_key(name) is not None

    def warn(self, name: str, reason: str) -> None:
        if name not in self.warned:
            self.warned.add(name)
            self.warnings.append("%s/%s: %s" % (SESSIONS_DIR, name, reason))

    def _current(self, i: int) -> bool:
        """Stat log ``i`` and reset its cache entry if the file changed; False (warned) when it
        cannot be stat'ed."""
        name = self.cache.names[i]
        try:
            st = os.stat(self.prefix + name)
        except OSError as exc:
            self.warn(name, exc.strerror or str(exc))
            return False
        self.cache.check(i, st.st_size, st.st_mtime_ns)
        return True

    def ws_at(self, i: int) -> str | None:
        """Log ``i``'s workstream slugs joined by "," ("" for none), or None (warned) when it
        cannot be read. Only items that are workstream slugs are kept (a slug has no comma)."""
        cache = self.cache
        name = cache.names[i]
        try:
            st = os.stat(self.prefix + name)
        except OSError as exc:
            self.warn(name, exc.strerror or str(exc))
            return None
        if cache.size[i] == st.st_size and cache.mtime[i] == st.st_mtime_ns:  # `check`, inlined: hot
            cache.hits += 1
            ws = cache.ws[i]
            if ws is not None:
                return ws
        else:
            cache.check(i, st.st_size, st.st_mtime_ns)
        record = self._cached_record(name, False)
        if record is not None:
            return None if "err" in record else join_slugs(record["ws"])
        try:
            fm = read_frontmatter(self.prefix + name)
        except LogError as exc:
            return self._fail(name, str(exc))
        self.scanned += 1
        from . import fmscan  # only when a log is scanned: the warm path never is

        quick = fmscan.quick_list(fm, "workstreams")
        if quick is not fmscan.GIVE_UP:
            cache.ws[i] = join_slugs(norm_workstreams(quick))
            cache.dirty = True
            return cache.ws[i]
        record = self._parse(i, fm, False)
        return None if record is None else cache.ws[i]

    def full_at(self, i: int, text: bool = False) -> dict | None:
        """Log ``i``'s record (see `extract`), or None (warned) when it cannot be read."""
        if not self._current(i):
            return None
        name = self.cache.names[i]
        record = self._cached_record(name, text)
        if record is not None:
            return None if "err" in record else record
        try:
            fm = read_frontmatter(self.prefix + name)
        except LogError as exc:
            return self._fail(name, str(exc))
        return self._parse(i, fm, text)

    def _cached_record(self, name: str, text: bool) -> dict | None:
        """A usable cached record, ``{"err": ...}`` (warned), or None to read the file."""
        record = self.cache.records.get(name)
        if type(record) is not dict:
            return None
        if "err" in record:
            if type(record["err"]) is str:
                self.warn(name, record["err"])
                return record
            return None
        return record if _valid_full(record, text) else None

    def _fail(self, name: str, reason: str) -> None:
        self.cache.records[name] = {"err": reason}
        self.cache.dirty = True
        self.warn(name, reason)
        return None

    def _parse(self, i: int, fm: str, text: bool) -> dict | None:
        from ..logs import frontmatter

        self.parsed += 1
        name = self.cache.names[i]
        rel = SESSIONS_DIR + "/" + name
        try:
            meta = frontmatter.parse_yaml(fm, rel)
        except frontmatter.FrontmatterError as exc:
            reason = str(exc)
            if reason.startswith(rel + ": "):
                reason = reason[len(rel) + 2 :]
            return self._fail(name, reason)
        record = extract(meta, text)
        self.cache.records[name] = record
        self.cache.ws[i] = join_slugs(record["ws"])
        self.cache.dirty = True
        return record


def _sort(names: list, legacy: dict) -> list:
    """Log names newest first: named logs by (day, sequence number, operator), legacy logs by
    their frontmatter day (``legacy``: name -> (operator, day); unknown: oldest)."""
    keyed = []
    for name in names:
        key = name_key(name)
        if key is None:
            if not name.startswith(LEGACY_PREFIX):
                continue
            info = legacy.get(name)
            key = legacy_key(name, info[1] if info else None)
        keyed.append((key, name))
    keyed.sort(reverse=True)
    return [name for _, name in keyed]


def join_slugs(items: list) -> str:
    return ",".join(x for x in items if is_slug(x))


def legacy_day(record: dict) -> str | None:
    for value in (record.get("date"), record.get("ended")):
        if isinstance(value, str) and len(value) >= 10 and _is_iso_day(value[:10]):
            return value[:10]
    return None


def _is_iso_day(text: str) -> bool:
    return (
        len(text) == 10
        and text[4] == "-"
        and text[7] == "-"
        and (text[:4] + text[5:7] + text[8:10]).isdigit()
        and text.isascii()
    )
