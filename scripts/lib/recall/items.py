"""`learnings` and `decisions`: every item of one section across all logs, newest first.

The Learnings database of the Notion days, back, in the repository: each item with the id of
the log it comes from (items are split by lib/logs/sections.py `section_items`).
"""

from __future__ import annotations

from ..logs.sections import section_items
from . import search

SECTION_OF = {"learnings": "learnings", "decisions": "decisions"}


def collect(conn, root: str, column: str, since: str | None) -> list:
    """[{"id", "path", "date", "operator", "title", "item"}] newest log first, items in order."""
    out = []
    for log_id, path, day, operator, title, text in search.section_texts(conn, root, column, since):
        for item in section_items(text or ""):
            out.append({"id": log_id, "path": path, "date": day, "operator": operator, "title": title, "item": item})
    return out


def render(items: list, heading: str) -> str:
    if not items:
        return "No %s in the session logs yet.\n" % heading.lower()
    lines = ["%s (%d, newest first)" % (heading, len(items)), ""]
    for entry in items:
        text = entry["item"].replace("\n", "\n    ")
        lines.append("- %s  [%s %s]" % (text, entry["id"], entry["date"] or "undated"))
    return "\n".join(lines) + "\n"
