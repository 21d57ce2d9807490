"""Where the index lives and how it is opened: ``<state dir>/recall.sqlite3``.

Invariants (tests/recall/test_store.py, test_concurrency.py):
- FTS5 is checked once, at start (`require_fts5`): without it the command fails with one line
  naming the fix, before anything is read or written.
- One writer at a time: every change happens under ``recall.lock`` (flock) inside one
  ``BEGIN IMMEDIATE`` transaction. Readers are never blocked (WAL) and read inside one
  transaction, so they see the index before or after a change, never half of one.
  ``busy_timeout`` covers the moments WAL itself needs a lock (checkpoints, recovery).
- The index is a cache of the logs: a file that is not a database, is corrupt, foreign (another
  ``application_id``) or from a newer schema is moved aside (``recall.sqlite3.moved-aside``,
  one kept) under the lock and rebuilt, with a warning; never fatal.
- A state dir we cannot write: the answer comes from a temporary in-memory index, with a warning.
- The state dir is ``project.state_dir`` and nothing else (it may be shared by every worktree
  of a repository: documents are keyed by content, files by worktree; lib/recall/index.py).
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import time

from ..core.errors import HelperError
from . import schema

INDEX_NAME = "recall.sqlite3"
LOCK_NAME = "recall.lock"
MOVED_ASIDE = ".moved-aside"
BUSY_TIMEOUT_MS = 10_000
MMAP_BYTES = 1 << 30  # address space, not memory: the index is ~32 MB at 10,000 logs
LOCK_WAIT_S = 120.0  # a cold build of 10,000 logs takes about a second; this is a hung writer
# "no such table/column": the tables are not what its _migrations rows say they are (edited
# by hand, or by a development build): not ours to trust either. (A bug in our own SQL would
# show the same way, once per search: rebuilt once, then the error; the tests would see it.)
_CORRUPT_WORDS = ("not a database", "malformed", "corrupt", "file is encrypted", "no such table", "no such column")


def require_fts5(connect=sqlite3.connect) -> None:
    """Fail (one line naming the fix) unless this Python's SQLite has FTS5."""
    conn = connect(":memory:")
    try:
        # FTS5 registers the SQL function fts5(), which returns NULL for a NULL argument; without
        # FTS5 this is "no such function". (Creating a probe table costs ~0.4 ms of a warm search.)
        conn.execute("SELECT fts5(NULL)").fetchone()
    except sqlite3.Error as exc:
        raise HelperError(
            "search needs SQLite with FTS5, and this Python's sqlite3 (SQLite %s) has none (%s); run the helpers"
            " with a Python built with FTS5 (python.org and most Linux distributions' builds are): set HANDOFF_PYTHON"
            % (sqlite3.sqlite_version, exc)
        ) from None
    finally:
        conn.close()


def is_corruption(exc: BaseException) -> bool:
    """Whether a sqlite3 error means "this file is not a usable database" (vs busy, full...)."""
    if isinstance(exc, schema.NotOurIndex):
        return True
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return True
    return isinstance(exc, sqlite3.Error) and any(w in str(exc).lower() for w in _CORRUPT_WORDS)


def _configure(conn) -> None:
    conn.execute("PRAGMA busy_timeout = %d" % BUSY_TIMEOUT_MS)
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints; it is a cache
    conn.execute("PRAGMA cache_size = -32000")
    # Pages read by mapping the file, not by a read() copy each: the warm check's lookups touch
    # a few hundred scattered pages (~1.3 -> 0.7 ms on a new connection, bench repo). We never
    # truncate an index in place (it is replaced by rename, and a mapping keeps the old file),
    # and writes still go through SQLite's own pwrite. Someone else truncating it in place
    # (``cp`` over it) during a search's read would end that search with SIGBUS instead of
    # "malformed"; the next search finds it malformed, moves it aside and rebuilds.
    conn.execute("PRAGMA mmap_size = %d" % MMAP_BYTES)


def connect(path: str, uri: bool = False):
    conn = sqlite3.connect(path, isolation_level=None, uri=uri)
    try:
        _configure(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_existing(path: str):
    """A connection to the database at ``path``, never creating it (``mode=rw``)."""
    quoted = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return connect("file:%s?mode=rw" % quoted, uri=True)


def memory():
    """A temporary index (read-only state dir): built from scratch, gone at exit."""
    conn = connect(":memory:")
    schema.migrate(conn)
    return conn


class WriterLock:
    """``flock`` on ``<state dir>/recall.lock``: one writer of the index at a time."""

    def __init__(self, state_dir: str):
        self.path = os.path.join(state_dir, LOCK_NAME)
        self.fd = None

    def __enter__(self):
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.path, flags, 0o600)
        deadline = time.monotonic() + LOCK_WAIT_S
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise HelperError(
                        "%s: another process has held the recall index lock for %d s" % (self.path, LOCK_WAIT_S)
                    ) from None
                time.sleep(delay)
                delay = min(delay * 1.5, 0.05)
        self.fd = fd
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # releases the flock
        self.fd = None


def move_aside(path: str) -> str:
    """Rename the index (and its -wal/-shm, which belong to it and would corrupt a new file of
    the same name) to ``<path>.moved-aside``; the caller holds the writer lock."""
    target = path + MOVED_ASIDE
    for suffix in ("", "-wal", "-shm"):
        try:
            os.replace(path + suffix, target + suffix)
        except FileNotFoundError:
            pass
    return target


def writable_dir(state_dir: str) -> str | None:
    """None when we can create files in ``state_dir`` (made if missing), else the reason."""
    try:
        os.makedirs(state_dir, exist_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    if not os.access(state_dir, os.W_OK | os.X_OK):
        return os.strerror(errno.EACCES)
    return None
