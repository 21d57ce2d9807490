"""``resume [--operator XX] [--json | --compact]``: the /resume dashboard (lib/resume/dashboard.py).

The operator: ``--operator``, else ``--operator-arg`` when not empty (what the slash command
passes from ``$ARGUMENTS``; lowercase initials are accepted there), else ``whoami``.
``--no-fail``: a problem (say, an unknown operator) is printed on stdout as ``handoff: ...`` and
the exit status is 0: in slash-command ``!`` pre-execution a non-zero exit aborts the command
before the model sees anything (tests/e2e/FINDINGS.md).
Everything about logs and workstreams comes from the catalog (lib/catalog/store.py).
"""

from __future__ import annotations

import json
import sys

from ..core.errors import HelperError, text_or_error
from ..logs.log_ids import is_operator

COMPACT_MEMORY_BUDGET = 5000  # with the 40-line dashboard, inside SessionStart's ~9,500 characters


def add_arguments(parser) -> None:
    parser.add_argument("--operator", help="whose dashboard (initials, e.g. RT); default: whoami")
    parser.add_argument(
        "--operator-arg",
        default="",
        metavar="TEXT",
        help="the slash command's $ARGUMENTS: initials, or empty for whoami",
    )
    parser.add_argument(
        "--operator-stdin",
        action="store_true",
        help="read --operator-arg's text from stdin (the slash command's heredoc: $ARGUMENTS is raw text there)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print the dashboard as one JSON object")
    mode.add_argument(
        "--compact",
        action="store_true",
        help="at most 40 lines: the latest resume prompt and the next phases (SessionStart context)",
    )
    parser.add_argument(
        "--no-fail", action="store_true", help="exit 0 and print problems in the output (for ! pre-execution)"
    )
    parser.add_argument("--no-memory", action="store_true", help="leave out the team memory (`memory`)")


def _operator_from_arg(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    words = value.split()
    if len(words) != 1 or not is_operator(words[0].upper()):
        raise HelperError(
            "/resume argument %r: expected operator initials (2-4 letters, e.g. RT) or nothing" % value[:60]
        )
    return words[0].upper()


def resolve_operator(args, root: str, state_dir: str) -> str:
    if args.operator:
        if not is_operator(args.operator):
            raise HelperError("--operator %r: expected 2-4 capital letters (e.g. RT)" % args.operator[:60])
        return args.operator
    text = args.operator_arg or ""
    if args.operator_stdin:  # /resume: `$ARGUMENTS` arrives through a quoted heredoc (FINDINGS 29)
        text = sys.stdin.buffer.read(4096).decode("utf-8", "replace")
    from_arg = _operator_from_arg(text)
    if from_arg:
        return from_arg
    from ..logs import operator as operator_mod

    return operator_mod.resolve(root, state_dir).initials


def run(args, project) -> int:
    hint = "/resume could not build the dashboard; see `scripts/handoff resume --help`."
    return text_or_error(lambda: _run(args, project), args.no_fail, hint)


def _run(args, project) -> int:
    from ..core import isotime
    from ..resume import dashboard as resume

    operator = resolve_operator(args, project.root, project.state_dir)
    data = resume.build(project, operator, isotime.now(), compact=args.compact)
    data["warnings"][:0] = _collisions(project)
    memory = None if args.no_memory else _memory(project, operator, data["warnings"], args.compact)
    data["file_collisions"] = memory["collisions"] if memory else []
    data["memory"] = memory
    if args.json:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = resume.render_compact(data) if args.compact else resume.render_text(data)
    # backslashreplace: a file name that is not UTF-8 must not crash the dashboard
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()
    return 0


def _memory(project, operator: str, warnings: list, compact: bool) -> dict | None:
    """The team memory (lib/memory/briefing.py), as `memory` prints it; a failure is one more
    warning, never the end of the dashboard."""
    try:
        from ..memory import briefing

        data = briefing.for_project(project, operator, COMPACT_MEMORY_BUDGET if compact else briefing.DEFAULT_BUDGET)
    except Exception as exc:  # noqa: BLE001 - /resume must show the dashboard whatever happens here
        warnings.append("team memory not shown: %s: %s" % (type(exc).__name__, str(exc)[:200]))
        return None
    warnings += [w for w in data["warnings"] if w not in warnings]  # the catalog's own are there already
    return data


def _collisions(project) -> list:
    """Id collisions (lib/store/collisions.py; git runs only when HEAD, refs or the listing
    changed); a failure to check is one more warning, never the end of the dashboard."""
    try:
        from ..store import collisions

        return collisions.for_resume(project)
    except Exception as exc:  # noqa: BLE001 - /resume must show the dashboard whatever happens here
        return ["id collisions not checked: %s: %s" % (type(exc).__name__, str(exc)[:200])]
