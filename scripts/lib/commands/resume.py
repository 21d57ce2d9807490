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
    data["file_collisions"] = _file_collisions(project, operator, data["warnings"])
    sections = _file_collision_sections(data["file_collisions"])
    if args.json:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif args.compact:
        text = resume.render_compact(data, sections=sections)
    else:
        text = resume.render_text(data, sections=sections)
    # backslashreplace: a file name that is not UTF-8 must not crash the dashboard
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()
    return 0


def _collisions(project) -> list:
    """Id collisions (lib/store/collisions.py; git runs only when HEAD, refs or the listing
    changed); a failure to check is one more warning, never the end of the dashboard."""
    try:
        from ..store import collisions

        return collisions.for_resume(project)
    except Exception as exc:  # noqa: BLE001 - /resume must show the dashboard whatever happens here
        return ["id collisions not checked: %s: %s" % (type(exc).__name__, str(exc)[:200])]


def base_ref(project) -> str | None:  # replaced by memory/trust.py
    """The ref this branch's own commits are counted from: ``origin/HEAD`` when it resolves,
    else the local ``main``, else ``master``; None (uncommitted changes only) otherwise.
    Read from disk (core/gitrefs.py): no git process on /resume's path."""
    from ..core import gitrefs

    for ref in ("refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master"):
        try:
            if gitrefs.resolve_ref(project.git_dir, project.git_common_dir, ref):
                return ref
        except (gitrefs.Unreadable, OSError, ValueError):
            continue
    return None


def _file_collisions(project, operator: str, warnings: list) -> list:
    """Teammates' recent logs on the files at hand (lib/memory/collisions.py); a failure to
    check is one more warning, never the end of the dashboard. The files at hand are this
    clone's, so "teammates" are everyone but whoever works here (whoami, memoized), also on
    another operator's dashboard (``--operator``)."""
    if not project.git_common_dir:
        return []
    try:
        from ..core import isotime
        from ..logs import operator as operator_mod
        from ..memory import collisions

        try:
            operator = operator_mod.resolve(project.root, project.state_dir).initials
        except HelperError:
            pass  # no initials here: the dashboard's operator stands for whoever works here
        return collisions.find(project, base_ref(project), operator, isotime.now(), warnings=warnings)
    except Exception as exc:  # noqa: BLE001 - /resume must show the dashboard whatever happens here
        warnings.append("same files not checked: %s: %s" % (type(exc).__name__, str(exc)[:200]))
        return []


def _file_collision_sections(found: list) -> tuple:
    if not found:
        return ()
    from ..memory import collisions

    heading = "Same files as a teammate's recent session (talk before you both merge):"
    return ((heading, [collisions.line(c) for c in found]),)
