"""The report's material: every session log of the catalog, its week, and each week's digest.

Logs come from the catalog (lib/catalog/store.py: one query for this worktree's log rows, newest
first) and nothing else; a log's body is read for its page only (`read_body`), through
``core/repofiles`` (no link followed, no FIFO, bounded) and the catalog's own decoding (invalid
UTF-8 replaced, with the catalog's warning). A session's week is the digest's placement (its
``ended_at``, else ``started_at``, else its day: lib/catalog/records.figures, applied by
lib/digest/report.collect), in UTC; the week pages' figures, quotes and charts are the digest's.

Weeks are cut only between 1990 and a year from now (`EARLIEST`): a log dated in year 9999 has
its page but no week.

``--since DATE`` selects the sessions whose day is DATE or later (a log whose day is unknown is
left out); a week page still shows its whole week's digest figures.
"""

from __future__ import annotations

import datetime as _dt
import os
import re

from ..core.errors import HelperError

_LOG_COLUMNS = ("id", "path", "operator", "day", "title", "summary", "workstreams", "tokens", "cost_usd",
                "frontmatter", "warning", "unread")
# Weeks are cut between these days only: a log dated 9999-12-31 (or a day after next year) would
# otherwise ask for every week in between. Such a log still has its page; it has no week.
EARLIEST = 631152000.0
MAX_WORKSTREAMS = 50  # of one session (each is a link on its pages and a listing of its own)  # 1990-01-01T00:00:00Z
_SAFE_PAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}\Z")


def page_name(log_id: str) -> str:
    """The file name of a session's page: its id, or for a legacy name that is not a safe file
    name (spaces, quotes, non-ASCII) ``log-<hash>``: stable across runs, so links can be shared."""
    if _SAFE_PAGE_RE.match(log_id):
        return log_id + ".html"
    import hashlib

    return "log-%s.html" % hashlib.sha1(log_id.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def sessions(project, warnings: list, since: str | None) -> tuple[list, dict]:
    """([session dict], {workstream slug: title}): this worktree's logs newest first."""
    from ..catalog import store

    query = ("SELECT %s FROM docs WHERE root = ? AND kind = 'log'%s ORDER BY sort_key DESC, path DESC"
             % (", ".join(_LOG_COLUMNS), " AND day >= ?" if since else ""))
    args = (project.root, since) if since else (project.root,)
    ws_query = "SELECT id, title FROM docs WHERE root = ? AND kind = 'workstream' AND warning IS NULL"

    def question(conn):
        conn.execute("BEGIN")  # one read transaction: the two answers agree
        try:
            return conn.execute(query, args).fetchall(), conn.execute(ws_query, (project.root,)).fetchall()
        finally:
            conn.execute("COMMIT")

    rows, ws_rows = store.ask(project, warnings, question)
    out = []
    for row in rows:
        s = dict(zip(_LOG_COLUMNS, row))
        s["workstreams"] = [w for w in (s["workstreams"] or "").split(",") if w][:MAX_WORKSTREAMS]
        s["page"] = page_name(s["id"])
        s["week"] = None
        out.append(s)
    return out, dict(ws_rows)


def parse_since(text: str | None) -> str | None:
    if text is None:
        return None
    from ..digest.weeks import parse_date

    return parse_date(text, "--since").isoformat()


def read_body(project, session: dict) -> tuple[str | None, str | None]:
    """(the markdown body of a session's log, or None; a problem reading it, or None)."""
    from ..catalog.records import MAX_FILE_BYTES, decode
    from ..core.repofiles import Unreadable, read_repo_file
    from ..logs import frontmatter

    if session["unread"]:
        return None, session["warning"] or "not read"
    path = os.path.join(project.root, session["path"])
    try:
        data = read_repo_file(path, root=project.root, max_bytes=MAX_FILE_BYTES + 1)
    except Unreadable as exc:
        return None, exc.reason
    except HelperError as exc:
        return None, str(exc)
    truncated = len(data) > MAX_FILE_BYTES
    text, _ = decode(data[:MAX_FILE_BYTES] if truncated else data, truncated)
    yaml_text, body = frontmatter.split(text)
    return (text if yaml_text is None else body), None


def weeks(project, sessions_: list, warnings: list):
    """Place ``sessions_`` in their ISO weeks (UTC) and return ``(material, windows)`` for the
    week pages (lib/digest/report.collect, no GitHub: a report asks nothing of the network), or
    ``(None, [])`` when there is nothing to place or no git history to read (said in ``warnings``)."""
    from ..core import isotime
    from ..digest import reflection, report
    from ..digest import weeks as w

    latest = isotime.now() + 366 * 86400
    days = sorted(t for t in (_epoch(s["day"]) for s in sessions_) if t is not None and EARLIEST <= t <= latest)
    if not days:
        return None, []
    utc = _dt.timezone.utc
    first = w.week_of(days[0] - 86400, utc)
    last = w.week_of(days[-1] + 86400, utc)
    windows = w.weeks_before(first, reflection.TREND_WEEKS)  # the first week's trend needs the weeks before it
    while windows[-1].label != last.label:
        windows.append(w.week_of(windows[-1].end, utc))
    try:
        material = report.collect(project, windows, None, github=False)
    except HelperError as exc:
        warnings.append("no week pages: %s" % exc)
        return None, []
    warnings += material["warnings"]
    by_id = {s["id"]: s for s in sessions_}
    for label, records in material["records"].items():
        for log_id, _ in records:
            if log_id in by_id:
                by_id[log_id]["week"] = label
    return material, windows


def _epoch(day: str | None) -> float | None:
    """Noon UTC of a ``YYYY-MM-DD`` day; None for no day or one that is no date (``2026-13-45``
    from a file name, ``0000-00-00`` from a hand-written frontmatter)."""
    try:
        return _dt.datetime.fromisoformat(day + "T12:00:00+00:00").timestamp() if day else None
    except (ValueError, OverflowError):
        return None
