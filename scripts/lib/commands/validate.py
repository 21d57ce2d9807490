"""``validate [PATHS...] [--kind session|workstream]``: check documents against their schemas.

Without paths: every ``docs/sessions/*.md``, ``docs/reflections/*.md`` and (once its schema exists)
``workstreams/*.md``.
Prints one ``path: field: problem`` line per problem and exits 1 if there is any; else prints
how many files were checked and exits 0.
"""

from __future__ import annotations

import sys

from ..logs.validation import validate


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", help="files or directories (default: all documents)")
    parser.add_argument("--kind", choices=("session", "workstream", "reflection"), help="validate PATHS as this kind")


def run(args, project) -> int:
    root = project.root
    checked, problems = validate(root, args.paths, args.kind)
    for problem in problems:
        print(problem)
    if problems:
        sys.stdout.flush()  # the lines first, then the summary on stderr
        bad = len({p.path for p in problems})
        print(f"handoff: {bad} of {checked} file(s) invalid", file=sys.stderr)
        return 1
    print(f"validate: {checked} file(s) ok")
    return 0
