"""What the recall commands (search, learnings, decisions) share: option checks, opening the
index (FTS5 checked first) and printing warnings. Thin; the logic is in the modules it calls."""

from __future__ import annotations

import sys

from ..core.errors import HelperError

MAX_WARNINGS_SHOWN = 10


def day(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    import re  # only with --since/--until: the warm path does without it

    if not re.match(r"\d{4}-\d{2}-\d{2}\Z", value):
        raise HelperError("%s %r: expected a date YYYY-MM-DD" % (option, value[:40]))
    import datetime

    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise HelperError("%s %r: not a calendar date" % (option, value)) from None
    return value


def open_index(project, warnings: list, stats: dict | None = None):
    """FTS5 checked, then the index brought current (lib/recall/index.py)."""
    from . import freshness, index, store

    store.require_fts5()
    if not freshness.storable(project.root):  # the index keys files by their worktree's path, as text
        raise HelperError("%s: this path is not UTF-8; the search index cannot hold it (rename a directory"
                          " on the way)" % project.root.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    return index.open_current(project, warnings, stats)


def answer(project, warnings: list, ask, stats: dict | None = None):
    """``ask(conn)`` on a current index, then the documents' own warnings added to ``warnings``.
    Damage found by any of these reads (a corrupt page deep in the FTS b-tree) moves the index
    aside and asks again on a rebuilt one, once; any other SQLite failure is one line, never a
    traceback."""
    import sqlite3

    from . import index, store

    for attempt in (1, 2):
        conn = open_index(project, warnings, stats)
        try:
            found = ask(conn)
            warnings += document_warnings(conn, project.root)
            return conn, found
        except sqlite3.Error as exc:
            conn.close()
            if attempt == 1 and store.is_corruption(exc):
                index.discard(project, warnings, exc)
                continue
            raise HelperError("recall index: %s" % exc) from None
    raise AssertionError("unreachable")


def finish(project, conn, stats: dict, args) -> None:
    """After the answer is written: when the index was found current by the cheap check, start
    the full check it deferred (lib/recall/verify.py); then close the connection.

    Unless the process ends right after (``args.process_exits``: os._exit, FAST_EXIT in
    scripts/handoff_helpers.py) and a check was started: then it is left open. Closing the
    last connection after a write checkpoints the WAL (pages copied into the index and
    fsync'd: ~2 ms of a first search after a new log); the check opens the index after us and
    its close does that, in the background. Exiting with it open is what a crash does, which
    SQLite is built for (what we committed is in the WAL; the next connection recovers it).
    A caller that goes on (a test calling main()) gets it closed here: a connection closed
    later, by the garbage collector, would delete its WAL by name even if the index had been
    moved aside and rebuilt meanwhile."""
    started = False
    if stats.get("check") in ("quick", "changes"):
        from . import verify

        started = verify.spawn(project)
    if not (started and getattr(args, "process_exits", False)):
        conn.close()


def document_warnings(conn, root: str) -> list:
    from . import search

    return search.warnings_of(conn, root)


def print_warnings(warnings: list) -> None:
    shown = warnings[:MAX_WARNINGS_SHOWN]
    for line in shown:
        print("handoff: warning: %s" % line, file=sys.stderr)
    if len(warnings) > len(shown):
        more = len(warnings) - len(shown)
        print("handoff: warning: ... and %d more (`scripts/handoff validate` lists them)" % more, file=sys.stderr)


def write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()


def run_items(args, project, column: str, heading: str) -> int:
    """The `learnings` / `decisions` commands."""
    import json

    from . import items

    since = day("--since", getattr(args, "since", None))
    warnings: list = []
    stats: dict = {}
    conn, found = answer(project, warnings, lambda conn: items.collect(conn, project.root, column, since), stats)
    try:
        if args.json:
            write(json.dumps({"items": found, "warnings": warnings}, ensure_ascii=False, indent=1) + "\n")
        else:
            write(items.render(found, heading))
            print_warnings(warnings)
    finally:  # a closed pipe too: the index is closed and the deferred check started
        finish(project, conn, stats, args)
    return 0
