"""One session's page: the log rendered, its git stats, telemetry and usage, the previous and
next session of the same operator, and its workstreams. Frontmatter values are untrusted and
of any type (a hand edit): only what has the expected shape is shown, everything escaped."""

from __future__ import annotations

from . import markdown
from .pages import e, facts, layout, money, number, short, table

MAX_SHAS = 200  # commit hashes listed on a page
MAX_ROWS = 50  # tools, MCP servers, invariants: a hand-edited log may hold any number


def _count(value):
    return value if type(value) is int and value >= 0 else None


def _text(value, limit: int = 200):
    return short(value, limit) if isinstance(value, str) and value.strip() else None


def _counts_table(value, what: str) -> str:
    if not isinstance(value, dict):
        return ""
    rows = sorted(((str(k), v) for k, v in value.items() if _count(v) is not None), key=lambda kv: (-kv[1], kv[0]))
    if not rows:
        return ""
    return table((what, "Calls"), [(short(k, 120), number(v)) for k, v in rows[:MAX_ROWS]], numeric=(1,))


def _num(meta: dict, key: str):
    n = _count(meta.get(key))
    return None if n is None else number(n)


def _code(meta: dict, key: str):
    text = _text(meta.get(key), 64)
    return None if text is None else "<code>%s</code>" % e(text)


def git_section(meta: dict) -> str:
    shas = meta.get("commit_shas")
    shas = [s for s in shas if isinstance(s, str)][:MAX_SHAS] if isinstance(shas, list) else []
    ins, dels = _count(meta.get("insertions")), _count(meta.get("deletions"))
    pairs = [
        ("Branch", e(_text(meta.get("branch"))) if _text(meta.get("branch")) else None),
        ("Commits", _num(meta, "commits")),
        ("Files changed", _num(meta, "files_changed")),
        ("Lines", None if ins is None and dels is None else "+%s / -%s" % (number(ins or 0), number(dels or 0))),
        ("Start commit", _code(meta, "start_commit")),
        ("Head commit", _code(meta, "head_commit")),
        ("Commits by", e(_text(meta.get("commits_by"))) if _text(meta.get("commits_by")) else None),
        ("Commit hashes", " ".join("<code>%s</code>" % e(short(s, 64)) for s in shas) or None),
    ]
    return "<h2>Git</h2>" + facts(pairs)


def telemetry_section(meta: dict) -> str:
    sub = meta.get("subagents")
    inv = meta.get("invariants")
    breaches = []
    if isinstance(inv, dict):
        for name, v in sorted(inv.items(), key=lambda kv: str(kv[0]))[:MAX_ROWS]:
            n = _count(v.get("count")) if isinstance(v, dict) else None
            if n is not None:
                breaches.append("%s: %s" % (e(short(name, 80)), number(n)))
    scalar = [
        ("Tool calls", meta.get("tool_calls_total")), ("Failures", meta.get("failures")),
        ("Interruptions", meta.get("interruptions_count")),
        ("Subagents", sub.get("total") if isinstance(sub, dict) else None),
        ("Parallel sessions", meta.get("parallel_sessions")),
        ("Active minutes (estimate)", meta.get("active_min_estimate")),
    ]
    pairs = [(k, number(_count(v))) for k, v in scalar if _count(v) is not None]
    pairs += [("Started", e(_text(meta.get("started_at"), 40))), ("Ended", e(_text(meta.get("ended_at"), 40))),
              ("Invariants", ", ".join(breaches) or None), ("Confidence", e(_text(meta.get("confidence"), 20)))]
    mcp = meta.get("mcp")
    servers = {str(k): sum(c for c in v.values() if _count(c) is not None)
               for k, v in mcp.items() if isinstance(v, dict)} if isinstance(mcp, dict) else {}
    return ("<h2>Telemetry</h2>" + facts([(k, v) for k, v in pairs if v])
            + _counts_table(meta.get("tool_calls"), "Tool") + _counts_table(servers, "MCP server"))


def usage_section(meta: dict) -> str:
    usage = meta.get("usage")
    if not isinstance(usage, dict):
        return '<h2>Usage</h2><p class="muted">Not recorded.</p>'
    labels = (("input_tokens", "Input tokens"), ("output_tokens", "Output tokens"),
              ("cache_creation_tokens", "Cache write tokens"), ("cache_read_tokens", "Cache read tokens"),
              ("requests", "API requests"))
    pairs = [(label, number(_count(usage.get(k)))) for k, label in labels if _count(usage.get(k)) is not None]
    cost = usage.get("cost_usd")
    ok = isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0
    pairs.append(("Cost", money(float(cost)) if ok else "unknown"))
    pairs.append(("Cost from", e(_text(usage.get("cost_source"), 40))))
    return "<h2>Usage</h2>" + facts(pairs)


def render(s: dict, meta: dict | None, body: str | None, problem: str | None, prev_next: tuple,
           workstream_titles: dict, generated: str) -> str:
    """The page of session ``s`` (a row of lib/report/gather.sessions)."""
    root = "../"
    prev, nxt = prev_next
    around = []
    if prev:
        around.append('<a rel="prev" href="%s">\u2190 %s\'s previous: %s</a>' % (e(prev["page"]), e(s["operator"]),
                                                                                 e(prev["id"])))
    if nxt:
        around.append('<a rel="next" href="%s">%s\'s next: %s \u2192</a>' % (e(nxt["page"]), e(s["operator"]),
                                                                            e(nxt["id"])))
    ws = ", ".join('<a href="../by/workstream/%s.html">%s</a>%s' % (
        e(w), e(w), " (%s)" % e(short(workstream_titles[w], 80)) if w in workstream_titles else "")
        for w in s["workstreams"])
    head = facts([
        ("Session", "<code>%s</code>" % e(s["id"])),
        ("Operator", '<a href="../by/operator/%s.html">%s</a>' % (e(s["operator"]), e(s["operator"]))
         if s["operator"] else None),
        ("Day", e(s["day"])),
        ("Week", '<a href="../weeks/%s.html">%s</a>' % (e(s["week"]), e(s["week"])) if s["week"] else None),
        ("Workstreams", ws or None),
        ("File", "<code>%s</code>" % e(s["path"])),
    ])
    notes = []
    for text in (s["warning"], problem if problem != s["warning"] else None):
        if text:
            notes.append('<p class="note">%s</p>' % e(short(text, 2000)))
    parts = ["<h1>%s</h1>" % e(s["title"]), '<nav class="around">%s</nav>' % " \u00b7 ".join(around), head, *notes]
    if meta is not None:
        parts += [git_section(meta), telemetry_section(meta), usage_section(meta)]
    if body is not None:
        rendered, cut = markdown.render(body)
        if cut:
            parts.append('<p class="note">The log is over %s characters: only its start is shown.</p>'
                         % number(markdown.MAX_BODY_CHARS))
        parts.append('<article class="log">%s</article>' % rendered)
    return layout(s["id"] + ": " + s["title"], "".join(parts), root, generated)
