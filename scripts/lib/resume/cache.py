"""``<state dir>/resume-cache.json``: what ``/resume`` parsed from each file, keyed by path.

Shape (version 1)::

    {"format": "handoff-resume-cache", "version": 1, "root": "<abs project root>",
     "logs": {"listing": "<crc32 of the docs/sessions listing>:<count>",
              "names": [<log file names, newest first>],
              "size": [...], "mtime": [...],           # per name: the file version parsed
              "ws": ["<slug>,<slug>" | null, ...],     # per name: its workstreams, if read
              "records": {"<name>": {...} | {"err": "<reason>"}},   # logs parsed in full
              "legacy": [["<CONV-...md>", "<operator>", "<YYYY-MM-DD>"], ...]},  # the order's basis
     "workstreams": {"<file name>": [size, mtime_ns, {...summary...}]}}

Columns, not one object per log: the warm path loads this on every run, and 10,000 small
objects cost several times more to decode than five flat lists.

Rules:
- A log's cached fields are used only while its size and mtime (ns) are exactly what they were
  when it was read; anything else (edited, replaced) is read again on the very next run. The
  order is reused only while the directory listing is the same; an added or removed file makes
  the next run re-sort (by name: no file is opened for that) and drop the entries of files that
  are gone.
- Files modified less than `RACY_WINDOW_NS` before the run are saved as "unknown": a same-size
  edit within the file system's timestamp granularity would otherwise go unseen ("racy git").
- A cache that is not valid JSON, or has another format, version or root (a copy from another
  checkout), or columns of the wrong shape is discarded as a whole, never trusted; readers check
  each record's field types before use (lib/resume/sessionlogs.py).
- It is written atomically (temp file + rename), and only when something changed.
"""

from __future__ import annotations

import json
import os
import time

from ..core import statefiles

CACHE_NAME = "resume-cache.json"
FORMAT = "handoff-resume-cache"
VERSION = 1
RACY_WINDOW_NS = 2_000_000_000
_STR, _INT, _STR_OR_NONE = {str}, {int}, {str, type(None)}


def entry_data(entry, size: int, mtime_ns: int) -> dict | None:
    """The data of a ``[size, mtime_ns, {...}]`` entry when it describes this file version."""
    if (
        type(entry) is list
        and len(entry) == 3
        and type(entry[0]) is int
        and entry[0] == size
        and type(entry[1]) is int
        and entry[1] == mtime_ns
        and type(entry[2]) is dict
    ):
        return entry[2]
    return None


def settled_entries(table: dict, fresh_ns: int) -> dict:
    """The ``[size, mtime_ns, {...}]`` entries of files older than the racy window."""
    return {k: v for k, v in table.items() if type(v) is list and len(v) == 3 and type(v[1]) is int and v[1] < fresh_ns}


def prune_entries(table: dict, keep: set) -> bool:
    """Drop the entries of names not in ``keep``; True when any was dropped."""
    gone = [n for n in table if n not in keep]
    for name in gone:
        del table[name]
    return bool(gone)


def write_cache(path: str, data: dict) -> str | None:
    """Write a cache file atomically (ASCII JSON); a warning on failure, else None."""
    try:
        statefiles.ensure_dir(os.path.dirname(path))
        # ASCII: a file name that is not UTF-8 (a lone surrogate here) round-trips as \udcXX
        blob = json.dumps(data, separators=(",", ":")).encode("ascii")
        statefiles.write_atomic(path, blob)
    except (OSError, UnicodeEncodeError) as exc:
        return "%s: cache not saved (%s)" % (path, getattr(exc, "strerror", None) or exc)
    return None


def listing_signature(listing: list) -> str:
    import zlib

    return "%08x:%d" % (zlib.crc32("\n".join(listing).encode("utf-8", "surrogateescape")), len(listing))


class ResumeCache:
    def __init__(self, path: str, root: str):
        self.path = path
        self.root = root
        # logs, aligned columns (see the module docstring)
        self.listing = ""
        self.names: list = []
        self.size: list = []
        self.mtime: list = []
        self.ws: list = []
        self.records: dict = {}
        self.legacy: list = []  # [[name, operator, day], ...] of the legacy logs the order was made with
        self.workstreams: dict = {}
        self.dirty = False
        self.discarded: str | None = None  # why a cache on disk was not used
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, state_dir: str, root: str, name: str = CACHE_NAME) -> ResumeCache:
        cache = cls(os.path.join(state_dir, name), root)
        cache._load()
        return cache

    @classmethod
    def disabled(cls, root: str) -> ResumeCache:
        return cls("", root)

    def _discard(self, why: str) -> None:
        self.discarded = why
        self.dirty = True

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.discarded = "unreadable (%s)" % (exc.strerror or exc)
            return
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self._discard("not valid JSON")
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            return self._discard("not a version %d resume cache" % VERSION)
        if data.get("root") != self.root:
            return self._discard("written for another checkout (%s)" % str(data.get("root"))[:200])
        logs, workstreams = data.get("logs"), data.get("workstreams")
        if not isinstance(logs, dict) or not isinstance(workstreams, dict):
            return self._discard("not a version %d resume cache" % VERSION)
        names, size, mtime, ws, records = (logs.get(k) for k in ("names", "size", "mtime", "ws", "records"))
        n = len(names) if type(names) is list else -1
        if not (
            type(logs.get("listing")) is str
            and n >= 0
            and type(size) is list
            and type(mtime) is list
            and type(ws) is list
            and len(size) == n
            and len(mtime) == n
            and len(ws) == n
            and type(records) is dict
            and set(map(type, names)) <= _STR
            and set(map(type, size)) <= _INT
            and set(map(type, mtime)) <= _INT
            and set(map(type, ws)) <= _STR_OR_NONE
            and len(set(names)) == n
            and type(logs.get("legacy")) is list
        ):
            return self._discard("log columns of the wrong shape")
        self.listing, self.names, self.size, self.mtime, self.ws = logs["listing"], names, size, mtime, ws
        self.records = records
        self.legacy = logs["legacy"]
        self.workstreams = workstreams

    # ---- logs

    def reorder(self, listing: str, names: list, legacy: list) -> None:
        """Adopt a new order (after the listing changed): carry over what is known per name."""
        known = {name: i for i, name in enumerate(self.names)}
        size, mtime, ws = [], [], []
        for name in names:
            i = known.get(name)
            if i is None:
                size.append(-1)
                mtime.append(-1)
                ws.append(None)
            else:
                size.append(self.size[i])
                mtime.append(self.mtime[i])
                ws.append(self.ws[i])
        keep = set(names)
        self.records = {k: v for k, v in self.records.items() if k in keep}
        self.listing, self.names, self.size, self.mtime, self.ws = listing, names, size, mtime, ws
        self.legacy = legacy
        self.dirty = True

    def check(self, i: int, size: int, mtime_ns: int) -> bool:
        """True when entry ``i`` describes this file version; else it is reset to it, empty."""
        if self.size[i] == size and self.mtime[i] == mtime_ns:
            self.hits += 1
            return True
        self.misses += 1
        self.size[i] = size
        self.mtime[i] = mtime_ns
        self.ws[i] = None
        self.records.pop(self.names[i], None)
        self.dirty = True
        return False

    # ---- workstreams: {file name: [size, mtime_ns, summary]}

    def workstream_entry(self, name: str, size: int, mtime_ns: int) -> dict | None:
        data = entry_data(self.workstreams.get(name), size, mtime_ns)
        if data is not None:
            self.hits += 1
            return data
        self.misses += 1
        return None

    def put_workstream(self, name: str, size: int, mtime_ns: int, data: dict) -> None:
        self.workstreams[name] = [size, mtime_ns, data]
        self.dirty = True

    def prune_workstreams(self, keep: set) -> None:
        if prune_entries(self.workstreams, keep):
            self.dirty = True

    def save(self) -> str | None:
        """Write the cache if it changed; returns a warning on failure, else None."""
        if not self.path or not self.dirty:
            return None
        fresh = time.time_ns() - RACY_WINDOW_NS
        size, mtime, ws = list(self.size), list(self.mtime), list(self.ws)
        records = dict(self.records)
        for i, t in enumerate(mtime):
            if t >= fresh:  # too new to trust its mtime: "unknown" next time
                size[i] = mtime[i] = -1
                ws[i] = None
                records.pop(self.names[i], None)
        workstreams = settled_entries(self.workstreams, fresh)
        data = {
            "format": FORMAT,
            "version": VERSION,
            "root": self.root,
            "logs": {
                "listing": self.listing,
                "names": self.names,
                "size": size,
                "mtime": mtime,
                "ws": ws,
                "records": records,
                "legacy": self.legacy,
            },
            "workstreams": workstreams,
        }
        problem = write_cache(self.path, data)
        if problem:
            return problem
        self.dirty = False
        return None
