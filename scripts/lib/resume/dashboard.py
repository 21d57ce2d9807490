"""The ``/resume`` dashboard: what to show, computed from the repo with as little reading as it takes.

Questions and how each is answered (see lib/resume/sessionlogs.py for the reading and the cache):

1. The operator's latest session: the newest of their logs by (day, sequence number). Named logs
   carry the operator in the file name, so only the winner is parsed; legacy ``CONV-*.md`` logs
   count when their frontmatter says ``operator:`` is this operator. An unreadable candidate is
   warned about and the next newest is used; so is one that is not theirs by who added it, or
   dated in the future (lib/logs/authorship.py).
2. Workstreams: every ``workstreams/<slug>.md`` (a few hundred at most) is read; the operator's
   own (owner == operator) first, then the others grouped by owner.
3. Peer activity: for each peer workstream (owner != operator), the newest log of anyone that
   lists it in ``workstreams:``. Logs are walked newest first and the walk stops as soon as every
   peer workstream has its log; for the logs on the way only the ``workstreams:`` list is read
   (lib/resume/fmscan.py), and only a log that answers something is parsed in full.
4. Warnings: every file the dashboard needed and could not read, ``<path>: <reason>``.
5. Cost (issue 10): the last session's ``usage.cost_usd`` and the operator's week (their logs of
   the last 7 days, by the day in the log id); sessions in this state dir that ended without a
   /handoff (lib/usage/unfinished.py), with date, tool calls and cost.
6. The latest weekly reflection (``docs/reflections/<YYYY-Www>[-<OP>].md``, issue 12): the newest
   week by file name, and its title from the body's ``# `` line (no YAML parse on this path).

Ages are whole hours from the log's ``ended_at`` (else its date) to now (``$HANDOFF_NOW`` pins
now for tests), never negative.
"""

from __future__ import annotations

import os

from . import sessionlogs
from .cache import ResumeCache

STATUS_ORDER = {"active": 0, "paused": 1, "done": 2}
COMPACT_MAX_LINES = 40
PROMPT_MAX_LINES = 20


def _epoch(value) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    from ..core import isotime
    from ..core.errors import HelperError

    try:
        return isotime.parse_iso(value, "time")
    except HelperError:
        return None


def age_hours(record: dict | None, day: str | None, now: float) -> int | None:
    """Whole hours since the log ended (``ended_at``, else ``date``, else the id's day)."""
    for value in (record.get("ended") if record else None, record.get("date") if record else None, day):
        t = _epoch(value)
        if t is not None:
            return max(0, int((now - t) // 3600))
    return None


def load_workstreams(root: str, cache: ResumeCache, warnings: list) -> list:
    """[{slug, title, owner, status, updated, done, total, next}] sorted by slug."""
    from . import workstreams as ws_mod

    directory = os.path.join(root, ws_mod.WORKSTREAMS_DIR)
    found = []
    keep = set()
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        entries = []
    for entry in entries:
        slug = ws_mod.slug_of(entry.name)
        if slug is None:
            continue
        rel = ws_mod.WORKSTREAMS_DIR + "/" + entry.name
        if not ws_mod.is_slug(slug):
            warnings.append(
                "%s: %r is not a workstream slug (lowercase letters and digits in hyphen-separated words)"
                % (rel, slug)
            )
            continue
        keep.add(entry.name)
        try:
            st = entry.stat()
        except OSError as exc:
            warnings.append("%s: %s" % (rel, exc.strerror or exc))
            continue
        data = cache.workstream_entry(entry.name, st.st_size, st.st_mtime_ns)
        if data is None or not _valid_ws(data):
            try:
                data = ws_mod.load(entry.path)
            except ws_mod.WorkstreamError as exc:
                data = {"err": str(exc)}
            cache.put_workstream(entry.name, st.st_size, st.st_mtime_ns, data)
        if "err" in data:
            warnings.append("%s: %s" % (rel, data["err"]))
            continue
        item = {"slug": slug}
        item.update(data)
        found.append(item)
    cache.prune_workstreams(keep)
    return found


def _valid_ws(data: dict) -> bool:
    if "err" in data:
        return type(data["err"]) is str
    return (
        type(data.get("title")) is str
        and type(data.get("owner")) is str
        and data.get("status") in STATUS_ORDER
        and (data.get("updated") is None or type(data.get("updated")) is str)
        and type(data.get("done")) is int
        and type(data.get("total")) is int
        and (data.get("next") is None or type(data.get("next")) is str)
    )


def _ws_sort_key(w: dict):
    return (STATUS_ORDER.get(w["status"], 3), w["slug"])


def _public_ws(w: dict) -> dict:
    return {k: w[k] for k in ("slug", "title", "owner", "status", "done", "total", "next")}


def _week(reader, names: list, operator: str, now: float) -> dict:
    """The operator's logs of the last 7 days (today included): sessions, tokens, cost."""
    import time

    first_day = time.strftime("%y%m%d", time.gmtime(now - 6 * 86400))
    prefix = operator + "-"
    week = {"sessions": 0, "with_usage": 0, "tokens": 0, "cost_usd": 0.0, "cost_unknown": 0}
    for i, name in enumerate(names):
        if not name.startswith(prefix):
            continue
        day = name[len(prefix) : len(prefix) + 6]
        if not day.isdigit() or day < first_day:
            continue  # names are newest first, but legacy logs interleave: keep looking
        record = reader.full_at(i)
        if record is None:
            continue
        week["sessions"] += 1
        usage = record.get("u")
        if usage is None:
            continue
        week["with_usage"] += 1
        week["tokens"] += usage["tokens"]
        if usage["cost"] is None:
            week["cost_unknown"] += 1
        else:
            week["cost_usd"] += usage["cost"]
    week["cost_usd"] = round(week["cost_usd"], 6)
    return week


def build(root: str, operator: str, now: float, cache: ResumeCache, compact: bool = False, state_dir=None) -> dict:
    """The dashboard as the ``--json`` object (plus ``stats``, dropped before printing)."""
    warnings: list = []
    if cache.discarded:
        warnings.append("%s: discarded (%s); rebuilt" % (cache.path, cache.discarded))
    workstreams = load_workstreams(root, cache, warnings)
    own = sorted((w for w in workstreams if w["owner"] == operator), key=_ws_sort_key)
    peers = sorted(
        (w for w in workstreams if w["owner"] != operator), key=lambda w: (w["owner"],) + _ws_sort_key(w)
    )

    reader = sessionlogs.LogReader(root, cache, warnings)
    names = reader.names

    # 1. the operator's latest session (an unreadable one is warned about and skipped, and so is
    # one that is not theirs by who added it, or dated in the future: lib/logs/authorship.py)
    from ..logs.authorship import Trust

    trust = Trust(root, state_dir, operator, now)
    last = None
    prefix = operator + "-"
    for i, name in enumerate(names):
        if (name.startswith(prefix) or name in reader.legacy) and reader.is_by(name, operator):
            record = reader.full_at(i, text=True)
            why = trust.problem(name, record["ended"]) if record is not None else None
            if why is not None:
                reader.warn(name, why)
            elif record is not None:
                last = (name, record)
                break

    # 3. peer activity: the newest log touching each peer workstream
    activity = []
    if not compact:
        missing = {w["slug"] for w in peers}
        for i, name in enumerate(names):
            if not missing:
                break
            ws = reader.ws_at(i)
            if not ws or missing.isdisjoint(ws.split(",")):
                continue
            record = reader.full_at(i)
            if record is None:
                continue
            for slug in record["ws"]:
                if slug in missing:
                    missing.discard(slug)
                    activity.append(
                        {
                            "slug": slug,
                            "operator": reader.operator_of(name),
                            "id": name[:-3],
                            "title": record["title"],
                            "age_hours": age_hours(record, reader.day_of(name), now),
                        }
                    )

    week = _week(reader, names, operator, now)
    unfinished = []
    if state_dir and not compact:
        from ..usage.unfinished import unfinished_sessions

        unfinished, problems = unfinished_sessions(state_dir, os.path.join(root, ".claude", "handoff.json"))
        warnings.extend(problems)

    problem = cache.save()
    if problem:
        warnings.append(problem)

    result = {
        "reflection": latest_reflection(root),
        "operator": operator,
        "last_session": None,
        "resume_prompt": None,
        "summary": None,
        "own_workstreams": [_public_ws(w) for w in own],
        "peer_workstreams": [_public_ws(w) for w in peers],
        "peer_activity": activity,
        "last_session_usage": None,
        "week": week,
        "unfinished_sessions": unfinished,
        "warnings": warnings,
        "stats": {
            "logs": len(names),
            "workstreams": len(workstreams),
            "parsed": reader.parsed,
            "scanned": reader.scanned,
            "cache_hits": cache.hits,
            "cache_misses": cache.misses,
        },
    }
    if last is not None:
        name, record = last
        result["last_session"] = {
            "id": name[:-3],
            "title": record["title"],
            "age_hours": age_hours(record, reader.day_of(name), now),
        }
        result["last_session_usage"] = record.get("u")
        result["resume_prompt"] = record.get("rp")
        result["summary"] = record.get("sum")
    return result


REFLECTIONS_DIR = "docs/reflections"


def latest_reflection(root: str) -> dict | None:
    """{"week", "title", "path"} of the newest reflection, or None. Team ones win a tie."""
    import re

    from ..core import statefiles

    try:
        names = os.listdir(os.path.join(root, REFLECTIONS_DIR))
    except OSError:
        return None
    pattern = re.compile(r"([0-9]{4}-W[0-9]{2})(-[A-Z]{2,4})?\.md\Z")
    found = sorted(((m.group(1), m.group(2) is None, n) for n in names for m in [pattern.match(n)] if m), reverse=True)
    for week, _, name in found:
        try:
            text = statefiles.read_regular(os.path.join(root, REFLECTIONS_DIR, name), 256 * 1024).decode("utf-8")
        except (OSError, ValueError):
            continue
        lines = text.split("\n")
        if lines and lines[0].rstrip("\r") == "---":
            ends = [i for i, line in enumerate(lines[1:], 1) if line.rstrip("\r") == "---"]
            lines = lines[ends[0] + 1 :] if ends else []
        title = next((line[2:].strip() for line in lines if line.startswith("# ")), "")
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
    return "\n".join(out[:max_lines]) + "\n"
