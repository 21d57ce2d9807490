"""Ranked search and section items over the index (lib/recall/index.py keeps it current).

Ranking: FTS5 ``bm25`` with per-column weights (`WEIGHTS`): a word in a title counts ten times
a word in a body section, in the summary five times, in Decisions Made or Learnings twice (what
/recall is asked about: "what did we decide", "what did we learn"). Each hit reports the section its match is
in (the most heavily weighted column with a match; among body sections, the one with most
matches) and a snippet of that section with every match between ``**``.

Every read of one answer (hits, then their sections and snippets) happens in one read
transaction: a writer committing in between cannot make the second query disagree with the
first (tests/recall/test_concurrency.py).
"""

from __future__ import annotations

import sqlite3

from ..core.errors import HelperError
from . import query as fts_query
from .columns import COLUMNS

WEIGHTS = {"title": 10.0, "summary": 5.0, "decisions": 2.0, "learnings": 2.0}
MARK_OPEN, MARK_CLOSE = "\x01", "\x02"  # control characters never indexed (documents._clean)
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


def _weights() -> str:
    return ", ".join(str(WEIGHTS.get(c, 1.0)) for c in COLUMNS)


_OF_ROOT = " AND EXISTS (SELECT 1 FROM files f WHERE f.root = ? AND f.key = d.key)"


def _only_root(conn, root: str) -> bool:
    """Whether ``root`` is the only worktree in the index: then every document is one of its
    own, and the per-match check that it is (a third of ranking 8,000 matches) is not needed."""
    return conn.execute("SELECT count(*), max(root = ?) FROM roots", (root,)).fetchone() == (1, 1)


def _ranked(conn, root: str, match: str, filters: Filters, limit: int, only_root: bool) -> list:
    where, args = filters.where()
    sql = (
        "SELECT d.docid, d.id, d.path, d.day, d.operator, d.title, d.kind, bm25(docs_fts, %s) AS score"
        " FROM docs_fts JOIN docs d ON d.docid = docs_fts.rowid"
        " WHERE docs_fts MATCH ?%s%s"
        " ORDER BY score, d.sort_key DESC LIMIT ?" % (_weights(), "" if only_root else _OF_ROOT, where)
    )
    return conn.execute(sql, [match, *(() if only_root else (root,)), *args, limit]).fetchall()


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
        only_root = _only_root(conn, root)
        rows, match = [], None
        for n, expression in enumerate(expressions):
            match = fts_query.in_column(filters.section, expression) if filters.section else expression
            try:
                rows = _ranked(conn, root, match, filters, limit, only_root)
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
    args = [root] + ([since] if since else [])
    sql = (
        "SELECT d.id, d.path, d.day, d.operator, d.title, f.%s FROM docs d JOIN docs_fts f ON f.rowid = d.docid"
        " WHERE d.kind = 'log' AND EXISTS (SELECT 1 FROM files x WHERE x.root = ? AND x.key = d.key)%s"
        " ORDER BY d.sort_key DESC" % (column, where)
    )
    conn.execute("BEGIN")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.execute("COMMIT")


def warnings_of(conn, root: str) -> list:
    """The documents' own warnings (broken frontmatter, invalid UTF-8...), one line each."""
    sql = (
        "SELECT d.path, d.warning FROM docs d WHERE d.warning IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM files f WHERE f.root = ? AND f.key = d.key) ORDER BY d.path"
    )
    return ["%s: %s" % row for row in conn.execute(sql, (root,))]
