"""``backfill --operator XX [--write]``: add ``operator: XX`` to legacy logs that lack one.

Without ``--write`` (the default) it only lists what it would change. Each problem file is one
``handoff: <path>: <reason>`` line on stderr and makes the exit status 1; the other files are
still handled.
"""

from __future__ import annotations

import sys

from ..core.errors import HelperError
from ..logs.log_ids import is_operator


def add_arguments(parser) -> None:
    parser.add_argument("--operator", required=True, help="initials to record in logs that lack operator: (e.g. RT)")
    parser.add_argument("--write", action="store_true", help="change the files (default: a dry run that lists them)")


def run(args, project) -> int:
    from ..resume.backfill import backfill

    if not is_operator(args.operator):
        raise HelperError("--operator %r: expected 2-4 capital letters (e.g. RT)" % args.operator[:60])
    root = project.root
    outcomes = backfill(root, args.operator, args.write)
    verb = "added" if args.write else "would add"
    added = [o for o in outcomes if o.action == "add"]
    problems = [o for o in outcomes if o.action == "skip"]
    for o in added:
        _say(sys.stdout, "%s operator: %s to %s" % (verb, args.operator, o.rel))
    for o in problems:
        _say(sys.stderr, "handoff: %s: %s" % (o.rel, o.detail))
    has = sum(1 for o in outcomes if o.action == "has")
    summary = "%d legacy log(s): %d %s, %d already had an operator, %d skipped" % (
        len(outcomes), len(added), "changed" if args.write else "to change", has, len(problems)
    )
    if added and not args.write:
        summary += " (dry run: pass --write to change them)"
    _say(sys.stdout, summary)
    return 1 if problems else 0


def _say(stream, line: str) -> None:
    """One line; a file name that is not UTF-8 is shown escaped, never a crash."""
    stream.flush()
    stream.buffer.write((line + "\n").encode("utf-8", "backslashreplace"))
    stream.buffer.flush()
