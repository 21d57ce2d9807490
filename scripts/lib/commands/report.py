"""``report [--out DIR] [--since DATE]``: the static HTML report of every session (lib/report/).

Prints what it built and, on its last line, the path of ``index.html`` to open; opens nothing.
Default ``DIR``: ``report/`` in the state dir. ``--since-stdin``: the /report slash command's
``$ARGUMENTS`` (a date or nothing) through a quoted heredoc. ``--no-fail``: a problem is
printed on stdout and the exit status is 0 (a failing ``!`` pre-execution aborts the command).
"""

from __future__ import annotations

import sys

from ..core.errors import HelperError, text_or_error

MAX_WARNINGS = 20


def add_arguments(parser) -> None:
    parser.add_argument("--out", metavar="DIR", help="the report's folder (default: report/ in the state dir)")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only sessions of this day or later")
    parser.add_argument("--since-stdin", action="store_true", help="read --since from stdin (empty: every session)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 and print problems (for ! pre-execution)")


def run(args, project) -> int:
    return text_or_error(lambda: _run(args, project), args.no_fail, "see `scripts/handoff report --help`")


def _run(args, project) -> int:
    from ..report.build import build

    since = args.since
    if args.since_stdin:
        words = sys.stdin.buffer.read(4096).decode("utf-8", "replace").split()
        if len(words) > 1:
            raise HelperError("/report argument %r: expected one date like 2026-11-01, or nothing"
                              % " ".join(words)[:60])
        since = since or (words[0] if words else None)
    result = build(project, args.out, since)
    warnings = result["warnings"]
    lines = ["handoff: warning: %s" % w for w in warnings[:MAX_WARNINGS]]
    if len(warnings) > MAX_WARNINGS:
        lines.append("handoff: warning: and %d more" % (len(warnings) - MAX_WARNINGS))
    if lines:
        sys.stderr.write("\n".join(lines) + "\n")
    text = "report: %d sessions, %d weeks, %d files (largest %s, %d KB) in %.1f s\n%s\n" % (
        result["sessions"], result["weeks"], result["files"], result["largest"], result["largest_bytes"] // 1024,
        result["seconds"], result["index"])
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    return 0
