"""``learnings [--since DATE] [--json]``: every Learnings item of every session log, newest
first, with its log id (lib/recall/items.py over the recall index)."""

from __future__ import annotations

from ..recall import cli

COLUMN, HEADING = "learnings", "Learnings"


def add_arguments(parser) -> None:
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only logs of this day or later")
    parser.add_argument("--json", action="store_true", help='print {"items": [...], "warnings": [...]}')


def run(args, project) -> int:
    return cli.run_items(args, project, COLUMN, HEADING)
