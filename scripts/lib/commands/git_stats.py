"""``git-stats [--since ISO] [--session-id ID] [--no-fail]``: the session's commits as JSON.

The window is the one ``write-session`` uses (lib/logs/write_session.resolve_window): by
ancestry from the commit the session started on, else from the previous ``/handoff`` commit,
else all of HEAD; by the clock only with ``--since`` or when the session has no recorded start
commit, and then ``warnings`` says so.
"""

from __future__ import annotations

import json
import os
import sys

from ..core.errors import HelperError, result_or_error
from ..logs import gitstats
from ..logs import operator as operator_mod
from ..logs.write_session import resolve_window
from ..state import archive


def add_arguments(parser) -> None:
    parser.add_argument("--since", help="start of the window (ISO 8601; default: the session start)")
    parser.add_argument("--session-id", help="default: $CLAUDE_CODE_SESSION_ID")
    parser.add_argument("--no-commits", action="store_true", help="leave out the list of commits")
    parser.add_argument("--no-fail", action="store_true", help='exit 0 and print {"error": ...} (for ! pre-execution)')


def stats_for(args, project) -> dict:
    root = project.root
    gitstats.ensure_repo(root)
    state_dir = project.state_dir
    session_id = args.session_id or os.environ.get("CLAUDE_CODE_SESSION_ID") or None
    telemetry, warnings = None, []
    if session_id and not args.since:
        telemetry = archive.session_telemetry(state_dir, session_id, warnings=warnings)
    for warning in warnings:
        print("handoff: warning: %s" % warning, file=sys.stderr)
    try:
        operator = operator_mod.resolve(root, state_dir).initials
    except HelperError:
        operator = None  # previous handoff by anyone
    window = resolve_window(root, args.since, telemetry, None, operator, None)
    stats = gitstats.collect(root, window).to_json()
    stats["since_source"] = window.source
    stats["warnings"] = [window.warning] if window.warning else []
    if args.no_commits:
        stats.pop("commit_list")
    return stats


def run(args, project) -> int:
    out = result_or_error(lambda: stats_for(args, project), args.no_fail)
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
