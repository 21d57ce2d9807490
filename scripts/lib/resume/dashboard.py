"""The ``/resume`` dashboard: what to show, from the catalog (lib/catalog/store.py).

Questions and how each is answered (one catalog read transaction, no file of a log read here):

1. The operator's latest session: their newest log by ``sort_key`` (day and sequence number;
   legacy ``CONV-*.md`` logs by their frontmatter day and ``operator:``). A log the catalog
   could not read cleanly (its row has a ``warning``) is warned about and the next one is used;
   so is one that is not theirs by who added it, or dated in the future (lib/logs/authorship.py).
2. Workstreams: every ``workstreams/<slug>.md`` (its summary, ``facts``); the operator's own
   (owner == operator) first, then the others grouped by owner.
3. Peer activity: for each peer workstream (owner != operator), the newest log of anyone that
   lists it in ``workstreams:``: one walk of the logs newest first, stopped as soon as every
   peer workstream has its log.
4. Warnings: every file the dashboard needed and could not use, ``<path>: <reason>`` (the
   logs the walks passed, the workstreams), after the catalog's own.
5. Cost (issue 10): the last session's ``usage`` and the operator's week (their logs of the
   last 7 days, by day); sessions in this state dir that ended without a /handoff
   (lib/usage/unfinished.py), with date, tool calls and cost.
6. The latest weekly reflection (``docs/reflections/<YYYY-Www>[-<OP>].md``, issue 12): the newest
   week by file name, and its title from the body's ``# `` line (no YAML parse on this path).

Ages are whole hours from the log's ``ended_at`` (else its date, else its day) to now
(``$HANDOFF_NOW`` pins now for tests), never negative.
"""

from __future__ import annotations

import json
import os
import time

STATUS_ORDER = {"active": 0, "paused": 1, "done": 2}
COMPACT_MAX_LINES = 40
PROMPT_MAX_LINES = 20
REFLECTIONS_DIR = "docs/reflections"


def age_hours(ended_at, date, day, now: float) -> int | None:
    """Whole hours since the log ended (``ended_at``, else ``date``, else its day)."""
    from ..core import isotime

    for value in (ended_at, date, day):
        t = isotime.epoch_or_none(value)
        if t is not None:
            return max(0, int((now - t) // 3600))
    return None


class _Warnings:
    """The dashboard's warnings, each file named once."""

    def __init__(self, warnings: list):
        self.list = warnings
        self.seen: set = set()

    def add(self, path: str, reason: str) -> None:
        if path not in self.seen:
            self.seen.add(path)
            self.list.append("%s: %s" % (path, reason))


def workstreams(conn, root: str, warn: _Warnings) -> list:
    """[{slug, title, owner, status, updated, done, total, next}] sorted by slug; a workstream
    with a warning is left out, warned."""
    found = []
    # sorted here: ORDER BY path would lead SQLite to walk every row of the worktree by path
    rows = conn.execute("SELECT path, id, facts, warning FROM docs WHERE root = ? AND kind = 'workstream'", (root,))
    for path, slug, facts, warning in sorted(rows):
        if warning is not None or facts is None:
            warn.add(path, warning or "unusable")
            continue
        item = {"slug": slug}
        item.update(json.loads(facts))
        found.append(item)
    return found


def _ws_sort_key(w: dict):
    return (STATUS_ORDER.get(w["status"], 3), w["slug"])


def _public_ws(w: dict) -> dict:
    return {k: w[k] for k in ("slug", "title", "owner", "status", "done", "total", "next")}


def _last_session(conn, root: str, operator: str, now: float, warn: _Warnings, trust) -> dict | None:
    rows = conn.execute("SELECT path, id, title, day, date, ended_at, resume_prompt, summary, tokens, cost_usd,"
                        " warning FROM docs WHERE root = ? AND kind = 'log' AND operator = ? ORDER BY sort_key DESC",
                        (root, operator))
    for path, log_id, title, day, date, ended_at, prompt, summary, tokens, cost, warning in rows:
        why = warning if warning is not None else trust.problem(path.rsplit("/", 1)[1], ended_at)
        if why is not None:
            warn.add(path, why)
            continue
        return {"id": log_id, "title": title, "age_hours": age_hours(ended_at, date, day, now),
                "usage": None if tokens is None else {"cost": cost, "tokens": tokens},
                "resume_prompt": prompt, "summary": summary}
    return None


def _peer_activity(conn, root: str, peers: list, now: float, warn: _Warnings) -> list:
    """The newest log touching each peer workstream, in the order the walk finds them."""
    missing = {w["slug"] for w in peers}
    activity = []
    if not missing:
        return activity
    walk = conn.execute("SELECT docid, workstreams, warning FROM docs WHERE root = ? AND kind = 'log'"
                        " AND (workstreams != ',,' OR warning IS NOT NULL) ORDER BY sort_key DESC", (root,))
    for docid, slugs, warning in walk:  # from the docs_walk index alone: all the logs may be walked
        if warning is None and missing.isdisjoint(slugs.split(",")):  # ",a,b," -> "", "a", "b", ""
            continue
        path, log_id, op, title, day, date, ended_at = conn.execute(
            "SELECT path, id, operator, title, day, date, ended_at FROM docs WHERE docid = ?", (docid,)).fetchone()
        if warning is not None:
            warn.add(path, warning)
            continue
        for slug in [s for s in slugs.split(",") if s in missing]:
            missing.discard(slug)
            activity.append({"slug": slug, "operator": op, "id": log_id, "title": title,
                             "age_hours": age_hours(ended_at, date, day, now)})
        if not missing:
            break
    return activity


def _week(conn, root: str, operator: str, now: float, warn: _Warnings) -> dict:
    """The operator's logs of the last 7 days (today included): sessions, tokens, cost."""
    first_day = time.strftime("%Y%m%d", time.gmtime(now - 6 * 86400))
    week = {"sessions": 0, "with_usage": 0, "tokens": 0, "cost_usd": 0.0, "cost_unknown": 0}
    rows = conn.execute("SELECT path, tokens, cost_usd, warning FROM docs WHERE root = ? AND kind = 'log'"
                        " AND sort_key >= ? AND operator = ? ORDER BY sort_key DESC", (root, first_day, operator))
    for path, tokens, cost, warning in rows:
        if warning is not None:
            warn.add(path, warning)
            continue
        week["sessions"] += 1
        if tokens is None:
            continue
        week["with_usage"] += 1
        week["tokens"] += tokens
        if cost is None:
            week["cost_unknown"] += 1
        else:
            week["cost_usd"] += cost
    week["cost_usd"] = round(week["cost_usd"], 6)
    return week


def build(project, operator: str, now: float, compact: bool = False) -> dict:
    """The dashboard as the ``--json`` object."""
    from ..catalog import store
    from ..logs.authorship import Trust

    root = project.root
    trust = Trust(root, project.state_dir, operator, now)

    def read(conn) -> tuple:
        warn = _Warnings([])  # a fresh list per attempt: store.ask may ask again on a rebuilt catalog
        conn.execute("BEGIN")  # one snapshot for every query
        found = workstreams(conn, root, warn)
        last = _last_session(conn, root, operator, now, warn, trust)
        peers = sorted((w for w in found if w["owner"] != operator), key=lambda w: (w["owner"],) + _ws_sort_key(w))
        activity = [] if compact else _peer_activity(conn, root, peers, now, warn)
        week = _week(conn, root, operator, now, warn)
        conn.execute("COMMIT")
        return found, peers, last, activity, week, warn.list

    warnings: list = []
    found, peers, last, activity, week, problems = store.ask(project, warnings, read)
    warnings += problems
    own = sorted((w for w in found if w["owner"] == operator), key=_ws_sort_key)
    unfinished = []
    if not compact:
        from ..usage.unfinished import unfinished_sessions

        unfinished, problems = unfinished_sessions(project.state_dir, os.path.join(root, ".claude", "handoff.json"))
        warnings.extend(problems)
    return {
        "reflection": latest_reflection(root),
        "operator": operator,
        "last_session": last and {k: last[k] for k in ("id", "title", "age_hours")},
        "resume_prompt": last and last["resume_prompt"],
        "summary": last and last["summary"],
        "own_workstreams": [_public_ws(w) for w in own],
        "peer_workstreams": [_public_ws(w) for w in peers],
        "peer_activity": activity,
        "last_session_usage": last and last["usage"],
        "week": week,
        "unfinished_sessions": unfinished,
        "warnings": warnings,
    }


def latest_reflection(root: str) -> dict | None:
    """{"week", "title", "path"} of the newest reflection, or None. Team ones win a tie."""
    import re

    try:
        names = os.listdir(os.path.join(root, REFLECTIONS_DIR))
    except OSError:
        return None
    pattern = re.compile(r"([0-9]{4}-W[0-9]{2})(-[A-Z]{2,4})?\.md\Z")
    found = sorted(((m.group(1), m.group(2) is None, n) for n in names for m in [pattern.match(n)] if m), reverse=True)
    if not found:
        return None
    from ..core import statefiles
    from ..logs import frontmatter  # split only; it imports yaml, so not before a reflection is found

    for week, _, name in found:
        try:
            text = statefiles.read_regular(os.path.join(root, REFLECTIONS_DIR, name), 256 * 1024).decode("utf-8")
        except (OSError, ValueError):
            continue
        yaml_text, body = frontmatter.split(text)
        if yaml_text is None and text.split("\n", 1)[0].rstrip("\r") == "---":
            body = ""  # never closed: all of it is frontmatter
        title = next((line[2:].strip() for line in body.split("\n") if line.startswith("# ")), "")
        return {"week": week, "title": title, "path": REFLECTIONS_DIR + "/" + name}
    return None


# ---------------------------------------------------------------------------- rendering


def ago(hours: int | None) -> str:
    return "?h ago" if hours is None else "%dh ago" % hours


def _friendly_ago(hours: int | None) -> str:
    if hours is None:
        return "at an unknown time"
    if hours < 48:
        return "%dh ago" % hours
    return "%d days ago (%dh)" % (hours // 24, hours)


def _indent(text: str, prefix: str = "  ") -> list:
    return [(prefix + line).rstrip() for line in text.strip("\n").split("\n")]


def _progress(w: dict) -> str:
    return "%d/%d" % (w["done"], w["total"])


def _ws_line(w: dict, width: int) -> str:
    line = "  %s  %-6s  %5s" % (w["slug"].ljust(width), w["status"], _progress(w))
    if w["next"] and w["status"] != "done":
        line += "  next: " + w["next"]
    return line + "  (" + w["title"] + ")"


def peer_activity_line(a: dict) -> str:
    return 'Peer activity \u2014 %s: last seen %s ("%s", %s)' % (a["slug"], a["id"], a["title"], ago(a["age_hours"]))


def _usd(cost) -> str:
    return "cost unknown" if cost is None else "$%.2f" % cost


def cost_line(d: dict) -> str:
    """One line: the last session's cost and the operator's week."""
    last = d.get("last_session_usage")
    week = d["week"]
    head = "Cost: last session %s" % (_usd(last["cost"]) if last else "not recorded")
    if not week["sessions"]:
        return head + "; no session this week"
    total = "$%.2f" % week["cost_usd"]
    if week["cost_unknown"]:
        total += " + %d session%s of unknown cost" % (week["cost_unknown"], "s" if week["cost_unknown"] != 1 else "")
    missing = week["sessions"] - week["with_usage"]
    if missing:
        total += " (%d without usage data)" % missing
    return head + "; your week: %s over %d session%s" % (total, week["sessions"], "s" if week["sessions"] != 1 else "")


def unfinished_line(s: dict) -> str:
    calls = "?" if s["tool_calls"] is None else str(s["tool_calls"])
    if not s["usage_known"]:
        cost = "cost unknown (no transcript)"
    elif s["cost_usd"] is None:
        cost = "cost unknown (no price for %s)" % ", ".join(s["unpriced_models"])
    else:
        cost = "$%.2f" % s["cost_usd"]
    return "  %s  %s  %s tool calls  %s" % (s["ended_at"][:10], s["session_id"], calls, cost)


def render_text(d: dict) -> str:
    out = ["/resume \u2014 %s" % d["operator"], ""]
    last = d["last_session"]
    if last is None:
        out.append("No session log for %s yet: this will be your first /handoff." % d["operator"])
        out.append(cost_line(d))
    else:
        out.append('Last session: %s "%s" (%s)' % (last["id"], last["title"], _friendly_ago(last["age_hours"])))
        out.append(cost_line(d))
        out.append("Resume prompt:")
        out += _indent(d["resume_prompt"]) if d["resume_prompt"] else ["  (none)"]
        out.append("Summary:")
        out += _indent(d["summary"]) if d["summary"] else ["  (none)"]
    out.append("")

    own = d["own_workstreams"]
    if own:
        out.append("Your workstreams (%d):" % len(own))
        width = max(len(w["slug"]) for w in own)
        out += [_ws_line(w, width) for w in own]
    else:
        out.append("Your workstreams: none (owner: %s in workstreams/<slug>.md)" % d["operator"])
    peers = d["peer_workstreams"]
    if peers:
        out.append("")
        out.append("Other workstreams (%d):" % len(peers))
        by_owner: dict = {}
        for w in peers:
            by_owner.setdefault(w["owner"], []).append(w)
        for owner in sorted(by_owner):
            group = by_owner[owner]
            live = [w for w in group if w["status"] != "done"]
            done = [w for w in group if w["status"] == "done"]
            out.append("  %s:" % owner)
            if live:
                width = max(len(w["slug"]) for w in live)
                out += ["  " + _ws_line(w, width) for w in live]
            if done:
                out.append("    done: " + ", ".join(w["slug"] for w in done))

    if d.get("unfinished_sessions"):
        out.append("")
        out.append("Ended without a /handoff (/handoff with write-session --session-id <id> logs one):")
        out += [unfinished_line(s) for s in d["unfinished_sessions"]]
    if d["peer_activity"]:
        out.append("")
        out += [peer_activity_line(a) for a in d["peer_activity"]]
    if d.get("reflection"):
        r = d["reflection"]
        out.append("")
        out.append('Latest reflection: %s "%s" (%s)' % (r["week"], r["title"], r["path"]))
    memory = (d.get("memory") or {}).get("text")  # the team memory (lib/memory/briefing.py), composed by the command
    if memory:
        out += [""] + memory.split("\n")

    if d["warnings"]:
        out.append("")
        out.append("Warnings (%d):" % len(d["warnings"]))
        out += ["  " + w.replace("\n", " ") for w in d["warnings"]]
    return "\n".join(out) + "\n"


def render_compact(d: dict, max_lines: int = COMPACT_MAX_LINES) -> str:
    """At most ``max_lines`` lines: the latest resume prompt and the next phases."""
    out = []
    last = d["last_session"]
    if last is None:
        out.append("handoff /resume (%s): no session log yet; this will be your first /handoff." % d["operator"])
    else:
        out.append(
            'handoff /resume (%s): last session %s "%s" (%s).'
            % (d["operator"], last["id"], last["title"], _friendly_ago(last["age_hours"]))
        )
        if d["resume_prompt"]:
            prompt = d["resume_prompt"].strip("\n").split("\n")
            out.append("Resume prompt:")
            if len(prompt) > PROMPT_MAX_LINES:
                more = len(prompt) - PROMPT_MAX_LINES + 1
                prompt = prompt[: PROMPT_MAX_LINES - 1] + ["[... %d more lines: run /resume]" % more]
            out += ["  " + line.rstrip() for line in prompt]
    nexts = [w for w in d["own_workstreams"] if w["status"] != "done"]
    tail = []
    if d["warnings"]:
        tail.append("(%d file(s) could not be read: run /resume for details)" % len(d["warnings"]))
    tail.append("Run /resume for the full dashboard and peer activity.")
    if nexts:
        room = max_lines - len(out) - len(tail) - 1
        out.append("Next phases:")
        shown = nexts if len(nexts) <= room else nexts[: max(room - 1, 0)]
        for w in shown:
            step = w["next"] or "(no open phase)"
            out.append("  %s (%s, %s): %s" % (w["slug"], w["status"], _progress(w), step))
        if len(shown) < len(nexts):
            out.append("  [... %d more workstreams]" % (len(nexts) - len(shown)))
    out += tail
    memory = (d.get("memory") or {}).get("text")  # after the dashboard's lines, within its own budget
    return "\n".join(out[:max_lines] + ([""] + memory.split("\n") if memory else [])) + "\n"
