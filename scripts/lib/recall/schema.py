"""The index's schema: named, append-only migrations recorded in ``_migrations``.

As simonw/llm (``llm/migrations.py``) and sqlite-utils do: each migration is a function with a
name; ``_migrations`` records the names applied; `migrate` applies the missing ones in order,
each in one transaction together with its ``_migrations`` row, so a crash leaves a migration
applied and recorded, or neither. Never edit or reorder a released migration: append a new one.

A database is ours when its ``application_id`` is `APPLICATION_ID` (set by the first
migration). Anything else holding tables is foreign; a ``_migrations`` row we do not know
means a newer handoff wrote it (future schema). The bootstrap (``_migrations`` and the
application id) is one transaction too. Both are `NotOurIndex`: the caller moves the
file aside and rebuilds (derived data, never trusted).
"""

from __future__ import annotations

APPLICATION_ID = 0x48414E44  # "HAND"


class NotOurIndex(Exception):
    """The database is foreign, from a newer schema, or unreadable; the message says which."""


def m001_initial(conn) -> None:
    # One row per distinct document (its key hashes the path and the bytes), shared by every
    # worktree whose file has those bytes; `files` says which worktree has which file.
    conn.execute(
        "CREATE TABLE docs (docid INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, kind TEXT NOT NULL,"
        " id TEXT NOT NULL, path TEXT NOT NULL, day TEXT, operator TEXT, title TEXT NOT NULL,"
        " workstreams TEXT NOT NULL, sort_key TEXT NOT NULL, warning TEXT)"
    )
    conn.execute(
        "CREATE TABLE files (root TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,"
        " mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, key BLOB NOT NULL, PRIMARY KEY (root, path))"
        " WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX files_key ON files (key)")
    # signature: a hash of every indexed file's (name, size, mtime, inode) in that worktree
    conn.execute("CREATE TABLE roots (root TEXT PRIMARY KEY, signature TEXT NOT NULL)")
    conn.execute(
        "CREATE VIRTUAL TABLE docs_fts USING fts5(title, summary, did, decisions, future, learnings,"
        " questions, resume, tokenize = 'unicode61 remove_diacritics 2')"
    )


def m002_listings(conn) -> None:
    # What each directory held at the last listing (lib/recall/freshness.py): the directory's
    # own (inode, ctime) first, so the warm check reads them without the overflow pages of the
    # names, which are "/"-joined file names (bytes; "/" is the one byte a name cannot hold)
    # with their inode numbers in the same order (native unsigned 64-bit integers: the index is
    # a cache of this machine's files). dir_ctime_ns -1: listed within the racy window, never
    # taken as unchanged.
    conn.execute(
        "CREATE TABLE listings (root TEXT NOT NULL, dir TEXT NOT NULL, dir_ino INTEGER NOT NULL,"
        " dir_ctime_ns INTEGER NOT NULL, names BLOB NOT NULL, inos BLOB NOT NULL, PRIMARY KEY (root, dir))"
        " WITHOUT ROWID"
    )
    # HEAD's commit when the worktree was last checked: when it moved (a pull, a merge, a
    # checkout), git says which logs differ, whatever their inode numbers did.
    conn.execute("ALTER TABLE roots ADD COLUMN head TEXT NOT NULL DEFAULT ''")
    # The warm check stats the hot files (lib/recall/freshness.py): the logs of the last days
    # (by their own day: a clone gives every file a new mtime) and the racy files (mtime -1).
    conn.execute("CREATE INDEX docs_day ON docs (day)")
    conn.execute("CREATE INDEX files_mtime ON files (root, mtime_ns)")
    # Every answer lists the documents' own warnings: the few that have one, not a scan of all.
    conn.execute("CREATE INDEX docs_warned ON docs (path) WHERE warning IS NOT NULL")


def m003_frontmatter_checks(conn) -> None:
    # A log indexed from its quick reads (lib/recall/plainlog.py: no YAML parsed) is marked, and
    # the deferred check parses its frontmatter once (index.check_frontmatters): a hand-broken
    # frontmatter gets its warning, as when the YAML is parsed at once. Every named log indexed
    # before this migration is marked (legacy CONV-* logs always had their YAML parsed).
    conn.execute("ALTER TABLE docs ADD COLUMN fm_unchecked INTEGER")
    conn.execute("UPDATE docs SET fm_unchecked = 1 WHERE kind = 'log' AND id NOT LIKE 'CONV-%'")
    conn.execute("CREATE INDEX docs_fm_unchecked ON docs (docid) WHERE fm_unchecked IS NOT NULL")


MIGRATIONS = (("001_initial", m001_initial), ("002_listings", m002_listings),
              ("003_frontmatter_checks", m003_frontmatter_checks))
NAMES = tuple(name for name, _ in MIGRATIONS)


def applied(conn) -> list:
    """Names recorded in ``_migrations`` ([] for a new, empty database); NotOurIndex otherwise."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == 0 and not tables:
        return []
    if app_id != APPLICATION_ID or "_migrations" not in tables:
        raise NotOurIndex("not a handoff recall index (application_id %#x)" % app_id)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise NotOurIndex("written by a newer handoff (unknown migration %r)" % unknown[0])
    return names


def current(names: list) -> bool:
    return tuple(names) == NAMES


def migrate(conn) -> list:
    """Apply the missing migrations, each in its own transaction; returns the names applied.

    The caller holds the writer lock; ``conn`` is in autocommit mode (isolation_level None)."""
    done = applied(conn)
    if not done:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("PRAGMA application_id = %d" % APPLICATION_ID)
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    ran = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", (name,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        ran.append(name)
    return ran
