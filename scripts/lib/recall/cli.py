"""What the recall commands (search, learnings, decisions) share: option checks, asking the
catalog and printing warnings. Thin; the logic is in the modules it calls."""

from __future__ import annotations

import datetime
import sys

from ..catalog import store
from ..core.errors import HelperError

MAX_WARNINGS_SHOWN = 10


def day(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not (len(value) == 10 and value[4] == "-" and value[7] == "-" and (value[:4] + value[5:7] + value[8:]).isdigit()
            and value.isascii()):
        raise HelperError("%s %r: expected a date YYYY-MM-DD" % (option, value[:40]))
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise HelperError("%s %r: not a calendar date" % (option, value)) from None
    return value


def answer(project, warnings: list, ask):
    """``ask(conn)`` on a current catalog, then the files' own warnings added to ``warnings``."""
    from . import search

    def both(conn):
        found = ask(conn)
        warnings.extend(search.warnings_of(conn, project.root))
        return found

    return store.ask(project, warnings, both)


def print_warnings(warnings: list) -> None:
    shown = warnings[:MAX_WARNINGS_SHOWN]
    for line in shown:
        print("handoff: warning: %s" % line, file=sys.stderr)
    if len(warnings) > len(shown):
        more = len(warnings) - len(shown)
        print("handoff: warning: ... and %d more (`scripts/handoff validate` lists them)" % more, file=sys.stderr)


def write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()


def run_items(args, project, column: str, heading: str) -> int:
    """The `learnings` / `decisions` commands."""
    import json

    from . import items

    since = day("--since", getattr(args, "since", None))
    warnings: list = []
    found = answer(project, warnings, lambda conn: items.collect(conn, project.root, column, since))
    if args.json:
        write(json.dumps({"items": found, "warnings": warnings}, ensure_ascii=False, indent=1) + "\n")
    else:
        write(items.render(found, heading))
        print_warnings(warnings)
    return 0
