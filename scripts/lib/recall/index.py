"""Keeping the index current: `open_current(project, warnings)` returns a connection to an index
that holds every log and workstream of this worktree as they are on disk now.

Change detection (lib/recall/freshness.py says why and what each step sees):
1. A warm search: each directory's (inode, mtime) and a stat of the hot files; when a directory
   changed, its names and inode numbers against the stored listing (`freshness.check`). Nothing
   changed: no file is opened, nothing is written. Otherwise only the files that changed are
   handed to `apply`, a *partial* `Scan`.
2. The full scan (`scan`): every file's (size, mtime, inode), hashed into the worktree's
   *signature*; for the first build, write-session's update and the background verification
   (lib/recall/verify.py, `verify`).
3. `apply`, under the writer lock, per file: same (size, mtime, inode) as stored: unchanged.
   Else read it and hash path + bytes (the document key): a key already indexed (the same file
   in another worktree sharing the state dir, or a touched file) costs nothing more; a new key
   is parsed (lib/recall/documents.py) and indexed. Files gone are dropped, and documents no
   worktree has any more are deleted.
4. A file modified less than `RACY_WINDOW_NS` before the scan is stored with mtime -1 (and the
   signature left unset), so the next search reads it again: a same-size rewrite within the
   file system's timestamp granularity is never missed ("racy git").
All of step 3 is one transaction, listings included: a reader sees the whole update or none of it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time

from ..core.errors import HelperError
from . import freshness, schema, store
from .freshness import RACY_WINDOW_NS

NOT_WORKSTREAMS = ("INDEX.md", "README.md")  # workstreams/ files that are not workstreams
# Up to this many files and bytes to read: parsed without importing re (build.Job.lean). Its
# line-by-line split costs ~0.2 us a line where the pattern costs ~0.03: past a few hundred KB
# (a log of 4 MB of blank lines: 0.9 s against 0.12) importing re is the cheaper way.
LEAN_FILES = 16
LEAN_BYTES = 256 * 1024


class Scan:
    """What is on disk: ``files`` = [(relpath, kind, name)], ``stats`` = [(size, mtime_ns, ino,
    mode)] of each, the signature, whether a file changed within the racy window, and each
    directory's listing (`freshness.DirListing`) to store.

    A *partial* scan (`from_changes`) holds only the files that changed and ``removed``, the
    relpaths gone; its signature is unknown ("": the next full scan computes it)."""

    __slots__ = ("files", "stats", "signature", "racy", "listings", "partial", "removed", "head")

    def __init__(self, files: list, stats: list, signature: str, racy: bool, listings: list,
                 partial: bool = False, removed: list | None = None, head: str = ""):
        self.files = files
        self.stats = stats
        self.signature = signature
        self.racy = racy
        self.listings = listings
        self.partial = partial
        self.removed = removed or []
        self.head = head  # HEAD's commit when the scan began ("" outside git)


def from_changes(changes: freshness.Changes) -> Scan:
    files = [(rel, kind, name) for rel, kind, name, _ in changes.entries]
    stats = [st for _, _, _, st in changes.entries]
    return Scan(files, stats, "", False, changes.listings, partial=True, removed=changes.removed, head=changes.head)


def scan(root: str, now_ns: int | None = None, head: str = "") -> Scan:
    """List and stat the ``*.md`` files of both directories (the warm path: keep it lean).

    Stats go through a directory descriptor (no path walk per file). The signature is a CRC of
    the names and the hash of the (size, mtime, inode, mode) integers: an int tuple's hash is
    the same in every process (only str hashing is randomized)."""
    import zlib

    now_ns = time.time_ns() if now_ns is None else now_ns
    files = []
    stats = []
    listings = []
    crc = 0
    stat_at = os.stat
    for sub, kind in freshness.DIRS:
        try:
            dir_fd = os.open(os.path.join(root, sub), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            listings.append(freshness.listing_of(sub, None, [], [], now_ns))
            continue
        try:
            dir_st = os.fstat(dir_fd)  # before the listing: a change after it shows as a newer mtime
            names = [n for n in os.listdir(dir_fd) if n.endswith(".md")]
            crc = zlib.crc32("\n".join(names).encode("utf-8", "surrogateescape"), crc)
            prefix = sub + "/"
            listed, inos = [], []
            for name in names:
                try:
                    st = stat_at(name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing: it is not there
                stats.append((st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode))
                files.append((prefix + name, kind, name))
                listed.append(name)
                inos.append(st.st_ino)
            listings.append(freshness.listing_of(sub, dir_st, listed, inos, now_ns))
        finally:
            os.close(dir_fd)
    newest = max((s[1] for s in stats), default=0)
    signature = "%08x:%x:%d" % (crc, hash(tuple(stats)) & 0xFFFFFFFFFFFFFFFF, len(stats))
    return Scan(files, stats, signature, now_ns - newest < RACY_WINDOW_NS, listings, head=head)


def stored_signature(conn, root: str) -> str | None:
    row = conn.execute("SELECT signature FROM roots WHERE root = ?", (root,)).fetchone()
    return row[0] if row else None


def _known(conn, root: str, found: Scan) -> dict:
    """relpath -> (size, mtime_ns, ino, key) as stored: every file of ``root`` for a full scan,
    only the files a partial scan names (changed or removed) otherwise."""
    sql = "SELECT path, size, mtime_ns, ino, key FROM files WHERE root = ?"
    if not found.partial:
        return {row[0]: row[1:] for row in conn.execute(sql, (root,))}
    paths = [rel for rel in [rel for rel, _, _ in found.files] + found.removed if freshness.storable(rel)]
    known = {}
    for at in range(0, len(paths), 500):  # under SQLite's smallest variable limit (999)
        chunk = paths[at : at + 500]
        marks = "?" + ", ?" * (len(chunk) - 1)
        known.update((row[0], row[1:]) for row in conn.execute(sql + " AND path IN (%s)" % marks, [root, *chunk]))
    return known


def _insert(conn, root: str, to_read: list, known: dict, on_disk: set, stats: dict) -> list:
    """Read, hash, parse and insert ``to_read`` (lib/recall/build.py); the keys it replaced."""
    from . import build  # not on the warm path

    parallel = len(to_read) >= build.PARALLEL_AFTER
    if len(to_read) >= 64 or parallel:  # one query for every key beats one query per file
        have_keys = {row[0] for row in conn.execute("SELECT key FROM docs")}

        def is_new(key, have=have_keys):  # never the database: a forked child may call it
            if key in have:
                return False
            have.add(key)  # the same bytes twice in one run: parsed once
            return True
    else:
        def is_new(key):
            return conn.execute("SELECT 1 FROM docs WHERE key = ?", (key,)).fetchone() is None

    first_docid = (conn.execute("SELECT max(docid) FROM docs").fetchone()[0] or 0) + 1
    lean = len(to_read) <= LEAN_FILES and sum(entry[3] for entry in to_read) <= LEAN_BYTES
    job = build.Job(root, to_read, known, is_new, first_docid, time.time_ns() - RACY_WINDOW_NS, lean=lean)
    unreadable, dropped_keys, stats["read"], stats["parsed"] = build.insert(conn, job, parallel)
    on_disk.difference_update(unreadable)
    return dropped_keys


def _log_name_rule(partial: bool):
    """Which files are logs: a full scan asks it of every name (sessionlogs' pattern, in C); a
    partial one of a few, which need not import re for that (lognames: string operations)."""
    if partial:
        from ..resume.lognames import is_log_name
    else:
        from ..resume.sessionlogs import is_log_name
    return is_log_name


def apply(conn, root: str, found: Scan) -> dict:
    """Bring ``root``'s rows in line with ``found``: one transaction (the caller holds the lock)."""
    is_log_name = None  # imported when a file is to be looked at (`_log_name_rule`)

    stats = {"read": 0, "parsed": 0, "removed": 0}
    conn.execute("BEGIN IMMEDIATE")
    try:
        known = _known(conn, root, found)
        on_disk = set()
        to_read = []
        for (rel, kind, name), (size, mtime, ino, mode) in zip(found.files, found.stats):
            if (kind == "workstream" and name in NOT_WORKSTREAMS) or not (name.isascii() or freshness.storable(name)):
                # workstreams/INDEX.md (regen-indexes writes it) is not a workstream (before the
                # shortcut below: indexes from before this rule held it); a name that is not
                # UTF-8 cannot be stored as SQLite text, a log's no more than a workstream's
                # (``CONV-*.md`` is a log name whatever its other bytes)
                continue
            old = known.get(rel)
            if old is not None and old[0] == size and old[1] == mtime and old[2] == ino:
                on_disk.add(rel)  # unchanged (a racy entry is stored with mtime -1: never equal)
                continue
            if not stat.S_ISREG(mode):
                continue  # a link, FIFO or directory named like a log is not one
            if kind == "log" and is_log_name is None:
                is_log_name = _log_name_rule(found.partial)
            if kind == "log" and not is_log_name(name):
                continue  # docs/sessions/INDEX.md, README.md, notes
            on_disk.add(rel)
            to_read.append((rel, kind, name, size, mtime, ino))
        if to_read:
            dropped_keys = _insert(conn, root, to_read, known, on_disk, stats)
        else:  # a listing-only update (a racy directory settled): nothing to read, nothing imported
            dropped_keys = []
        gone = [rel for rel in known if rel not in on_disk]
        stats["removed"] = len(gone)
        dropped_keys += [known[rel][3] for rel in gone]
        conn.executemany("DELETE FROM files WHERE root = ? AND path = ?", [(root, rel) for rel in gone])
        # Worktrees that no longer exist keep no rows.
        for (other,) in conn.execute("SELECT root FROM roots WHERE root != ?", (root,)).fetchall():
            if not os.path.isdir(other):
                dropped_keys += [r[0] for r in conn.execute("SELECT key FROM files WHERE root = ?", (other,))]
                conn.execute("DELETE FROM files WHERE root = ?", (other,))
                conn.execute("DELETE FROM listings WHERE root = ?", (other,))
                conn.execute("DELETE FROM roots WHERE root = ?", (other,))
        # Documents no worktree has any more.
        for key in set(dropped_keys):
            if conn.execute("SELECT 1 FROM files WHERE key = ?", (key,)).fetchone() is None:
                row = conn.execute("SELECT docid FROM docs WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM docs_fts WHERE rowid = ?", row)
                    conn.execute("DELETE FROM docs WHERE docid = ?", row)
        signature = "" if found.racy else found.signature
        conn.execute("INSERT OR REPLACE INTO roots (root, signature, head) VALUES (?, ?, ?)",
                     (root, signature, found.head))
        conn.executemany("INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?, ?, ?)",
                         [listing.row(root) for listing in found.listings])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return stats


def _current(conn, root: str, found: Scan) -> bool:
    """Whether ``root``'s part of the index matches the full scan ``found`` (no write, no lock)."""
    return schema.current(schema.applied(conn)) and stored_signature(conn, root) == found.signature


def _build_fresh(path: str, root: str, found: Scan) -> dict:
    """A new index file for ``path``: built beside it without a journal (nobody can see it
    yet, and a crash leaves only a ``.build-*`` file the next writer deletes), switched to WAL,
    then renamed into place. The caller holds the writer lock."""
    tmp = "%s.build-%d" % (path, os.getpid())
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -64000")
        # Before the first table (the file keeps it). The commit writes every page of the new
        # file: with 16 KB pages it costs half (~24 -> 12 ms), the inserts a little less too
        # (bench repo, in-process cold build, median of 11: 298 -> 272 ms); a warm query and a
        # one-log update measured the same as with 4 KB pages.
        conn.execute("PRAGMA page_size = 16384")
        schema.migrate(conn)
        stats = apply(conn, root, found)
        conn.execute("PRAGMA journal_mode = WAL")
    except BaseException:
        conn.close()
        os.unlink(tmp)
        raise
    conn.close()
    # A -wal/-shm left by a process killed with the old file open, whose main file was then
    # deleted by hand: SQLite would replay those frames into this new file (a malformed index).
    # Nobody can be using them: the main file is gone, and a connection still open on it keeps
    # its own descriptors.
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass
    os.replace(tmp, path)
    stats["built"] = 1
    return stats


def _sweep_builds(path: str) -> None:
    """Delete ``.build-*`` files left by a killed writer (we hold the lock: none is live)."""
    directory, base = os.path.split(path)
    for name in os.listdir(directory):
        if name.startswith(base + ".build-"):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def _open_existing(path: str):
    """A connection to the index at ``path``, or None when there is none (never creates one)."""
    if not os.path.exists(path):
        return None
    return store.connect_existing(path)


def full_scan(project) -> Scan:
    """`scan` of ``project``, with HEAD's commit read first (a HEAD move during the scan is
    then seen by the next check)."""
    head = freshness.head_of(project)
    return scan(project.root, head=head)


def _file_id(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _data_version(conn) -> int:
    """SQLite's count of commits by *other* connections, as this one sees it (PRAGMA data_version)."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


def _writer_update(path: str, project, full: bool, stats: dict, warnings: list, repair: bool = True,
                   checked=None):
    """Under the lock: build, move aside and rebuild, or update in place; the new connection.

    What to apply is found under the lock, so a writer that waited applies only what the one
    before it left, and never a scan older than that writer's commit (a scan taken before the
    lock could put back a log another writer removed, or drop one it added). ``full``: a full
    scan (write-session, the verification); else `freshness.check` (a full scan when it
    cannot tell). ``checked``: (connection, changes, data_version) of a check made before the
    lock: its changes are applied as they are when nobody committed since (data_version
    read before that check began is unchanged), which spares a second listing."""
    root = project.root
    with store.WriterLock(project.state_dir):
        _sweep_builds(path)
        if checked is not None:
            conn, changes, version, file_id = checked
            try:
                # Nobody committed to this file since the check, and it is still the index (not
                # moved aside or deleted and rebuilt meanwhile: data_version counts this file's
                # commits only).
                if _data_version(conn) == version and _file_id(path) == file_id:
                    stats["check"] = "changes"
                    stats.update(apply(conn, root, from_changes(changes)))
                    return conn
            except (sqlite3.Error, schema.NotOurIndex):
                pass  # opened again below, and moved aside there if it is damaged
            conn.close()
        for attempt in (1, 2):
            conn = None
            try:
                conn = _open_existing(path)
                if conn is None:
                    stats.update(_build_fresh(path, root, full_scan(project)))
                    stats["check"] = "full"
                    return store.connect_existing(path)
                schema.migrate(conn)
                if not full:
                    changes = freshness.check(conn, project, time.time_ns())
                    stats["check"] = "changes" if changes is not None else "full"
                    if changes is None:  # no listing of this worktree yet: apply stores one
                        stats.update(apply(conn, root, full_scan(project)))
                    elif changes:  # (empty: another writer did it while we waited)
                        stats.update(apply(conn, root, from_changes(changes)))
                    return conn
                stats["check"] = "full"
                found = full_scan(project)
                # Another writer may have brought it to this very state while we waited.
                if stored_signature(conn, root) != found.signature:
                    stats.update(apply(conn, root, found))
                return conn
            except (sqlite3.Error, schema.NotOurIndex) as exc:
                if conn is not None:
                    conn.close()
                if not repair or not store.is_corruption(exc) or attempt == 2:
                    raise
                moved = store.move_aside(path)
                warnings.append("%s: %s; moved aside to %s and rebuilt" % (path, exc, os.path.basename(moved)))
    raise AssertionError("unreachable")


def open_current(project, warnings: list, stats: dict | None = None):
    """A connection to an index current with ``project``'s logs; warnings say what was odd.

    ``stats["check"]`` says how it was found current: "quick" (nothing changed), "changes" (the
    cheap check found what changed, and it was applied) or "full" (every file looked at). After
    "quick" or "changes" the caller starts the background verification (lib/recall/verify.py)."""
    root = project.root
    state_dir = project.state_dir
    stats = {} if stats is None else stats
    path = os.path.join(state_dir, store.INDEX_NAME)
    problem = store.writable_dir(state_dir)
    if problem is None:
        try:
            conn = checked = None
            try:
                file_id = _file_id(path)  # before opening: a file replaced later shows
                conn = _open_existing(path)
                if conn is not None and schema.current(schema.applied(conn)):
                    version = _data_version(conn)  # before the check: a commit during it shows
                    changes = freshness.check(conn, project, time.time_ns())
                    if changes is not None and not changes:
                        stats["check"] = "quick"
                        return conn
                    if changes is not None:
                        checked = (conn, changes, version, file_id)
            except (sqlite3.Error, schema.NotOurIndex) as exc:
                if not store.is_corruption(exc) and not _is_unwritable(exc):
                    raise
            if conn is not None and checked is None:
                conn.close()
            try:
                return _writer_update(path, project, False, stats, warnings, checked=checked)
            except BaseException:
                if checked is not None:
                    checked[0].close()
                raise
        except (sqlite3.Error, schema.NotOurIndex) as exc:
            if not _is_unwritable(exc):
                raise HelperError("%s: %s" % (path, exc)) from None
            problem = str(exc)
        except OSError as exc:  # the lock file, the build file
            problem = exc.strerror or str(exc)
    warnings.append("state dir %s is not writable (%s); answered from a temporary index" % (state_dir, problem))
    conn = store.memory()
    stats.update(apply(conn, root, scan(root)))
    stats["check"] = "full"
    return conn


def verify(project) -> dict:
    """The full check a warm search defers (lib/recall/verify.py): every file's (size, mtime,
    inode) against the index, and what differs applied. Never creates the index."""
    path = os.path.join(project.state_dir, store.INDEX_NAME)
    found = full_scan(project)
    conn = _open_existing(path)
    if conn is None:
        return {}
    try:
        if _current(conn, project.root, found):
            return {"check": "full"}
    finally:
        conn.close()
    stats: dict = {}
    # Scans again, under the lock. A damaged index is left to the next search, which warns.
    _writer_update(path, project, True, stats, [], repair=False).close()
    return stats


FRONTMATTER_BATCH = 200  # logs parsed per writer-lock hold (a long hold would stall a search's write)


def check_frontmatters(project) -> int:
    """Parse, once, the YAML of every log of this worktree that was indexed from its quick reads
    (``docs.fm_unchecked``, schema.m003), and store the warning a broken one earns: the search
    after next lists it. Run by the deferred check (lib/recall/verify.py): a background process,
    so the first run after a cold build may parse every log. A file changed since it was
    indexed (another key) is left to the scan that re-indexes it. Returns the logs checked."""
    path = os.path.join(project.state_dir, store.INDEX_NAME)
    root = project.root
    conn = _open_existing(path)
    if conn is None:
        return 0
    checked = 0
    after = 0
    try:
        if not schema.current(schema.applied(conn)):
            return 0
        while True:
            # docs first, through its partial index (CROSS JOIN: else the planner walks every file
            # of the worktree, ~6 ms a batch at 10,000 logs, with nothing marked too)
            rows = conn.execute(
                "SELECT d.docid, d.key, f.path FROM docs d CROSS JOIN files f ON f.key = d.key AND f.root = ?"
                " WHERE d.fm_unchecked IS NOT NULL AND d.docid > ? ORDER BY d.docid LIMIT ?",
                (root, after, FRONTMATTER_BATCH),
            ).fetchall()
            if not rows:
                return checked
            from . import build, documents  # (yaml and re: only once there is a log to parse)

            after = rows[-1][0]
            verdicts = []
            for docid, key, rel in rows:
                got = build.read(root + "/" + rel)
                if got is None or build.file_key(rel, got[0]) != key:
                    continue  # changed or gone since: the next scan re-indexes it (a new key, marked)
                verdicts.append((documents.frontmatter_problem(rel, got[0]), docid, key))
            with store.WriterLock(project.state_dir):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Its YAML's warning after the ones it has (undecodable bytes...), as the general
                    # path lists them, and once (the migration marks logs warned at once too);
                    # the key as well as the docid: a docid freed meanwhile may be another's now.
                    conn.executemany(
                        "UPDATE docs SET fm_unchecked = NULL, warning = CASE WHEN ?1 IS NULL THEN warning"
                        " WHEN warning IS NULL THEN ?1 WHEN instr(warning, ?1) THEN warning"
                        " ELSE warning || '; ' || ?1 END"
                        " WHERE docid = ?2 AND key = ?3 AND fm_unchecked IS NOT NULL",
                        verdicts)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            checked += len(verdicts)
    finally:
        conn.close()


def discard(project, warnings: list, exc: BaseException) -> None:
    """Move a damaged index aside (under the lock) so the next open rebuilds it."""
    path = os.path.join(project.state_dir, store.INDEX_NAME)
    with store.WriterLock(project.state_dir):
        moved = store.move_aside(path)
    warnings.append("%s: %s; moved aside to %s and rebuilt" % (path, exc, os.path.basename(moved)))


def _is_unwritable(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text or "disk i/o" in text


def update_after_write(project) -> None:
    """Best effort, for write-session: bring an existing index up to date. Never raises, never
    creates the index (the first search does)."""
    try:
        path = os.path.join(project.state_dir, store.INDEX_NAME)
        if not os.path.isfile(path):
            return
        _writer_update(path, project, True, {}, []).close()
    except Exception as exc:  # noqa: BLE001 - a cache must never fail the write it follows
        try:
            from ..core import statefiles

            statefiles.append_error_log(project.state_dir, "recall index update after write-session: %r" % exc)
        except Exception:  # noqa: BLE001
            pass
