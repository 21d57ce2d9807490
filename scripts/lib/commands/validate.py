"""``validate [PATHS...] [--kind session|workstream]``: check documents against their schemas.

Without paths: every ``docs/sessions/*.md``, ``docs/reflections/*.md`` and (once its schema exists)
``workstreams/*.md``, then the store as a whole (lib/store/consistency.py: a stale index, a changelog
entry listed twice or missing). A log's operator is also checked against who added it
(lib/logs/authorship.py). ``--staged``: only the staged documents, as staged (the pre-commit hook).
Prints one ``path: field: problem`` line per problem and exits 1 if there is any; else prints
how many files were checked and exits 0.
"""

from __future__ import annotations

import sys

from ..logs.validation import validate


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", help="files or directories (default: all documents)")
    parser.add_argument("--kind", choices=("session", "workstream", "reflection"), help="validate PATHS as this kind")
    parser.add_argument("--staged", action="store_true", help="only the staged documents, as staged (pre-commit)")


def run(args, project) -> int:
    root = project.root
    if args.staged:
        from ..store.staged import validate_staged

        checked, problems = validate_staged(root, project.state_dir)
    else:
        checked, problems = validate(root, args.paths, args.kind)
        if project.git_common_dir:
            problems += _authorship(project, args.paths)
    if not args.paths and not args.staged:
        from ..store.consistency import store_problems

        store_checked, store_found = store_problems(project)
    else:
        store_checked, store_found = 0, []
    if not args.paths and not args.staged and project.git_common_dir:
        # the whole store: ids colliding across files and clones (lib/store/collisions.py)
        from ..logs.validation import Problem
        from ..store import collisions

        for c in collisions.find(project):
            problems.append(Problem(c.path, "id", "collision (%s): %s; %s" % (c.kind, c.detail,
                                                                             collisions.fix_hint(c.path))))
    for problem in problems + store_found:
        print(problem)
    if problems or store_found:
        sys.stdout.flush()  # the lines first, then the summary on stderr
        bad = len({p.path for p in problems})
        summary = f"handoff: {bad} of {checked} file(s) invalid"
        if store_found:
            stale = len({p.path for p in store_found})
            summary += f"; {stale} of {store_checked} index/changelog file(s) out of order, stale or incomplete"
        print(summary, file=sys.stderr)
        return 1
    print(f"validate: {checked} file(s) ok")
    return 0


def _authorship(project, paths: list) -> list:
    """Logs of ``docs/sessions`` (all, or those among ``paths``) whose operator their adder may
    not use (logs/authorship.py)."""
    import os

    from ..logs.authorship import SESSIONS, authorship_problems
    from ..logs.validation import Problem

    directory = os.path.realpath(os.path.join(project.root, SESSIONS))
    if not paths:
        try:
            names = os.listdir(directory)
        except OSError:
            names = []
    else:
        names = []
        for given in paths:
            path = os.path.realpath(given)
            if path == directory:
                names += os.listdir(path)
            elif os.path.dirname(path) == directory:
                names.append(os.path.basename(path))
    return [Problem(SESSIONS + "/" + name, field, message)
            for name, field, message in authorship_problems(project.root, project.state_dir, set(names))]
