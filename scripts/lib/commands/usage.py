"""``usage [--session-id ID | --since DATE] [--daily] [--json]``: tokens and cost per session.

Sessions are those with a telemetry record in the state dir (their transcript path comes from
the hooks); ``--session-id`` also finds a session with no record by looking for its
transcript under the CLI's config dirs. ``--since DATE`` (YYYY-MM-DD, UTC) keeps the sessions
that were active on or after that day (and, with ``--daily``, only those days). JSON keys are
for scripts: ``{"sessions": [{session_id, input_tokens, output_tokens, cache_creation_tokens,
cache_read_tokens, requests, by_model, cost_usd, cost_source, unpriced_models, started_at}],
"totals": {...}, "days": [...] (with --daily), "warnings": [...]}``.
"""

from __future__ import annotations

import json
import re
import sys

from ..core.errors import HelperError
from ..usage.ledger import TOKEN_FIELDS
from ..usage.session import session_usage
from ..usage.sessions import known_sessions

_DATE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


def add_arguments(parser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--session-id", help="one session (default: every session with telemetry)")
    which.add_argument("--since", metavar="DATE", help="sessions active on or after DATE (YYYY-MM-DD, UTC)")
    parser.add_argument("--daily", action="store_true", help="a row per day instead of per session")
    parser.add_argument("--json", action="store_true", help="print JSON (keys in the module docstring)")


def _check_date(value: str) -> str:
    if not _DATE.fullmatch(value or ""):
        raise HelperError(f"--since {value!r}: expected a date YYYY-MM-DD")
    return value


def collect(project, session_id=None, since=None) -> tuple:
    """(rows, by_day, warnings): one row per session (usage dict + session_id, started_at)."""
    warnings: list = []
    known = known_sessions(project.state_dir, warnings)
    if session_id:
        picked = [known[session_id]] if session_id in known else []
        paths = {session_id: picked[0].transcript_path if picked else None}
        started = {session_id: picked[0].started_at if picked else None}
        ids = [session_id]
    else:
        ids = sorted(known, key=lambda s: (known[s].started_at or "", s))
        paths = {s: known[s].transcript_path for s in ids}
        started = {s: known[s].started_at for s in ids}
    rows, by_day = [], {}
    for sid in ids:
        if since and (known[sid].ended_at or known[sid].started_at or "")[:10] < since:
            continue
        result = session_usage(project.state_dir, sid, paths[sid], project.config_path)
        warnings.extend(result.warnings)
        if result.usage is None:
            if session_id:
                raise HelperError(result.warnings[-1] if result.warnings else f"session {sid}: no usage")
            continue
        rows.append({"session_id": sid, "started_at": started[sid], **result.usage})
        for day, row in result.by_day.items():
            if since and day < since:
                continue
            into = by_day.setdefault(day, dict.fromkeys((*TOKEN_FIELDS, "requests"), 0))
            for name in into:
                into[name] += row[name]
    return rows, by_day, warnings


def totals(rows: list) -> dict:
    out = dict.fromkeys((*TOKEN_FIELDS, "requests"), 0)
    cost, unpriced = 0.0, set()
    for row in rows:
        for name in out:
            out[name] += row[name]
        if row["cost_usd"] is None:
            cost = None
            unpriced.update(row["unpriced_models"])
        elif cost is not None:
            cost += row["cost_usd"]
    out["cost_usd"] = round(cost, 6) if cost is not None else None
    out["unpriced_models"] = sorted(unpriced)
    return out


def fmt_cost(cost, unpriced=()) -> str:
    if cost is None:
        return "unknown (no price for %s)" % ", ".join(unpriced) if unpriced else "unknown"
    return "$%.2f" % cost


def fmt_tokens(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size:
            return "%.1f%s" % (n / size, unit)
    return str(n)


def run(args, project) -> int:
    since = _check_date(args.since) if args.since else None
    rows, by_day, warnings = collect(project, args.session_id, since)
    for warning in warnings:
        print(f"handoff: warning: {warning}", file=sys.stderr)
    out = {"sessions": rows, "totals": totals(rows)}
    if args.daily:
        out["days"] = [{"date": day, **row} for day, row in sorted(by_day.items())]
    if args.json:
        json.dump(out, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    head = ("date" if args.daily else "session", "input", "output", "cache write", "cache read", "requests")
    lines = []
    source = out["days"] if args.daily else rows
    for row in source:
        name = row["date"] if args.daily else row["session_id"][:8]
        cells = [name] + [fmt_tokens(row[f]) for f in TOKEN_FIELDS] + [str(row["requests"])]
        if not args.daily:
            cells.append(fmt_cost(row["cost_usd"], row["unpriced_models"]) + f" ({row['cost_source'] or 'no price'})")
        lines.append(cells)
    t = out["totals"]
    total = [fmt_tokens(t[f]) for f in TOKEN_FIELDS]
    lines.append(["total", *total, str(t["requests"]), fmt_cost(t["cost_usd"], t["unpriced_models"])])
    header = list(head) + ["cost"]
    widths = [max(len(str(r[i])) if i < len(r) else 0 for r in lines + [header]) for i in range(len(header))]
    for r in [header] + lines:
        print("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    return 0
