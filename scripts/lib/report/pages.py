"""The report's HTML pages, as text. Every value that comes from a log (titles, operators,
summaries, frontmatter fields, item texts) goes through `e` (html.escape, quotes too); the only
HTML taken as is is the markdown renderer's (lib/report/markdown.py) and the digest's SVG charts,
which are files referenced by ``<img>`` (an image cannot run script).

Every page carries a Content-Security-Policy that allows nothing outside ``file:`` (so no
request can leave the folder even if something slipped through) and no inline script.
"""

from __future__ import annotations

import html

from ..logs.shown import one_line as short  # a log's text on one line, capped (re-exported to the pages)

CSP = ("default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file: data:;"
       " base-uri 'none'; form-action 'self' file:")
TITLE_CHARS = 160  # a title in a list or a <title>; the session page shows it whole
SUMMARY_CHARS = 300


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def layout(title: str, body: str, root: str, generated: str, scripts: tuple = ()) -> str:
    """A whole page; ``root`` is the relative way back to the report's folder (``""``, ``"../"``)."""
    tail = "".join('<script src="%s"></script>' % e(root + s) for s in scripts)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="%s">'
        '<meta name="referrer" content="no-referrer">'
        "<title>%s \u00b7 handoff report</title>"
        '<link rel="stylesheet" href="%sassets/report.css"></head>\n<body>'
        '<header><nav><a href="%sindex.html">Sessions</a><a href="%sweeks.html">Weeks</a>'
        '<a href="%soperators.html">Operators</a><a href="%sworkstreams.html">Workstreams</a></nav>'
        '<form action="%sindex.html" method="get" role="search"><input type="search" name="q" '
        'aria-label="Search every session" placeholder="Search every session"> <button>Search</button></form>'
        "</header>\n<main>%s</main>\n<footer>Generated %s by <code>scripts/handoff report</code>.</footer>%s"
        "</body></html>\n"
    ) % (CSP, e(short(title, TITLE_CHARS)), root, root, root, root, root, root, body, e(generated), tail)


def money(value) -> str:
    return "-" if value is None else "$%.2f" % value


def number(value) -> str:
    return "-" if value is None else format(value, ",")


def session_rows(sessions: list, root: str, workstream_titles: dict) -> str:
    """The table of sessions every listing shows."""
    rows = []
    for s in sessions:
        ws = ", ".join('<a href="%sby/workstream/%s.html" title="%s">%s</a>' % (
            root, e(w), e(short(workstream_titles.get(w), 120)), e(w)) for w in s["workstreams"])
        summary = short(s["summary"], SUMMARY_CHARS)
        rows.append(
            '<tr><td><a href="%ssessions/%s">%s</a></td><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td>'
            '<td class="num">%s</td><td class="num">%s</td></tr>' % (
                root, e(s["page"]), e(s["id"]), e(short(s["title"], TITLE_CHARS)),
                '<br><span class="muted">%s</span>' % e(summary) if summary else "",
                _operator_link(s["operator"], root), e(s["day"] or "?"),
                ws, number(s["tokens"]), money(s["cost_usd"])))
    return (
        '<table class="sessions"><thead><tr><th>Session</th><th>Title</th><th>Operator</th><th>Day</th>'
        '<th>Workstreams</th><th class="num">Tokens</th><th class="num">Cost</th></tr></thead><tbody>\n'
        + "\n".join(rows) + "\n</tbody></table>"
    )


def _operator_link(op, root: str) -> str:
    return '<a href="%sby/operator/%s.html">%s</a>' % (root, e(op), e(op)) if op else '<span class="muted">?</span>'


def pager(base: str, page: int, pages: int) -> str:
    """Links to every page of a listing (``base.html``, ``base-2.html``, ...)."""
    if pages <= 1:
        return ""
    links = []
    for p in range(1, pages + 1):
        name = "%s.html" % base if p == 1 else "%s-%d.html" % (base, p)
        links.append("<span>%d</span>" % p if p == page else '<a href="%s">%d</a>' % (e(name), p))
    return '<nav class="pager" aria-label="pages">Page: %s</nav>' % " ".join(links)


def listing(heading: str, intro: str, sessions: list, total: int, page: int, pages: int, base: str,
            root: str, workstream_titles: dict) -> str:
    """The body of one page of a listing (the index, an operator's, a week's, a workstream's)."""
    count = '<p class="count"><span id="session-count">%s</span> session%s%s.</p>' % (
        number(total), "" if total == 1 else "s",
        "" if pages <= 1 else ", page %d of %d" % (page, pages))
    nav = pager(base, page, pages)
    return "<h1>%s</h1>%s%s%s%s%s" % (e(heading), intro, count, nav, session_rows(sessions, root, workstream_titles),
                                     nav)


def search_box(shards: list) -> str:
    return (
        '<section id="search-results" data-root="" data-shards="%s" hidden><h2>Search</h2><ol></ol></section>'
        "<noscript><p class=\"muted\">Search needs JavaScript; every list below works without it.</p></noscript>"
        % e(" ".join(shards))
    )


def filters(operators: list, weeks: list, workstreams: list) -> str:
    """Links to the pre-generated filtered listings (filters that work without JavaScript)."""
    def links(items, kind):
        return "".join('<li><a href="by/%s/%s.html">%s</a> <span class="muted">%s</span></li>'
                       % (kind, e(key), e(key), number(n)) for key, n in items)

    parts = ['<section class="filters"><h2>Filter</h2>']
    parts.append("<div>By operator: <ul>%s</ul></div>" % links(operators, "operator"))
    recent = weeks[:8]
    parts.append('<div>By week: <ul>%s<li><a href="weeks.html">all %s weeks</a></li></ul></div>'
                 % (links(recent, "week"), number(len(weeks))))
    top = sorted(workstreams, key=lambda kv: (-kv[1], kv[0]))[:8]
    parts.append('<div>By workstream: <ul>%s<li><a href="workstreams.html">all %s workstreams</a></li></ul></div>'
                 % (links(top, "workstream"), number(len(workstreams))))
    parts.append("</section>")
    return "".join(parts)


def facts(pairs: list) -> str:
    """A ``<dl>`` of (label, HTML value) pairs, the absent ones left out."""
    items = "".join("<dt>%s</dt><dd>%s</dd>" % (e(k), v) for k, v in pairs if v not in (None, ""))
    return '<dl class="facts">%s</dl>' % items if items else '<p class="muted">Not recorded.</p>'


def table(headers: tuple, rows: list, numeric: tuple = ()) -> str:
    """A table of escaped cells; columns whose index is in ``numeric`` are right-aligned."""
    def cell(tag, i, value):
        return '<%s%s>%s</%s>' % (tag, ' class="num"' if i in numeric else "", e(value), tag)

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>%s</tr>" % "".join(cell("td", i, v) for i, v in enumerate(r)) for r in rows)
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, body)
