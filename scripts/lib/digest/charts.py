"""SVG bar charts of a digest, written by hand (no plotting dependency) so they render on GitHub.

One chart is a column of panels, one per series (commits, sessions, tool calls), each with its
own scale: tool calls run to hundreds while commits stay in tens, and one shared axis would
flatten the small series. Geometry is whole pixels (bar heights ``round(value / top * BAR_MAX)``,
edges on integer coordinates) so a renderer draws each bar in its exact colour, with no
anti-aliased edge: tests/digest/test_charts_browser.py renders the file in headless Chromium and
measures each bar's height per colour against the figures.

Accessibility: the root has ``role="img"``, a ``<title>`` and a ``<desc>`` that states every
figure, each bar has its own ``<title>``, and every bar carries its value as a text label.
"""

from __future__ import annotations

from html import escape  # not xml.sax.saxutils: that imports urllib and http.client (50 ms)

WIDTH = 720
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
PANEL_HEIGHT = 170
PANEL_TOP = 34  # title line of a panel
BAR_MAX = 100  # px of the tallest bar in a panel
HEADER = 40
SERIES = (
    # key, label, colour (distinct, colour-blind-safe blue / orange / green; also told apart by text)
    ("commits", "Commits", "#0072b2"),
    ("sessions", "Sessions", "#e69f00"),
    ("tool_calls", "Tool calls", "#009e73"),
)


def _attr(text: str) -> str:
    return escape(text, quote=True)


def bar_height(value: int, top: int) -> int:
    return 0 if top <= 0 else int(round(value * BAR_MAX / top))


def panels_svg(title: str, desc: str, categories: list, rows: list, series=SERIES) -> str:
    """``rows[i]`` holds the figures of ``categories[i]`` (a dict with each series key)."""
    n = max(1, len(categories))
    height = HEADER + PANEL_HEIGHT * len(series) + 8
    group = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) // n
    bar_w = max(6, int(group * 0.6))
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
        'aria-labelledby="chart-title chart-desc" font-family="sans-serif">' % (WIDTH, height, WIDTH, height),
        '<title id="chart-title">%s</title>' % escape(title),
        '<desc id="chart-desc">%s</desc>' % escape(desc),
        '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (WIDTH, height),
        '<text x="%d" y="24" font-size="16" font-weight="bold" fill="#222222">%s</text>' % (MARGIN_LEFT, escape(title)),
    ]
    for p, (key, label, colour) in enumerate(series):
        values = [int(row.get(key) or 0) for row in rows]
        top = max(values) if values else 0
        y0 = HEADER + p * PANEL_HEIGHT
        base = y0 + PANEL_TOP + BAR_MAX + 16  # the axis line: bars stand on it
        out.append('<g aria-label="%s">' % _attr("%s: %s" % (label, ", ".join(
            "%s %d" % (c, v) for c, v in zip(categories, values)))))
        out.append('<text x="%d" y="%d" font-size="13" fill="#222222">%s (max %d)</text>'
                   % (MARGIN_LEFT, y0 + 18, escape(label), top))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888888" stroke-width="1"/>'
                   % (MARGIN_LEFT, base + 0.5, WIDTH - MARGIN_RIGHT, base + 0.5))
        for i, (cat, value) in enumerate(zip(categories, values)):
            x = MARGIN_LEFT + i * group + (group - bar_w) // 2
            h = bar_height(value, top)
            cx = x + bar_w // 2
            if h:
                out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>'
                           % (x, base - h, bar_w, h, colour, escape("%s %s: %d" % (cat, label.lower(), value))))
            out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#222222">%d</text>'
                       % (cx, base - h - 4, value))
            out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#444444">%s</text>'
                       % (cx, base + 16, escape(cat)))
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _describe(what: str, categories: list, rows: list) -> str:
    parts = []
    for key, label, _ in SERIES:
        values = ", ".join("%s %d" % (c, int(r.get(key) or 0)) for c, r in zip(categories, rows))
        parts.append("%s: %s." % (label, values))
    return "%s. %s" % (what, " ".join(parts))


def week_svg(week: str, scope: str, by_day: dict) -> str:
    days = list(by_day)
    rows = [by_day[d] for d in days]
    title = "%s: activity per day (%s)" % (week, scope)
    return panels_svg(title, _describe("Commits, sessions and tool calls per day of " + week, days, rows), days, rows)


def trend_svg(week: str, scope: str, weeks: list) -> str:
    """``weeks``: [(label like 2026-W47, {commits, sessions, tool_calls})], oldest first."""
    labels = [label[5:] if len(label) > 5 else label for label, _ in weeks]
    rows = [row for _, row in weeks]
    title = "%s: the last %d weeks (%s)" % (week, len(weeks), scope)
    desc = _describe("Commits, sessions and tool calls per week, %s to %s" % (weeks[0][0], weeks[-1][0]), labels, rows)
    return panels_svg(title, desc, labels, rows)
