"""``pr-summary --base REF [--head REF] [--json] [--require-logs]``: the sessions whose commits
are in ``BASE..HEAD`` (their titles, summaries, decisions, open questions, tokens and cost), the
commits no session log claims, and totals (lib/report/pr_summary.py). Markdown by default, for
a pull request comment or ``$GITHUB_STEP_SUMMARY`` (docs/ci/handoff-pr-summary.yml).
``--require-logs``: exit 1 when a commit has no session log (the summary is printed first)."""

from __future__ import annotations

import json
import sys

from ..core.errors import one_line
from ..report import pr_summary


def add_arguments(parser) -> None:
    parser.add_argument("--base", required=True, help="the pull request's base (a branch, tag or commit)")
    parser.add_argument("--head", help="the pull request's head (default: HEAD, with the checkout's logs)")
    parser.add_argument("--json", action="store_true",
                        help='print {"sessions": [...], "commits_without_log": [...], "totals": {...}}')
    parser.add_argument("--require-logs", action="store_true", help="exit 1 when a commit has no session log")


def run(args, project) -> int:
    summary = pr_summary.summarize(project, args.base, args.head)
    for warning in summary["notes"] + summary["warnings"]:
        print("handoff: warning: %s" % one_line(warning), file=sys.stderr)
    if args.json:
        text = json.dumps(pr_summary.to_json(summary), indent=2) + "\n"
    else:
        text = pr_summary.render_markdown(summary)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    missing = summary["totals"]["commits_without_log"]
    if args.require_logs and missing:
        print("handoff: --require-logs: %d commit%s without a session log" % (missing, "" if missing == 1 else "s"),
              file=sys.stderr)
        return 1
    return 0
