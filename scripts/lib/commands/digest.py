"""``digest [--week YYYY-Www | --since DATE --until DATE] [--operator XX | --team] [--tz TZ] [--json]``.

The week (ISO, in ``--tz``, default UTC; default: the current week) and the week before, side by
side with the change, then the week's decisions, learnings and open questions quoted with their
log ids (lib/digest/report.py). Default scope: the team (every operator).

``--week-arg TEXT`` / ``--week-stdin``: the /reflect slash command's ``$ARGUMENTS`` (a week, or
empty for the current one; the command sends it on stdin through a quoted heredoc).
``--draft``: also print where /reflect's model saves its draft and which reflection file it
will write. ``--no-fail``: a problem is printed on stdout and the exit status
is 0, since a failing ``!`` pre-execution aborts the slash command (tests/e2e/FINDINGS.md).
"""

from __future__ import annotations

import json
import sys

from ..core.errors import HelperError, text_or_error


def add_arguments(parser) -> None:
    parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the current week)")
    parser.add_argument(
        "--week-arg", default="", metavar="TEXT", help="the slash command's $ARGUMENTS: a week or empty"
    )
    parser.add_argument(
        "--week-stdin", action="store_true",
        help="read --week-arg's text from stdin (/reflect's heredoc: $ARGUMENTS is raw text there)",
    )
    parser.add_argument("--since", help="first day of a date range (YYYY-MM-DD, with --until)")
    parser.add_argument("--until", help="last day of the range, inclusive (YYYY-MM-DD)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--operator", help="only this operator's sessions (initials, e.g. RT)")
    scope.add_argument("--team", action="store_true", help="every operator's sessions (the default)")
    parser.add_argument("--tz", help="time zone of the week's days (IANA name; default UTC)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--draft", action="store_true", help="also print /reflect's draft file and target")
    parser.add_argument("--no-github", action="store_true", help="do not ask gh for PRs and issues")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 and print problems (for ! pre-execution)")


def week_from_arg(text: str) -> str | None:
    value = (text or "").strip()
    if not value:
        return None
    if len(value.split()) != 1:
        raise HelperError(f"/reflect argument {value[:60]!r}: expected one ISO week like 2026-W47, or nothing")
    return value


def resolve(args, project):
    """(current, previous, operator or None) for the command line."""
    from ..core import isotime
    from ..digest import weeks
    from ..logs.log_ids import is_operator

    if args.operator is not None and not is_operator(args.operator):
        raise HelperError(f"--operator {args.operator[:60]!r}: expected 2-4 capital letters (e.g. RT)")
    text = args.week_arg
    if args.week_stdin:  # /reflect: `$ARGUMENTS` arrives through a quoted heredoc (FINDINGS 29)
        text = sys.stdin.buffer.read(4096).decode("utf-8", "replace")
    week = args.week or week_from_arg(text)
    tz = weeks.parse_tz(args.tz)
    current, previous = weeks.resolve(week, args.since, args.until, tz, isotime.now())
    return current, previous, args.operator


def run(args, project) -> int:
    hint = "digest could not run; see `scripts/handoff digest --help`."
    return text_or_error(lambda: _run(args, project), args.no_fail, hint)


def _run(args, project) -> int:
    from ..digest import report

    current, previous, operator = resolve(args, project)
    data = report.build(project, current, previous, operator, github=not args.no_github)
    if args.draft:
        from ..digest import reflection

        data["reflection"] = reflection.target(project.root, current.label, operator)
        data["draft_file"], data["draft_problem"] = reflection.draft_file()
    if args.json:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = report.render_text(data)
        if args.draft:
            rel = data["reflection"]
            state = "exists: it will be updated" if rel["exists"] else "new"
            text += "\nreflection file: %s (%s)\n" % (rel["path"], state)
            text += "draft file: %s%s\n" % (
                data["draft_file"], " (problem: %s)" % data["draft_problem"] if data["draft_problem"] else ""
            )
            text += "week: %s\n" % current.label
            text += "scope: %s\n" % (operator or "team")
            text += "tz: %s\n" % data["tz"]
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()
    return 0


