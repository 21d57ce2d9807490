"""The catalog: ``<state dir>/catalog.sqlite3``, the one derived database every reader uses.

`current(project, warnings)` returns a connection to a catalog that holds every log and
workstream of the project's worktree as they are on disk now. /resume, search, learnings,
decisions, /recall, digest and /reflect read it; nothing else is cached about a log.

Invariants (tests/catalog/):
- Every change is seen by the next command: each command lists and stats every file and
  compares with what the catalog saw (lib/catalog/scan.py); the new, changed and deleted files
  are read again, under the catalog lock, in one short write transaction (`update`).
- A reader never sees a partial update: readers are never blocked (WAL) and read inside one
  transaction; a SIGKILL mid-update leaves the catalog as it was before it.
- Nothing runs in the background, and a command leaves no process behind.
- Derived data, never trusted: a file that is not a database, is corrupt, foreign (another
  ``application_id``) or from a newer schema is moved aside (``catalog.sqlite3.moved-aside``,
  one kept) under the lock and rebuilt, with a warning; never fatal. A state dir we cannot
  write gives a temporary in-memory catalog, with a warning.
- One writer at a time: the catalog lock (filelock, lib/state/locking.py), waited for at most
  `LOCK_WAIT_S`, then one line.
- The state dir may be shared by every worktree of a repository: rows are keyed by worktree.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time

from ..core.errors import HelperError
from ..logs.sections import COLUMNS
from . import scan, schema

# The warm path (nothing changed) imports neither the file parsers (yaml: ~15 ms) nor filelock
# (~50 ms: it pulls in threading, logging, inspect): both only when something is written.

NAME = "catalog.sqlite3"
LOCK_NAME = "catalog.lock"
MOVED_ASIDE = ".moved-aside"
BUSY_TIMEOUT_MS = 10_000
LOCK_WAIT_S = float(os.environ.get("HANDOFF_LOCK_WAIT_S") or 30)
# The caches this catalog replaced (and their companions): deleted by the first update.
OLD_CACHES = ("recall.sqlite3", "recall.sqlite3-wal", "recall.sqlite3-shm", "recall.sqlite3.moved-aside",
              "recall.lock", "digest-cache.json", "digest-cache.json.corrupt", "index-cache.json")
OLD_CACHE_PREFIXES = ("resume-cache.", "recall-check")
# "no such table/column": the tables are not what _migrations says (edited by hand): not ours.
# "could not decode": a text value that is not UTF-8 (a garbled row); "unsupported file format":
# a garbled header.
_CORRUPT_WORDS = ("not a database", "malformed", "corrupt", "file is encrypted", "no such table", "no such column",
                  "could not decode", "unsupported file format")
_DOC_COLUMNS = ("kind", "id", "operator", "day", "sort_key", "title", "summary", "resume_prompt", "workstreams",
                "date", "started_at", "ended_at", "tokens", "cost_usd", "frontmatter", "facts", "warning", "unread")
_INSERT_DOC = "INSERT INTO docs (docid, root, path, %s) VALUES (?, ?, ?%s)" % (
    ", ".join(_DOC_COLUMNS), ", ?" * len(_DOC_COLUMNS))
_INSERT_FTS = "INSERT INTO docs_fts (rowid, %s) VALUES (?%s)" % (", ".join(COLUMNS), ", ?" * len(COLUMNS))


def is_corruption(exc: BaseException) -> bool:
    """Whether an error means "this file is not a usable catalog" (vs busy, disk full...)."""
    if isinstance(exc, (schema.NotOurCatalog, UnicodeDecodeError)):
        return True  # UnicodeDecodeError: SQLite's message quotes a name in the schema that is not UTF-8
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return True
    return isinstance(exc, sqlite3.Error) and any(w in str(exc).lower() for w in _CORRUPT_WORDS)


def connect(path: str):
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = %d" % BUSY_TIMEOUT_MS)
        # 32 KB pages for a new file (the FTS index is written in large runs: a cold build of
        # 10,000 logs 0.5 -> 0.2 s); no effect on an existing one.
        conn.execute("PRAGMA page_size = 32768")
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints; it is a cache
        conn.execute("PRAGMA cache_size = -65536")  # 64 MB at most, used only by a large update
        try:
            conn.execute("SELECT fts5(NULL)").fetchone()  # FTS5 registers fts5(); else "no such function"
        except sqlite3.OperationalError as exc:
            raise HelperError(
                "the catalog needs SQLite with FTS5, and this Python's sqlite3 (SQLite %s) has none (%s); run the"
                " helpers with a Python built with FTS5 (python.org's and most Linux distributions' are):"
                " set HANDOFF_PYTHON" % (sqlite3.sqlite_version, exc)) from None
    except BaseException:
        conn.close()
        raise
    return conn


def current(project, warnings: list):
    """A connection to the catalog, current for ``project.root`` (see the module docstring)."""
    root = project.root
    if not scan.storable(root):
        raise HelperError("%s: this path is not UTF-8; the catalog cannot hold it (rename a directory on the way)"
                          % root.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    skipped: list = []
    found = scan.listing(root, skipped)
    warnings += ["%s: the name is not UTF-8; not read (rename it)" % p.encode("utf-8", "surrogateescape")
                 .decode("utf-8", "replace") for p in skipped]
    state_dir = project.state_dir
    problem = _writable(state_dir)
    if problem:
        warnings.append("%s: %s; using a temporary catalog" % (state_dir, problem))
        conn = connect(":memory:")
        schema.migrate(conn)
        update(conn, root, found, warnings)
        return conn
    path = os.path.join(state_dir, NAME)
    for attempt in (1, 2):
        conn = None
        try:  # connect too: a file that is not a database fails at its first PRAGMA
            if attempt == 2 or os.path.exists(path):
                conn = connect(path)
            if conn is not None and schema.applied(conn) == list(schema.NAMES):
                row = conn.execute("SELECT listing FROM roots WHERE root = ?", (root,)).fetchone()
                if row is not None and scan.loads(row[0]) == found:
                    return conn  # the warm path: nothing changed, nothing written
            with _locked(state_dir):
                if conn is None:
                    conn = connect(path)
                schema.migrate(conn)
                update(conn, root, found, warnings)
                _delete_old_caches(state_dir)
            return conn
        except (sqlite3.Error, schema.NotOurCatalog, UnicodeDecodeError) as exc:
            if conn is not None:
                conn.close()
            if attempt == 2 or not is_corruption(exc):
                raise HelperError("%s: %s" % (path, exc)) from None
            discard(project, warnings, exc)
    raise AssertionError("unreachable")


def ask(project, warnings: list, question):
    """``question(conn)`` answered on a current catalog (which is closed after). Damage found
    only by these reads (a garbled row, a corrupt page deep in the FTS b-tree) moves the catalog
    aside and asks again on a rebuilt one, once; any other SQLite failure is one line."""
    for attempt in (1, 2):
        conn = current(project, warnings)
        try:
            return question(conn)
        except sqlite3.Error as exc:
            if attempt == 2 or not is_corruption(exc):
                raise HelperError("%s: %s" % (os.path.join(project.state_dir, NAME), exc)) from None
            damage = exc
        finally:
            conn.close()
        discard(project, warnings, damage)
    raise AssertionError("unreachable")


def discard(project, warnings: list, why) -> None:
    """Move an unusable catalog aside (under the lock), to be rebuilt by the next `current`."""
    path = os.path.join(project.state_dir, NAME)
    with _locked(project.state_dir):
        for suffix in ("", "-wal", "-shm"):  # they belong to it, and would corrupt a new file
            try:
                os.replace(path + suffix, path + MOVED_ASIDE + suffix)
            except FileNotFoundError:
                pass
    warnings.append("%s: %s; moved aside to %s and rebuilt" % (path, why, NAME + MOVED_ASIDE))


def update(conn, root: str, found: dict, warnings: list) -> None:
    """Read the files that changed since the listing the catalog saw, and write their rows and
    the new listing in one transaction. The caller holds the lock (or owns ``conn`` alone)."""
    now_ns = time.time_ns()
    row = conn.execute("SELECT listing FROM roots WHERE root = ?", (root,)).fetchone()
    seen = scan.loads(row[0]) if row else {}
    changed, gone = scan.changes(found, seen)
    if not seen:  # no listing saved, or a garbled one: what is gone is what the rows hold
        gone = [p for (p,) in conn.execute("SELECT path FROM docs WHERE root = ?", (root,)) if p not in found]
    rows = [(path, _record(root, path)) for path in changed]  # read before the write lock: readers go on
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = [(root, path) for path in gone + changed]
        conn.executemany("DELETE FROM docs_fts WHERE rowid = (SELECT docid FROM docs WHERE root = ? AND path = ?)", old)
        conn.executemany("DELETE FROM items WHERE docid = (SELECT docid FROM docs WHERE root = ? AND path = ?)", old)
        conn.executemany("DELETE FROM docs WHERE root = ? AND path = ?", old)
        docid = conn.execute("SELECT coalesce(max(docid), 0) FROM docs").fetchone()[0]
        docs, texts, items = [], [], []
        for path, r in rows:
            docid += 1
            items += [(docid, letter, pos, n, text) for pos, (letter, n, text) in enumerate(r.get("items") or ())]
            r["workstreams"] = "," + ",".join(r["workstreams"] or ()) + ","
            r["facts"] = None if r.get("facts") is None else json.dumps(r["facts"])
            docs.append((docid, root, path, *[r.get(c) for c in _DOC_COLUMNS]))
            texts.append((docid, *[r["columns"].get(c) for c in COLUMNS]))
        conn.executemany(_INSERT_DOC, docs)
        conn.executemany(_INSERT_FTS, texts)
        conn.executemany("INSERT INTO items (docid, letter, pos, n, text) VALUES (?, ?, ?, ?, ?)", items)
        conn.execute("INSERT OR REPLACE INTO roots (root, listing) VALUES (?, ?)",
                     (root, scan.dumps(scan.settled(found, now_ns))))
        # A worktree removed since (its directory gone): its rows go too.
        for (other,) in conn.execute("SELECT root FROM roots WHERE root != ?", (root,)).fetchall():
            if not os.path.isdir(other):
                conn.execute("DELETE FROM docs_fts WHERE rowid IN (SELECT docid FROM docs WHERE root = ?)", (other,))
                conn.execute("DELETE FROM items WHERE docid IN (SELECT docid FROM docs WHERE root = ?)", (other,))
                conn.execute("DELETE FROM docs WHERE root = ?", (other,))
                conn.execute("DELETE FROM roots WHERE root = ?", (other,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _locked(state_dir: str):
    from ..state.locking import session_lock

    return session_lock(os.path.join(state_dir, LOCK_NAME), LOCK_WAIT_S)


def _record(root: str, path: str):
    from . import records

    name = path.rsplit("/", 1)[1]
    is_log = path.startswith(scan.DIRS[0][0] + "/")
    try:
        data, truncated = scan.read(os.path.join(root, path), records.MAX_FILE_BYTES)
    except OSError as exc:
        return records.unreadable("log" if is_log else "workstream", name, exc.strerror or str(exc))
    return (records.log_record if is_log else records.workstream_record)(path, name, data, truncated)


def _writable(state_dir: str) -> str | None:
    try:
        os.makedirs(state_dir, exist_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None if os.access(state_dir, os.W_OK | os.X_OK) else os.strerror(errno.EACCES)


def _delete_old_caches(state_dir: str) -> None:
    try:
        names = os.listdir(state_dir)
    except OSError:
        return
    for name in names:
        if name in OLD_CACHES or name.startswith(OLD_CACHE_PREFIXES):
            try:
                os.unlink(os.path.join(state_dir, name))
            except OSError:
                pass
