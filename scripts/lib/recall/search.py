"""Ranked search and section items over the catalog (lib/catalog/ keeps it current).

Ranking: FTS5 ``bm25`` over every match with per-column weights (`WEIGHTS`): a word in a title
counts ten times a word in a body section, in the summary five times, in Decisions Made or
Learnings twice (what /recall is asked about: "what did we decide", "what did we learn"). Each
hit reports the section its match is in (the most heavily weighted column with a match; among
body sections, the one with most matches) and a snippet of that section with every match
between ``**``.

Every read of one answer (hits, then their sections and snippets) happens in one read
transaction: a writer committing in between cannot make the second query disagree with the
first (tests/recall/test_concurrency.py).
"""

from __future__ import annotations

import sqlite3

from ..core.errors import HelperError
from ..logs.sections import COLUMNS
from . import query as fts_query

WEIGHTS = {"title": 10.0, "summary": 5.0, "decisions": 2.0, "learnings": 2.0}
MARK_OPEN, MARK_CLOSE = "\x01", "\x02"  # control characters never indexed (catalog.records.clean)
SNIPPET_TOKENS = 24


class Filters:
    __slots__ = ("operator", "workstream", "since", "until", "section", "kind")

    def __init__(self, operator=None, workstream=None, since=None, until=None, section=None, kind=None):
        self.operator = operator
        self.workstream = workstream
        self.since = since
        self.until = until
        self.section = section
        self.kind = kind

    def where(self) -> tuple[str, list]:
        sql, args = [], []
        if self.operator:
            sql.append("d.operator = ?")
            args.append(self.operator)
        if self.workstream:
            sql.append("d.workstreams LIKE ? ESCAPE '\\'")
            args.append("%," + self.workstream.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%")
        if self.since:
            sql.append("d.day >= ?")
            args.append(self.since)
        if self.until:
            sql.append("d.day <= ?")
            args.append(self.until)
        if self.kind:
            sql.append("d.kind = ?")
            args.append(self.kind)
        return "".join(" AND " + s for s in sql), args


_WEIGHTS_SQL = ", ".join(str(WEIGHTS.get(c, 1.0)) for c in COLUMNS)


def _ranked(conn, root: str, match: str, filters: Filters, limit: int) -> list:
    where, args = filters.where()
    sql = (
        "SELECT d.docid, d.id, d.path, d.day, d.operator, d.title, d.kind, bm25(docs_fts, %s) AS score"
        " FROM docs_fts JOIN docs d ON d.docid = docs_fts.rowid"
        " WHERE docs_fts MATCH ? AND d.root = ?%s ORDER BY score, d.sort_key DESC LIMIT ?" % (_WEIGHTS_SQL, where)
    )
    return conn.execute(sql, [match, root, *args, limit]).fetchall()


def _sections(conn, match: str, docids: list) -> dict:
    """docid -> (section, snippet) for the hits."""
    if not docids:
        return {}
    snippets = ", ".join(
        "snippet(docs_fts, %d, '%s', '%s', '…', %d)" % (i, MARK_OPEN, MARK_CLOSE, SNIPPET_TOKENS)
        for i in range(len(COLUMNS))
    )
    marks = "?" + ", ?" * (len(docids) - 1)
    sql = "SELECT rowid, %s FROM docs_fts WHERE docs_fts MATCH ? AND rowid IN (%s)" % (snippets, marks)
    out = {}
    for row in conn.execute(sql, [match, *docids]):
        best = None
        for i, column in enumerate(COLUMNS):
            text = row[1 + i] or ""
            count = text.count(MARK_OPEN)
            if not count:
                continue
            rank = (WEIGHTS.get(column, 1.0), count)
            if best is None or rank > best[0]:
                best = (rank, column, text)
        if best is None:  # matched through a phrase split differently; show the summary
            best = (None, "summary", row[2] or row[3] or "")
        text = " ".join(best[2].split())
        out[row[0]] = (best[1], text.replace(MARK_OPEN, "**").replace(MARK_CLOSE, "**"))
    return out


def search(conn, root: str, text: str, filters: Filters, limit: int, fts: bool, warnings: list) -> list:
    """Hits as dicts (the ``--json`` shape), best first."""
    text = "".join(" " if c < " " and c not in "\t\n" else c for c in text) if not text.isprintable() else text
    if fts:
        expressions = [fts_query.check_fts(text)]
    else:
        strings, dropped = fts_query.terms(text)
        if dropped:
            warnings.append("the query has more than %d words; searched for the first %d" % (
                fts_query.MAX_TERMS, fts_query.MAX_TERMS))
        expressions = [fts_query.all_of(strings)]
        if len(strings) > 1:
            expressions.append(fts_query.any_of(strings))
    conn.execute("BEGIN")  # one snapshot for the whole answer
    try:
        rows, match = [], None
        for n, expression in enumerate(expressions):
            match = fts_query.in_column(filters.section, expression) if filters.section else expression
            try:
                rows = _ranked(conn, root, match, filters, limit)
            except sqlite3.OperationalError as exc:
                if fts:
                    raise HelperError("search --fts: %s: %s" % (" ".join(text.split())[:80], exc)) from None
                raise
            if rows:
                if n:
                    warnings.append("no log has every word; showing logs with any of them")
                break
        sections = _sections(conn, match, [r[0] for r in rows])
    finally:
        conn.execute("COMMIT")
    hits = []
    for docid, log_id, path, day, operator, title, kind, score in rows:
        section, snippet = sections.get(docid, ("summary", ""))
        hits.append({
            "id": log_id, "path": path, "date": day, "operator": operator, "title": title,
            "section": section if kind == "log" else "workstream", "snippet": snippet, "score": round(-score, 4),
        })
    return hits


def section_texts(conn, root: str, column: str, since: str | None) -> list:
    """(id, path, day, operator, title, text of ``column``) of every log, newest first."""
    where = " AND d.day >= ?" if since else ""
    sql = (
        "SELECT d.id, d.path, d.day, d.operator, d.title, f.%s FROM docs d JOIN docs_fts f ON f.rowid = d.docid"
        " WHERE d.root = ? AND d.kind = 'log'%s ORDER BY d.sort_key DESC" % (column, where)
    )
    return conn.execute(sql, [root] + ([since] if since else [])).fetchall()


def warnings_of(conn, root: str) -> list:
    """The files' own warnings (broken frontmatter, invalid UTF-8...), one line each: a log whose
    frontmatter could not be read is still searched by its body."""
    sql = ("SELECT path, warning, kind = 'log' AND frontmatter IS NULL AND unread IS NULL FROM docs"
           " WHERE root = ? AND warning IS NOT NULL ORDER BY path")
    return ["%s: %s%s" % (path, warning, "; indexed by its body" if by_body else "")
            for path, warning, by_body in conn.execute(sql, (root,))]
