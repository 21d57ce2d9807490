"""The incremental read state of a session's transcripts, in ``<state dir>/usage/``.

Derived data (BRIEF: a cache): it can always be rebuilt by reading the transcripts again,
so a file that is not what we wrote is moved aside with a warning and rebuilt, never
trusted, never fatal (tests/usage/test_store.py).

Per session, one JSON file ``session-<id>.json``: ``{"version", "session_id", "files":
{path: {"dev", "ino", "head_len", "head", "offset"}}, "cost_state", "ledger"}``.
A file's identity is (dev, inode) plus a fingerprint of its first bytes (``head``: sha256 of
the first ``head_len`` bytes, up to `HEAD_BYTES`): an inode reused by a new file, a file
rewritten in place, or one shorter than the offset we stopped at, makes the whole session be
read again from the start (the ledger dedupes across files, so one file's part cannot be
taken out of it). Otherwise only the bytes after ``offset`` are read.
"""

from __future__ import annotations

import json
import os
import time

from ..core import statefiles
from .ledger import Ledger

VERSION = 1
USAGE_DIR = "usage"
HEAD_BYTES = 4096
MAX_STATE_BYTES = 256 << 20


def state_path(state_dir: str, session_id: str) -> str:
    return os.path.join(state_dir, USAGE_DIR, statefiles.session_stem(session_id) + ".json")


def head_fingerprint(fd: int, length: int) -> str:
    import hashlib  # 9 ms of import: only when a file is new or still short

    return hashlib.sha256(os.pread(fd, length, 0)).hexdigest()


class SessionState:
    __slots__ = ("session_id", "files", "cost_state", "ledger")

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.files: dict[str, dict] = {}
        self.cost_state = None
        self.ledger = Ledger()

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "version": VERSION,
                "session_id": self.session_id,
                "files": self.files,
                "cost_state": self.cost_state,
                "ledger": self.ledger.to_json(),
            },
            separators=(",", ":"),
        ).encode()


def _parse(raw: bytes, session_id: str) -> SessionState:
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("session_id") != session_id:
        raise ValueError("not a version %d usage state of this session" % VERSION)
    files = data.get("files")
    if not isinstance(files, dict):
        raise ValueError("files is not an object")
    for path, info in files.items():
        if not isinstance(info, dict):
            raise ValueError("files.%s is not an object" % path)
        for key in ("dev", "ino", "head_len", "offset"):
            if type(info.get(key)) is not int or info[key] < 0:
                raise ValueError("files.%s.%s is not a count" % (path, key))
        if not isinstance(info.get("head"), str):
            raise ValueError("files.%s.head is not a string" % path)
    state = SessionState(session_id)
    state.files = files
    state.cost_state = data.get("cost_state")
    state.ledger = Ledger.from_json(data.get("ledger"))
    return state


def load(state_dir: str, session_id: str, warnings: list) -> SessionState:
    """The stored state, or a fresh one (a corrupt file is moved aside: ``*.corrupt-<time>``)."""
    path = state_path(state_dir, session_id)
    try:
        raw = statefiles.read_regular(path, MAX_STATE_BYTES)
    except FileNotFoundError:
        return SessionState(session_id)
    except (OSError, ValueError) as exc:
        return _quarantine(path, session_id, "unreadable (%s)" % exc, warnings)
    try:
        return _parse(raw, session_id)
    except (ValueError, RecursionError) as exc:
        return _quarantine(path, session_id, str(exc), warnings)


def _quarantine(path: str, session_id: str, why: str, warnings: list) -> SessionState:
    aside = "%s.corrupt-%d" % (path, time.time_ns())
    try:
        os.replace(path, aside)
        name = os.path.basename(aside)
        warnings.append("%s: %s; moved aside to %s and rebuilt from the transcripts" % (path, why, name))
    except OSError as exc:
        warnings.append("%s: %s; cannot move it aside (%s), rebuilt in memory" % (path, why, exc.strerror or exc))
    return SessionState(session_id)


def save(state_dir: str, state: SessionState, warnings: list) -> None:
    """Write the state atomically (a reader sees the old or the new file); failing to cache is a
    warning, never an error.

    Not durable (no fsync): this is a cache, and what a crash can leave (an
    empty or short file after the rename) fails `_parse` and is rebuilt from the transcripts;
    two fsyncs would cost an incremental read more than parsing a megabyte of transcript.
    """
    path = state_path(state_dir, state.session_id)
    try:
        statefiles.ensure_dir(os.path.dirname(path))
        statefiles.write_atomic(path, state.to_bytes(), durable=False)
    except OSError as exc:
        warnings.append("%s: cannot save the usage cache (%s); next read starts over" % (path, exc.strerror or exc))
