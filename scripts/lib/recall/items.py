"""`learnings` and `decisions`: every item of one section across all logs, newest first.

The Learnings database of the Notion days, back, in the repository: each item with the id of
the log it comes from and its own (``<id>#D2``: lib/logs/items.py).
"""

from __future__ import annotations

from ..logs import items as item_ids
from . import search

SECTION_OF = {"learnings": "learnings", "decisions": "decisions"}


def collect(conn, root: str, column: str, since: str | None) -> list:
    """[{"id", "item_id", "path", "date", "operator", "title", "item"}] newest log first, items in order."""
    out = []
    letter = item_ids.LETTER_OF_COLUMN[column]
    for log_id, path, day, operator, title, text in search.section_texts(conn, root, column, since):
        for n, item in item_ids.numbered(text, letter):
            out.append({"id": log_id, "item_id": item_ids.ref(log_id, letter, n), "path": path, "date": day,
                        "operator": operator, "title": title, "item": item})
    return out


def render(items: list, heading: str) -> str:
    if not items:
        return "No %s in the session logs yet.\n" % heading.lower()
    lines = ["%s (%d, newest first)" % (heading, len(items)), ""]
    for entry in items:
        text = entry["item"].replace("\n", "\n    ")
        lines.append("- %s  [%s %s]" % (text, entry["item_id"], entry["date"] or "undated"))
    return "\n".join(lines) + "\n"
