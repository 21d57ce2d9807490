"""``memory [--json] [--budget CHARS] [--operator XX] [--no-fail]``: the team's memory a session
starts with (lib/memory/briefing.py): decisions in force and open questions of the trusted ref's
logs, recent learnings, this branch's unmerged logs, teammates' logs on the same files.

The SessionStart hook injects its text (``"memory_on_start"``, on by default); /resume and
/handoff show it. ``--json``: ``{"decisions": [{"id", "text", "operator", "date"}],
"open_questions": [...], "learnings": [...], "unmerged": [...], "collisions": [{"operator",
"log", "branch", "files"}], "chars", "omitted", "trusted_ref", "trusted_commit", "text",
"warnings"}``.
"""

from __future__ import annotations

import json
import sys

from ..core.errors import HelperError, text_or_error
from ..logs.log_ids import is_operator


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--budget", type=int, default=None, metavar="CHARS",
                        help="at most this many characters of briefing (default 6000)")
    parser.add_argument("--operator", help="whose workstreams come first (initials; default: whoami)")
    parser.add_argument("--no-fail", action="store_true",
                        help="exit 0 and print problems in the output (for ! pre-execution)")


def run(args, project) -> int:
    return text_or_error(lambda: _run(args, project), args.no_fail,
                         "the team memory could not be built; see `scripts/handoff memory --help`")


def _run(args, project) -> int:
    from ..memory import briefing

    budget = briefing.DEFAULT_BUDGET if args.budget is None else args.budget
    if not 0 < budget <= briefing.MAX_BUDGET:
        raise HelperError("--budget %d: expected 1 to %d characters" % (budget, briefing.MAX_BUDGET))
    if args.operator is not None and not is_operator(args.operator):
        raise HelperError("--operator %r: expected 2-4 capital letters (e.g. RT)" % args.operator[:60])
    data = briefing.for_project(project, args.operator, budget)
    if args.json:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = data["text"] + "\n" if data["text"] else ""
        if not text:  # stdout stays empty: the SessionStart hook then adds no context
            sys.stderr.write("handoff: no team memory yet (no decision, question or learning on %s)\n"
                             % (data["trusted_ref"] or "a trusted ref"))
        for warning in data["warnings"]:  # stderr: the hook injects stdout only
            sys.stderr.write("handoff: warning: %s\n" % warning)
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    return 0
