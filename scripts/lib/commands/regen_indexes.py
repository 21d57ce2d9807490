"""``regen-indexes [--check]``: rewrite docs/sessions/INDEX.md and workstreams/INDEX.md (lib/resume/indexes.py).

Prints one line per index (wrote / unchanged / skipped). Files that could not be read are listed
on stderr as ``handoff: warning: <path>: <reason>`` and still get a row; they do not fail the
command. ``--check`` writes nothing and exits 1 when an index is out of date (for CI).
"""

from __future__ import annotations

import sys

from ..core.errors import HelperError


def add_arguments(parser) -> None:
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if an index is out of date")


def run(args, project) -> int:
    from ..resume import indexes

    root = project.root
    try:
        results, warnings = indexes.regenerate(project, check=args.check)
    except OSError as exc:
        raise HelperError("%s: %s" % (getattr(exc, "filename", None) or root, exc.strerror or exc)) from None
    for warning in warnings:
        line = "handoff: warning: %s\n" % warning.replace("\n", " ")
        sys.stderr.buffer.write(line.encode("utf-8", "backslashreplace"))
    for rel, status in results:
        print("%s: %s" % (rel, status))
    stale = [rel for rel, status in results if status == "stale"]
    if stale:
        raise HelperError("%s out of date; run: scripts/handoff regen-indexes" % " and ".join(stale))
    return 0
