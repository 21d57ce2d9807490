"""``report``: the static HTML report of every session, built from the catalog into one folder.

Layout of the folder (every link relative, so it opens from ``file://`` or any static host):

- ``index.html`` (``index-2.html``...): every session, newest first, `PAGE_SIZE` a page; the
  search box's hits (``index.html?q=WORDS``, assets/search.js over ``search/*.js``);
- ``sessions/<id>.html``: one page per session (lib/report/session_page.py);
- ``weeks/<YYYY-Www>.html`` and its two charts: one page per week that has a session
  (lib/report/week_page.py, the digest's figures and SVGs);
- filters that work without JavaScript, as pre-generated listings: ``by/operator/<OP>.html``,
  ``by/week/<YYYY-Www>.html``, ``by/workstream/<slug>.html`` (paged like the index), reached
  from ``operators.html``, ``weeks.html``, ``workstreams.html`` and the index. One dimension
  at a time: the cross product (an operator's sessions of one week...) would multiply the
  pages; search narrows further.
"""

from __future__ import annotations

import os
import time

from ..core import isotime
from ..core.errors import HelperError
from . import gather, pages, search_data, session_page, site, week_page
from .pages import e, number

PAGE_SIZE = 200
ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
DEFAULT_DIR = "report"


def default_out(project) -> str:
    return os.path.join(project.state_dir, DEFAULT_DIR)


def build(project, out: str | None, since: str | None) -> dict:
    """Build the report into ``out`` (default: `default_out`), replacing the one there."""
    started = time.perf_counter()
    since = gather.parse_since(since)
    out = os.path.abspath(out) if out else default_out(project)
    site.check_target(out)
    warnings: list = []
    sessions, ws_titles = gather.sessions(project, warnings, since)
    material, windows = gather.weeks(project, sessions, warnings)
    writer = site.SiteWriter(out)
    try:
        generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(isotime.now()))
        week_pages = _write(writer, project, sessions, ws_titles, material, windows, generated)
        writer.commit()
    except BaseException as exc:
        writer.discard()
        if isinstance(exc, OSError):  # a full disk, a folder we may not write: one line
            raise HelperError("%s: %s" % (out, exc.strerror or exc)) from None
        raise
    return {"out": out, "index": os.path.join(out, "index.html"), "sessions": len(sessions), "weeks": week_pages,
            "files": writer.files, "largest_bytes": writer.largest[0], "largest": writer.largest[1],
            "seconds": round(time.perf_counter() - started, 2), "warnings": warnings}


def _write(writer, project, sessions, ws_titles, material, windows, generated) -> int:
    for name in ("report.css", "search.js"):
        writer.copy(os.path.join(ASSETS, name), "assets/" + name)
    by_operator = _group(sessions, lambda s: [s["operator"]] if s["operator"] else [])
    by_week = _group(sessions, lambda s: [s["week"]] if s["week"] else [])
    by_workstream = _group(sessions, lambda s: s["workstreams"])
    around = {}
    for group in by_operator.values():  # newest first: the previous session is the next one in the list
        for i, s in enumerate(group):
            around[s["id"]] = (group[i + 1] if i + 1 < len(group) else None, group[i - 1] if i else None)
    job = (writer, project, sessions, around, ws_titles, generated)
    shards = search_data.shards(_session_pages(job))
    for name, text in shards:
        writer.write(name, text)

    weeks_sorted = sorted(by_week, reverse=True)
    intro = pages.search_box([name for name, _ in shards]) + pages.filters(
        _counts(by_operator), [(w, len(by_week[w])) for w in weeks_sorted], _counts(by_workstream))
    _listing(writer, "index", "", "Sessions", intro, sessions, ws_titles, generated, scripts=("assets/search.js",))
    for op, group in by_operator.items():
        _listing(writer, "by/operator/" + op, "../../", "Sessions of " + op, "", group, ws_titles, generated)
    for week, group in by_week.items():
        intro = '<p><a href="../../weeks/%s.html">The week\'s figures, decisions and costs</a>.</p>' % e(week)
        _listing(writer, "by/week/" + week, "../../", "Sessions of " + week, intro, group, ws_titles, generated)
    for slug, group in by_workstream.items():
        title = ws_titles.get(slug)
        intro = "<p>%s</p>" % e(title) if title else '<p class="muted">No workstream file by this name.</p>'
        _listing(writer, "by/workstream/" + slug, "../../", "Workstream " + slug, intro, group, ws_titles, generated)

    _summary(writer, "operators.html", "Operators", ("Operator", "Sessions"),
             [(op, "by/operator/%s.html" % op, len(g)) for op, g in sorted(by_operator.items())], generated)
    slugs = sorted(set(ws_titles) | set(by_workstream))  # a workstream no session names has no listing
    _summary(writer, "workstreams.html", "Workstreams", ("Workstream", "Sessions"),
             [(s, "by/workstream/%s.html" % s if s in by_workstream else None, len(by_workstream.get(s, ())))
              for s in slugs], generated)
    _summary(writer, "weeks.html", "Weeks", ("Week", "Sessions"),
             [(w, "weeks/%s.html" % w, len(by_week[w])) for w in weeks_sorted], generated)
    from ..memory.briefing import retired_here

    retired = retired_here(project, [])
    return _weeks(writer, material, windows, by_week, ws_titles, {s["id"]: s["page"] for s in sessions}, generated,
                  retired)


def _session_pages(job) -> list:
    """Write every session's page (markdown-it-py: ~0.6 ms a log, most of the build); returns
    their search entries, in order. One process: 10,000 logs build well inside the 30 s target
    (tests/bench/bench_report.py), so no worker pool to maintain."""
    from ..catalog.records import meta_of

    writer, project, sessions, around, ws_titles, generated = job
    entries = []
    for s in sessions:
        body, problem = gather.read_body(project, s)
        writer.write("sessions/" + s["page"], session_page.render(
            s, meta_of(s["frontmatter"]), body, problem, around.get(s["id"], (None, None)), ws_titles, generated))
        entries.append(search_data.entry(s, body))
    return entries


def _weeks(writer, material, windows, by_week, ws_titles, page_of, generated, retired) -> int:
    from ..digest import charts
    from ..digest import report as digest
    from ..digest import weeks as w

    shown = [win for win in windows if win.label in by_week]
    labels = [win.label for win in shown]
    figures: dict = {}  # window label -> the digest's figures, each window's computed once

    def figures_of(win):
        if win.label not in figures:
            figures[win.label] = digest.window_figures(material, win)
        return figures[win.label]

    from ..digest.reflection import TREND_WEEKS

    for i, win in enumerate(shown):
        previous = w.previous_week(win)
        d = digest.assemble(material, win, previous, None)
        trend = [(x.label, {k: figures_of(x)[k] for k in ("commits", "sessions", "tool_calls")})
                 for x in w.weeks_before(win, TREND_WEEKS)]
        names = {"week": "%s-week.svg" % win.label, "trend": "%s-trend.svg" % win.label}
        writer.write("weeks/" + names["week"], charts.week_svg(win.label, "team", d["current"]["by_day"]))
        writer.write("weeks/" + names["trend"], charts.trend_svg(win.label, "team", trend))
        neighbours = (labels[i - 1] if i else None, labels[i + 1] if i + 1 < len(labels) else None)
        writer.write("weeks/%s.html" % win.label, week_page.render(
            win, d, names, by_week[win.label], PAGE_SIZE, neighbours, ws_titles, page_of, generated, retired))
    return len(shown)


def _group(sessions: list, keys_of) -> dict:
    out: dict = {}
    for s in sessions:
        for key in keys_of(s):
            out.setdefault(key, []).append(s)
    return out


def _counts(groups: dict) -> list:
    return [(key, len(group)) for key, group in sorted(groups.items())]


def _listing(writer, base, root, heading, intro, sessions, ws_titles, generated, scripts=()) -> None:
    """``base.html``, ``base-2.html``...: `PAGE_SIZE` sessions each (one page when empty)."""
    count = max(1, -(-len(sessions) // PAGE_SIZE))
    name = base.rsplit("/", 1)[-1]
    for p in range(1, count + 1):
        chunk = sessions[(p - 1) * PAGE_SIZE : p * PAGE_SIZE]
        body = pages.listing(heading, intro if p == 1 else "", chunk, len(sessions), p, count, name, root, ws_titles)
        rel = "%s.html" % base if p == 1 else "%s-%d.html" % (base, p)
        writer.write(rel, pages.layout(heading if p == 1 else "%s, page %d" % (heading, p), body, root, generated,
                                       scripts if p == 1 else ()))


def _summary(writer, rel, heading, headers, rows, generated) -> None:
    """A page listing the filters of one kind: [(label, link or None, sessions)]."""
    lines = ["<tr><td>%s</td><td class=\"num\">%s</td></tr>" % (
        '<a href="%s">%s</a>' % (e(link), e(label)) if link else e(label), number(n)) for label, link, n in rows]
    body = "<h1>%s</h1><table><thead><tr><th>%s</th><th class=\"num\">%s</th></tr></thead><tbody>%s</tbody></table>" % (
        e(heading), e(headers[0]), e(headers[1]), "".join(lines))
    writer.write(rel, pages.layout(heading, body, "", generated))
