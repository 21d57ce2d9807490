"""``renumber <path> [--to ID] [--no-commit] [--json]``: give a local, unpushed session log the
next free id (file name, ``id:``, index, changelog references) in one step; see
lib/store/renumber.py. Refuses in one line, changing nothing, when the target exists or the log
is already pushed.
"""

from __future__ import annotations

import json
import sys


def add_arguments(parser) -> None:
    parser.add_argument("path", help="the log to renumber, e.g. docs/sessions/RT-261121-01.md")
    parser.add_argument("--to", metavar="ID", help="this id instead of the next free one (same operator and day)")
    parser.add_argument("--no-commit", action="store_true", help="stage the change but do not commit it")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args, project) -> int:
    from ..store.remote_fetch import Fetcher
    from ..store.renumber import renumber

    result = renumber(project, args.path, to=args.to, fetcher=Fetcher(project), commit=not args.no_commit)
    for warning in result.pop("warnings"):
        print("handoff: warning: %s" % warning, file=sys.stderr)
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if result["committed"]:
        how = "committed"
    else:
        how = "staged; conclude the merge" if result["conflict"] else "not committed"
    print("renumbered %s -> %s (%s; %s)" % (result["from"], result["to"], ", ".join(result["changed"]), how))
    return 0
