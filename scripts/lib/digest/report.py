"""The digest: figures of a window and the one before, side by side with the change, then the
window's decisions, learnings and open questions quoted with their log ids.

`build` gathers (lib/digest/gather.py) and `figures` sums; both windows are computed the same
way from the same reading, so the change column is exact. Git figures (commits, files, lines,
phases completed) are the repository's HEAD history in the window, whatever the ``--operator``:
git records authors, not initials. Session figures follow the scope (one operator or the team).

Absent is not zero: tokens and cost are ``null`` when no log of the window records ``usage``
(older logs, issue 10); PRs and issues are ``null`` with the reason in ``github`` when ``gh`` is
not installed or not authenticated, and the text says "not available".
"""

from __future__ import annotations

from ..catalog.records import USAGE_INTS
from . import gather, weeks
from .weeks import DAY_NAMES

TOP_TOOLS = 5
NUMERIC_ROWS = (
    # (json key, label)
    ("sessions", "Sessions"),
    ("operators", "Operators"),
    ("commits", "Commits"),
    ("files_changed", "Files changed"),
    ("insertions", "Insertions"),
    ("deletions", "Deletions"),
    ("tool_calls", "Tool calls"),
    ("subagents", "Subagents"),
    ("failures", "Failures"),
    ("interruptions", "Interruptions"),
    ("tokens", "Tokens"),
    ("cost_usd", "Cost (USD)"),
    ("breaches", "Invariant breaches"),
    ("phases_completed", "Phases completed"),
    ("prs_opened", "PRs opened"),
    ("prs_merged", "PRs merged"),
    ("issues_opened", "Issues opened"),
    ("issues_closed", "Issues closed"),
)
GITHUB_ROWS = ("prs_opened", "prs_merged", "issues_opened", "issues_closed")


def scalar(fig: dict, key: str):
    """The number a row compares (lists and maps by their size or total)."""
    value = fig.get(key)
    if key == "tokens":
        return None if value is None else sum(v for k, v in value.items() if k != "requests")
    if isinstance(value, list):
        return len(value)
    return value


def figures(records: list, commits: list, phases: list, github, window) -> dict:
    """The figures of one window from its records (``(log id, record)``), commits and phases."""
    by_day = {d: {"sessions": 0, "commits": 0, "tool_calls": 0} for d in DAY_NAMES}
    tools: dict = {}
    servers: dict = {}
    usage: dict | None = None
    cost, unpriced = None, 0
    totals = {"tool_calls": 0, "subagents": 0, "failures": 0, "interruptions": 0}
    breaches = []
    for log_id, r in records:
        day = by_day[window.weekday(r["at"])]
        day["sessions"] += 1
        calls = r["tool_calls_total"]
        if calls is None and r["tools"]:
            calls = sum(r["tools"].values())
        day["tool_calls"] += calls or 0
        totals["tool_calls"] += calls or 0
        for key, field in (("subagents", "subagents"), ("failures", "failures"), ("interruptions", "interruptions")):
            totals[key] += r[field] or 0
        for tool, n in r["tools"].items():
            tools[tool] = tools.get(tool, 0) + n
        for server, n in r["mcp"].items():
            servers[server] = servers.get(server, 0) + n
        if r["usage"] is not None:
            usage = usage or {k: 0 for k in USAGE_INTS}
            for k, v in r["usage"].items():
                usage[k] += v
            if r["cost"] is None:
                unpriced += 1
            else:
                cost = (cost or 0.0) + r["cost"]
        breaches += [{"id": log_id, "invariant": inv, "count": n} for inv, n in r["breaches"]]
    files: set = set()
    ins = dels = 0
    for t, paths, i, d in commits:
        by_day[window.weekday(t)]["commits"] += 1
        files |= paths
        ins += i
        dels += d
    fig = {
        "window": window.to_json(),
        "sessions": len(records),
        "operators": sorted({r["op"] for _, r in records if r["op"]}),
        "commits": len(commits),
        "files_changed": len(files),
        "insertions": ins,
        "deletions": dels,
        **totals,
        "top_tools": [[k, v] for k, v in sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TOOLS]],
        "mcp_servers": dict(sorted(servers.items(), key=lambda kv: (-kv[1], kv[0]))),
        "tokens": usage,
        "cost_usd": round(cost, 6) if cost is not None else None,
        "sessions_without_cost": unpriced,
        "breaches": breaches,
        "phases_completed": [{"workstream": ws, "phase": text, "commit": sha} for _, ws, text, sha in phases],
        "by_day": by_day,
    }
    counts = gather.github_counts(github, window) if github is not None else dict.fromkeys(GITHUB_ROWS)
    fig.update(counts)
    return fig


def change(cur: dict, prev: dict) -> dict:
    out = {}
    for key, _ in NUMERIC_ROWS:
        a, b = scalar(cur, key), scalar(prev, key)
        out[key] = None if a is None or b is None else round(a - b, 6)
    return out


def quotes(records: list) -> dict:
    """The week's items, each with its log's id and its own (``item``: ``<id>#D2``, lib/logs/items.py)."""
    from ..logs import items as item_ids

    out = {key: [] for key, _ in gather.QUOTED}
    for log_id, r in sorted(records, key=lambda ir: (ir[1]["at"], ir[0])):
        for key, column in gather.QUOTED:
            letter = item_ids.LETTER_OF_COLUMN[column]
            out[key] += [{"id": log_id, "item": item_ids.ref(log_id, letter, n), "operator": r["op"], "text": text}
                         for n, text in item_ids.numbered(r[key], letter)]
    return out


def collect(project, windows: list, operator: str | None, github: bool = True) -> dict:
    """Read logs and git once for ``windows``: {"records": {label: [(log id, record)]},
    "git": GitHistory, "github": items or None, "github_note": why not, "warnings": [...]}."""
    warnings: list = []
    records = {w.label: [] for w in windows}
    for log_id, r in gather.session_logs(project, weeks.candidate_days(windows), warnings):
        if r["at"] is None or (operator is not None and r["op"] != operator):
            continue
        for w in windows:
            if w.contains(r["at"]):
                records[w.label].append((log_id, r))
                break
    start, end = min(w.start for w in windows), max(w.end for w in windows)
    history = gather.GitHistory(project.root, start, end)
    items, note = gather.github_items(project.root) if github else (None, "not asked (--no-github)")
    return {"records": records, "git": history, "github": items, "github_note": note, "warnings": warnings}


def window_figures(material: dict, window) -> dict:
    history = material["git"]
    phases = [p for p in history.phases if window.contains(p[0])]
    return figures(material["records"][window.label], history.in_window(window), phases, material["github"], window)


def build(project, current, previous, operator: str | None, github: bool = True) -> dict:
    return assemble(collect(project, [previous, current], operator, github), current, previous, operator)


def assemble(material: dict, current, previous, operator: str | None) -> dict:
    """The digest of ``current`` against ``previous`` from material `collect` read for both (and more)."""
    cur = window_figures(material, current)
    prev = window_figures(material, previous)
    notes = []
    if not material["git"].has_commits:
        notes.append("This repository has no commits yet: the git figures are 0.")
    if cur["sessions"] == 0:
        notes.append(f"No session logs in {current.label}: the figures come from git only.")
    return {
        "week": current.label,
        "previous_week": previous.label,
        "scope": operator or "team",
        "tz": weeks.tz_name(current.tz),
        "current": cur,
        "previous": prev,
        "change": change(cur, prev),
        "github": "available" if material["github"] is not None else "not available: " + material["github_note"],
        **quotes(material["records"][current.label]),
        "notes": notes,
        "warnings": material["warnings"],
    }


# ---------------------------------------------------------------------------- text


def _fmt(value, key: str) -> str:
    if value is None:
        return "-"
    if key == "cost_usd":
        return "%.2f" % value
    if isinstance(value, float):
        return ("%+.2f" % value) if value else "0"
    return str(value)


def _delta(value, key: str) -> str:
    if value is None:
        return "-"
    if key == "cost_usd":
        return "%+.2f" % value
    return "%+d" % value if value else "0"


def one_line(text: str) -> str:
    """A quoted item on one line (section_items keeps an item's continuation lines)."""
    return " ".join(text.split())


def render_text(d: dict) -> str:
    cur, prev = d["current"], d["previous"]
    cw = cur["window"]
    out = [
        "Digest %s (%s..%s, %s) \u2014 %s" % (d["week"], cw["first_day"], cw["last_day"], d["tz"], d["scope"]),
        "",
    ]
    out += ["  " + n for n in d["notes"]]
    if d["notes"]:
        out.append("")
    w1, w2 = max(len(d["week"]), 10), max(len(d["previous_week"]), 10)
    out.append("%-20s %*s %*s  %s" % ("", w1, d["week"], w2, d["previous_week"], "change"))
    for key, label in NUMERIC_ROWS:
        if key in GITHUB_ROWS and cur[key] is None:
            out.append("%-20s %s" % (label, d["github"]))
            continue
        a, b = scalar(cur, key), scalar(prev, key)
        if key in ("tokens", "cost_usd") and a is None and b is None:
            out.append("%-20s %s" % (label, "not recorded (no session log has usage)"))
            continue
        line = "%-20s %*s %*s  %s" % (label, w1, _fmt(a, key), w2, _fmt(b, key), _delta(d["change"][key], key))
        if key == "operators" and cur["operators"]:
            line += "  (%s)" % ", ".join(cur["operators"])
        if key == "cost_usd" and cur.get("sessions_without_cost"):
            line += "  (%d session(s) without a cost)" % cur["sessions_without_cost"]
        out.append(line)
    out.append("")
    out.append("Activity per day (%s, %s):" % (d["week"], d["tz"]))
    out.append("%-12s" % "" + "".join("%6s" % day for day in DAY_NAMES))
    for key, label in (("sessions", "sessions"), ("commits", "commits"), ("tool_calls", "tool calls")):
        out.append("%-12s" % label + "".join("%6d" % cur["by_day"][day][key] for day in DAY_NAMES))
    out.append("")
    if cur["top_tools"]:
        out.append("Top tools: " + ", ".join("%s %d" % (k, v) for k, v in cur["top_tools"]))
    if cur["mcp_servers"]:
        out.append("MCP servers: " + ", ".join("%s %d" % kv for kv in cur["mcp_servers"].items()))
    for b in cur["breaches"]:
        out.append("Invariant breach: %s %s = %d" % (b["id"], b["invariant"], b["count"]))
    for p in cur["phases_completed"]:
        out.append("Phase completed: %s: %s (%s)" % (p["workstream"], p["phase"], p["commit"]))
    for key, label in (("decisions", "Decisions"), ("learnings", "Learnings"), ("open_questions", "Open questions")):
        items = d[key]
        out.append("")
        out.append("%s (%d):" % (label, len(items)))
        out += ["  - [%s] %s" % (q["id"], one_line(q["text"])) for q in items] or ["  (none)"]
    if d["warnings"]:
        out.append("")
        out.append("Warnings (%d):" % len(d["warnings"]))
        out += ["  " + w.replace("\n", " ") for w in d["warnings"]]
    return "\n".join(out) + "\n"
