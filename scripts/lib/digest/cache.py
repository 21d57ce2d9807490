"""``<state dir>/digest-cache.json``: what ``digest`` extracted from each session log it read.

Shape (version 1)::

    {"format": "handoff-digest-cache", "version": 1, "root": "<abs project root>",
     "logs": {"<file name>": [size, mtime_ns, {...record, see gather.extract...}]}}

Same rules as the /resume cache (lib/resume/cache.py): an entry is used only while the file's
size and mtime (ns) are exactly what they were when it was read; files changed within
`RACY_WINDOW_NS` of the run are not saved (a same-size edit inside the timestamp granularity
would go unseen); written atomically and only when something changed. It is derived data: a
cache that is not valid JSON, or has another format, version or root, is moved aside to
``digest-cache.json.corrupt`` with a warning and rebuilt, never trusted and never fatal. Entries
of files no longer in the window's candidate set are kept (another week may need them) but
dropped once the file is gone from docs/sessions.
"""

from __future__ import annotations

import json
import os
import time

from ..resume.cache import RACY_WINDOW_NS, entry_data, prune_entries, settled_entries, write_cache

CACHE_NAME = "digest-cache.json"
FORMAT = "handoff-digest-cache"
VERSION = 1


class DigestCache:
    def __init__(self, path: str, root: str):
        self.path = path
        self.root = root
        self.logs: dict = {}
        self.dirty = False
        self.warning: str | None = None
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, state_dir: str, root: str) -> DigestCache:
        cache = cls(os.path.join(state_dir, CACHE_NAME), root)
        cache._load()
        return cache

    @classmethod
    def disabled(cls, root: str) -> DigestCache:
        return cls("", root)

    def _set_aside(self, why: str) -> None:
        try:
            os.replace(self.path, self.path + ".corrupt")
            where = "moved to %s.corrupt" % os.path.basename(self.path)
        except OSError as exc:
            where = "could not be moved aside (%s)" % (exc.strerror or exc)
        self.warning = "%s: %s; %s and rebuilt" % (self.path, why, where)
        self.dirty = True

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.warning = "%s: unreadable (%s); not used" % (self.path, exc.strerror or exc)
            return
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self._set_aside("not valid JSON")
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            return self._set_aside("not a version %d digest cache" % VERSION)
        if data.get("root") != self.root:
            return self._set_aside("written for another checkout (%s)" % str(data.get("root"))[:200])
        logs = data.get("logs")
        if not isinstance(logs, dict):
            return self._set_aside("no logs table")
        self.logs = logs

    def get(self, name: str, size: int, mtime_ns: int) -> dict | None:
        data = entry_data(self.logs.get(name), size, mtime_ns)
        if data is not None:
            self.hits += 1
            return data
        self.misses += 1
        return None

    def put(self, name: str, size: int, mtime_ns: int, record: dict) -> None:
        self.logs[name] = [size, mtime_ns, record]
        self.dirty = True

    def prune(self, existing: set) -> None:
        if prune_entries(self.logs, existing):
            self.dirty = True

    def save(self) -> str | None:
        """Write the cache if it changed; a warning on failure, else None."""
        if not self.path or not self.dirty:
            return None
        logs = settled_entries(self.logs, time.time_ns() - RACY_WINDOW_NS)
        problem = write_cache(self.path, {"format": FORMAT, "version": VERSION, "root": self.root, "logs": logs})
        if problem:
            return problem
        self.dirty = False
        return None
