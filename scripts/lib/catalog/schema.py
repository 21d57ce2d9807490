"""The catalog's schema: named, append-only migrations recorded in ``_migrations``.

As simonw/llm and sqlite-utils do: each migration is a function with a name; ``_migrations``
records the names applied; `migrate` applies the missing ones in order, each in one
transaction with its ``_migrations`` row, so a crash leaves a migration applied and recorded,
or neither. Never edit or reorder a released migration: append a new one.

A database is ours when its ``application_id`` is `APPLICATION_ID`. Anything else holding
tables is foreign; a ``_migrations`` row we do not know means a newer handoff wrote it. Both
are `NotOurCatalog`: the caller moves the file aside and rebuilds (derived data, never trusted).
"""

from __future__ import annotations

APPLICATION_ID = 0x48414E43  # "HANC"


class NotOurCatalog(Exception):
    """The database is foreign, from a newer schema, or unreadable; the message says which."""


def m001_initial(conn) -> None:
    # What each worktree's files were (size, mtime_ns, ctime_ns, inode) when last read: one
    # value per worktree, compared whole on every command (lib/catalog/scan.py says why).
    conn.execute("CREATE TABLE roots (root TEXT PRIMARY KEY, listing BLOB NOT NULL)")
    # One row per log or workstream file of a worktree. workstreams: ",slug,slug," (a LIKE
    # filter). frontmatter: a log's frontmatter text as read (the digest takes its figures from
    # it, for the logs of its weeks only); facts: a workstream's phases (JSON). Both NULL when
    # the frontmatter could not be read (the warning says why). unread: 1 when the file itself
    # could not be read (a link, a FIFO, no permission): nothing of it is indexed.
    conn.execute(
        "CREATE TABLE docs (docid INTEGER PRIMARY KEY, root TEXT NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL,"
        " id TEXT NOT NULL, operator TEXT, day TEXT, sort_key TEXT NOT NULL, title TEXT NOT NULL, summary TEXT,"
        " resume_prompt TEXT, workstreams TEXT NOT NULL, date TEXT, started_at TEXT, ended_at TEXT,"
        " tokens INTEGER, cost_usd REAL, frontmatter TEXT, facts TEXT, warning TEXT, unread INTEGER,"
        " UNIQUE (root, path))"
    )
    conn.execute("CREATE INDEX docs_order ON docs (root, kind, sort_key)")
    # Every answer lists the files' own warnings: the few that have one, not a scan of all.
    conn.execute("CREATE INDEX docs_warned ON docs (root, path) WHERE warning IS NOT NULL")
    conn.execute(
        "CREATE VIRTUAL TABLE docs_fts USING fts5(title, summary, did, decisions, future, learnings,"
        " questions, resume, tokenize = 'unicode61 remove_diacritics 2')"
    )


def m002_docs_walk(conn) -> None:
    # /resume's peer-activity walk reads every log's workstreams newest first: from this index
    # alone, not the rows (10,000 logs: 25 -> 3.5 ms).
    conn.execute("CREATE INDEX docs_walk ON docs (root, kind, sort_key, workstreams, warning)")


def m003_items(conn) -> None:
    # Each decision, learning and open question of a log with its number (lib/logs/items.py):
    # the team memory reads thousands of them at every session start, parsed once here instead.
    # pos: the item's place in its section (the log's order); n: its number (its label, or its place).
    conn.execute("CREATE TABLE items (docid INTEGER NOT NULL, letter TEXT NOT NULL, pos INTEGER NOT NULL,"
                 " n INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (docid, letter, pos)) WITHOUT ROWID")
    # Rows written before this migration have no items: forget the listings, so the next update
    # reads every file again (derived data: rebuilding is always allowed).
    conn.execute("DELETE FROM roots")


MIGRATIONS = (("001_initial", m001_initial), ("002_docs_walk", m002_docs_walk), ("003_items", m003_items))
NAMES = tuple(name for name, _ in MIGRATIONS)


def applied(conn) -> list:
    """Names recorded in ``_migrations`` ([] for a new, empty database); NotOurCatalog otherwise."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == 0 and not tables:
        return []
    if app_id != APPLICATION_ID or "_migrations" not in tables:
        raise NotOurCatalog("not a handoff catalog (application_id %#x)" % app_id)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise NotOurCatalog("written by a newer handoff (unknown migration %r)" % unknown[0])
    return names


def migrate(conn) -> list:
    """Apply the missing migrations, each in its own transaction; returns the names applied.
    The caller holds the catalog lock; ``conn`` is in autocommit mode."""
    done = applied(conn)
    steps = [] if done else [("", _bootstrap)]
    steps += [(name, step) for name, step in MIGRATIONS if name not in done]
    for name, step in steps:
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            if name:
                conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", (name,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return [name for name, _ in steps if name]


def _bootstrap(conn) -> None:
    conn.execute("PRAGMA application_id = %d" % APPLICATION_ID)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
