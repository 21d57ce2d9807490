"""A weekly reflection: ``docs/reflections/<YYYY-Www>[-<OP>].md`` and its two charts beside it.

The model writes only words (a draft: title and the narrative sections); every figure, the
frontmatter and the charts come from `digest` computed again at write time, so a reflection
never quotes a number the repository does not back. Written by `write_reflection`:

1. the draft is checked (`parse_draft`; unknown keys refused, as for session logs);
2. the digest of the week and the week before, and the last `TREND_WEEKS` weeks, are computed;
3. the frontmatter is checked against logs/schemas/reflection.schema.json (nothing is written
   when it fails) and the rendered file must read back as the same frontmatter;
4. each chart, then the reflection, is written atomically (temp file + rename): a crash leaves
   the previous version or the new one, never half a file. Running it again for the same week
   and scope replaces all three (``action: updated``).

Paths are fixed by the week and scope, so the commit is exactly `commit_paths`.
"""

from __future__ import annotations

import os

from ..core import isotime, statefiles
from ..core.errors import HelperError
from . import charts, report, weeks

REFLECTIONS_DIR = "docs/reflections"
TREND_WEEKS = 8
SECTIONS = ("What Shifted", "The Week's Shape", "What Was Learned", "What Is Next")
DRAFT_KEYS = frozenset(("week", "title", "sections", "operator", "tz"))
FIGURE_KEYS = (
    "sessions", "operators", "commits", "files_changed", "insertions", "deletions", "tool_calls", "subagents",
    "failures", "interruptions", "tokens", "cost_usd", "breaches", "phases_completed", "prs_opened", "prs_merged",
    "issues_opened", "issues_closed",
)


def stem(week: str, operator: str | None) -> str:
    return week if operator is None else f"{week}-{operator}"


def target(root: str, week: str, operator: str | None) -> dict:
    rel = f"{REFLECTIONS_DIR}/{stem(week, operator)}.md"
    return {"path": rel, "exists": os.path.isfile(os.path.join(root, rel))}


def draft_file() -> tuple:
    """(path of /reflect's draft, problem or None): in /handoff's draft dir (lib/logs/drafts.py)."""
    from ..logs import drafts

    session = os.environ.get("CLAUDE_CODE_SESSION_ID")
    name = "reflect-" + (statefiles.session_stem(session) if session else "session-unknown") + ".json"
    return os.path.join(drafts.draft_dir(), name), drafts.prepare_draft_dir()


def _text(where: str, value) -> str:
    from ..logs.session_log import _check_text

    return _check_text(where, value)


def parse_draft(data) -> dict:
    """{"week", "title", "sections": {name: markdown}, "operator", "tz"}; HelperError names the field."""
    if not isinstance(data, dict):
        raise HelperError("input: expected one JSON object")
    unknown = sorted(set(data) - DRAFT_KEYS)
    if unknown:
        raise HelperError(f"input: unknown field {unknown[0]!r} (fields: {', '.join(sorted(DRAFT_KEYS))})")
    for name in ("week", "title", "sections"):
        if name not in data:
            raise HelperError(f"input: {name}: missing")
    title = _text("title", data["title"]).strip()
    if not title or "\n" in title or "\r" in title or len(title) > 200:
        raise HelperError("input: title: one line of 1-200 characters")
    sections = data["sections"]
    if not isinstance(sections, dict):
        raise HelperError("input: sections: expected an object {section: text or [items]}")
    out = {}
    for name, value in sections.items():
        if name not in SECTIONS:
            raise HelperError(f"input: sections: unknown section {name!r} (sections: {', '.join(SECTIONS)})")
        if isinstance(value, list):
            items = [_text(f"sections.{name}[{i}]", v) for i, v in enumerate(value)]
            text = "\n".join("- " + item.replace("\n", "\n  ") for item in items)
        else:
            text = _text(f"sections.{name}", value)
        if _has_h2(text):
            raise HelperError(f"input: sections.{name}: contains a '## ' heading (use ### inside a section)")
        out[name] = text.strip("\n")
    operator = data.get("operator")
    if operator == "team":
        operator = None
    if operator is not None and not isinstance(operator, str):
        raise HelperError("input: operator: initials (e.g. RT), 'team' or absent")
    tz = data.get("tz")
    if tz is not None and not isinstance(tz, str):
        raise HelperError("input: tz: a time zone name (e.g. Europe/Paris)")
    return {"week": _text("week", data["week"]), "title": title, "sections": out, "operator": operator, "tz": tz}


def _has_h2(text: str) -> bool:
    from ..logs.session_log import _h2_lines

    return any(True for _ in _h2_lines(text))


def frontmatter_figures(fig: dict, label: str) -> dict:
    out = {"week": label}
    for key in FIGURE_KEYS:
        out[key] = report.scalar(fig, key)
    return out


def _figures_table(d: dict) -> list:
    cur, prev = d["current"], d["previous"]
    rows = ["| | %s | %s | change |" % (d["week"], d["previous_week"]), "|---|---:|---:|---:|"]
    for key, label in report.NUMERIC_ROWS:
        a, b = report.scalar(cur, key), report.scalar(prev, key)
        if key in report.GITHUB_ROWS and a is None:
            rows.append("| %s | not available | not available | |" % label)
            continue
        if a is None and b is None:
            rows.append("| %s | not recorded | not recorded | |" % label)
            continue
        rows.append("| %s | %s | %s | %s |" % (
            label, report._fmt(a, key), report._fmt(b, key), report._delta(d["change"][key], key)))
    return rows


def render(meta: dict, digest: dict, sections: dict, chart_names: dict) -> str:
    from ..logs import frontmatter

    scope = meta["scope"]
    lines = [
        "# " + meta["title"],
        "",
        "%s, %s to %s (%s), %s. Figures from `scripts/handoff digest --week %s%s`." % (
            meta["week"], meta["first_day"], meta["last_day"], meta["tz"],
            "the team" if scope == "team" else scope, meta["week"],
            "" if scope == "team" else " --operator " + scope,
        ),
        "",
        "## The Week in Numbers",
        "",
        *_figures_table(digest),
        "",
        "![Activity per day of %s: commits, sessions, tool calls](%s)" % (meta["week"], chart_names["week"]),
        "",
        "![The last %d weeks: commits, sessions, tool calls](%s)" % (TREND_WEEKS, chart_names["trend"]),
        "",
    ]
    for name in SECTIONS:
        lines += ["## " + name, "", sections.get(name) or "_None._", ""]
    for key, label in (("decisions", "Decisions"), ("learnings", "Learnings"), ("open_questions", "Open Questions")):
        items = digest[key]
        if items:
            lines += ["## %s From the Logs" % label, ""]
            lines += ["- %s (%s)" % (report.one_line(q["text"]), q["id"]) for q in items]
            lines.append("")
    return frontmatter.dumps(meta, "\n".join(lines))


def trend_rows(current, material: dict) -> list:
    """[(week label, {commits, sessions, tool_calls})] for the `TREND_WEEKS` weeks up to ``current``."""
    rows = []
    for w in weeks.weeks_before(current, TREND_WEEKS):
        fig = report.window_figures(material, w)
        rows.append((w.label, {k: fig[k] for k in ("commits", "sessions", "tool_calls")}))
    return rows


def write_reflection(project, draft: dict, github: bool = True) -> dict:
    from ..logs import frontmatter
    from ..logs.validation import schema_problems, validator_for

    tz = weeks.parse_tz(draft["tz"])
    now = isotime.now()
    year, week = weeks.parse_week(draft["week"])
    current = weeks.week_window(year, week, tz)
    if current.start > now:
        raise HelperError(f"week {current.label}: is in the future")
    previous = weeks.previous_week(current)
    operator = draft["operator"]
    if operator is not None:
        from ..logs.log_ids import is_operator

        if not is_operator(operator):
            raise HelperError(f"input: operator: {operator[:60]!r} is not 2-4 capital letters")
    windows = weeks.weeks_before(current, TREND_WEEKS)  # the last one is `current`, the one before `previous`
    material = report.collect(project, windows, operator, github)
    digest = report.assemble(material, current, previous, operator)
    trend = trend_rows(current, material)
    base = stem(current.label, operator)
    chart_names = {"week": base + "-week.svg", "trend": base + "-trend.svg"}
    scope = operator or "team"
    meta = {
        "schema_version": 1,
        "type": "reflection",
        "week": current.label,
        "scope": scope,
        "title": draft["title"],
        "tz": weeks.tz_name(tz),
        "first_day": current.first_day.isoformat(),
        "last_day": current.last_day.isoformat(),
        "figures": frontmatter_figures(digest["current"], current.label),
        "previous": frontmatter_figures(digest["previous"], previous.label),
        "charts": [chart_names["week"], chart_names["trend"]],
        "generated_at": isotime.iso_z(now),
    }
    validator = validator_for("reflection.schema.json")
    if validator is None:
        raise HelperError("reflection.schema.json: missing")
    problems = schema_problems(validator, meta)
    if problems:
        shown = "; ".join(f"{f}: {m}" for f, m in problems[:5])
        raise HelperError(f"{base}.md: frontmatter fails the schema, nothing written: {shown}")
    text = render(meta, digest, draft["sections"], chart_names)
    if frontmatter.parse(text, base).meta != meta:
        raise HelperError(f"{base}.md: the frontmatter would not read back as written; nothing written")
    directory = os.path.join(project.root, REFLECTIONS_DIR)
    path = os.path.join(directory, base + ".md")
    action = "updated" if os.path.isfile(path) else "created"
    files = {
        chart_names["week"]: charts.week_svg(current.label, scope, digest["current"]["by_day"]),
        chart_names["trend"]: charts.trend_svg(current.label, scope, trend),
        base + ".md": text,
    }
    try:
        os.makedirs(directory, exist_ok=True)
        for name, content in files.items():  # the charts first: the reflection never links a missing one
            statefiles.write_atomic(os.path.join(directory, name), content.encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise HelperError(f"{REFLECTIONS_DIR}: cannot write ({exc.strerror or exc})") from None
    paths = [f"{REFLECTIONS_DIR}/{name}" for name in files]
    return {
        "week": current.label,
        "scope": scope,
        "path": f"{REFLECTIONS_DIR}/{base}.md",
        "charts": paths[:2],
        "commit_paths": [paths[2], *paths[:2]],
        "action": action,
        "warnings": digest["warnings"],
    }
