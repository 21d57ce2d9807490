"""One ISO week's page: the digest's figures against the week before and its two SVG charts
(lib/digest: nothing re-computed here), the week's decisions and open questions (`week_items`),
cost by operator and by workstream, and the week's sessions."""

from __future__ import annotations

from ..digest.report import GITHUB_ROWS, NUMERIC_ROWS, scalar
from .pages import e, layout, money, number, session_rows, short, table

MAX_ITEMS = 300  # decisions (or questions) quoted on a week page; the rest are in the session pages
ITEM_CHARS = 1000


def week_items(digest: dict, retired: dict) -> dict:
    """The week's decisions still in force and questions still open (the team memory's lifecycle,
    lib/memory/: a later log's ``supersedes`` / ``resolves``), each ``{"id", "item", "operator",
    "text"}``, and how many of the week's were retired since (``"superseded"``, ``"resolved"``)."""
    decisions = [q for q in digest["decisions"] if q["item"] not in retired["supersedes"]]
    questions = [q for q in digest["open_questions"] if q["item"] not in retired["resolves"]]
    return {"decisions": decisions, "open_questions": questions,
            "superseded": len(digest["decisions"]) - len(decisions),
            "resolved": len(digest["open_questions"]) - len(questions)}


def _figure(value, key: str) -> str:
    if value is None:
        return "not available" if key in GITHUB_ROWS else "-"
    if key == "cost_usd":
        return money(value)
    return number(round(value, 2) if isinstance(value, float) else value)


def figures_table(digest: dict) -> str:
    rows = []
    for key, label in NUMERIC_ROWS:
        a, b = scalar(digest["current"], key), scalar(digest["previous"], key)
        change = digest["change"][key]
        rows.append((label, _figure(a, key), _figure(b, key),
                     "" if change is None else ("%+.2f" % change if isinstance(change, float) else "%+d" % change)))
    return table(("", digest["week"], digest["previous_week"], "change"), rows, numeric=(1, 2, 3))


def cost_tables(sessions: list) -> str:
    """Cost by operator and by workstream of the week's sessions (a session in two workstreams
    counts in both; a session without a cost is counted apart, never as $0)."""
    def table_of(key_of, what):
        acc: dict = {}
        for s in sessions:
            for key in key_of(s):
                n, cost, unpriced = acc.get(key, (0, 0.0, 0))
                if s["cost_usd"] is None:
                    acc[key] = (n + 1, cost, unpriced + 1)
                else:
                    acc[key] = (n + 1, cost + s["cost_usd"], unpriced)
        rows = [(short(k, 80), number(n), money(c) if n > u else "-", number(u))
                for k, (n, c, u) in sorted(acc.items(), key=lambda kv: (-kv[1][1], kv[0]))]
        return table((what, "Sessions", "Cost", "Without cost"), rows, numeric=(1, 2, 3)) if rows else (
            '<p class="muted">None.</p>')

    return ("<h2>Cost by operator</h2>" + table_of(lambda s: [s["operator"] or "?"], "Operator")
            + "<h2>Cost by workstream</h2>" + table_of(lambda s: s["workstreams"] or ["(none)"], "Workstream"))


def _items(items: list, empty: str) -> str:
    if not items:
        return '<p class="muted">%s</p>' % e(empty)
    lis = ['<li>%s <a href="../sessions/%s">%s</a></li>' % (e(short(q["text"], ITEM_CHARS)), e(q["page"]),
                                                             e(q.get("item") or q["id"])) for q in items[:MAX_ITEMS]]
    more = '<p class="muted">And %s more in the sessions.</p>' % number(len(items) - MAX_ITEMS) if len(
        items) > MAX_ITEMS else ""
    return "<ul>%s</ul>%s" % ("".join(lis), more)


def render(window, digest: dict | None, charts: dict, sessions: list, shown: int, around: tuple,
           workstream_titles: dict, page_of: dict, generated: str, retired: dict) -> str:
    """``sessions``: the week's sessions, newest first (the first ``shown`` are listed here, all
    of them in ``by/week/``); ``around``: the labels of the previous and next week that have a
    page (or None); ``page_of``: log id -> its page's file name."""
    label = window.label
    prev, nxt = around
    nav = " \u00b7 ".join(x for x in (
        '<a rel="prev" href="%s.html">\u2190 %s</a>' % (e(prev), e(prev)) if prev else "",
        '<a rel="next" href="%s.html">%s \u2192</a>' % (e(nxt), e(nxt)) if nxt else "") if x)
    parts = ["<h1>Week %s</h1>" % e(label),
             '<p class="muted">%s to %s, UTC.</p>' % (e(window.first_day.isoformat()), e(window.last_day.isoformat())),
             '<nav class="around">%s</nav>' % nav]
    if digest is None:
        parts.append('<p class="note">No figures: the digest could not read this repository\'s history.</p>')
    else:
        parts += ["<h2>The week in numbers</h2>", figures_table(digest)]
        for name in ("week", "trend"):
            parts.append('<img class="chart" src="%s" alt="%s">' % (e(charts[name]), e(
                "Commits, sessions and tool calls per day" if name == "week" else
                "Commits, sessions and tool calls, the last weeks")))
        items = week_items(digest, retired)
        for key, heading, gone in (("decisions", "Decisions in force", "superseded"),
                                   ("open_questions", "Open questions", "resolved")):
            quoted = [dict(q, page=page_of.get(q["id"], "")) for q in items[key]]
            parts += ["<h2>%s</h2>" % heading, _items([q for q in quoted if q["page"]], "None this week.")]
            if items[gone]:
                parts.append('<p class="muted">%s more of this week %s by a later session.</p>'
                             % (number(items[gone]), gone))
    parts.append(cost_tables(sessions))
    parts.append("<h2>Sessions</h2>")
    parts.append('<p class="count"><span id="session-count">%s</span> session%s. <a href="../by/week/%s.html">'
                 "List them all</a>.</p>" % (number(len(sessions)), "" if len(sessions) == 1 else "s", e(label)))
    parts.append(session_rows(sessions[:shown], "../", workstream_titles))
    return layout("Week " + label, "".join(parts), "../", generated)
