"""Item ids: the decisions, learnings and open questions of a log, each with an id of its own.

The items of ``## Decisions Made``, ``## Learnings`` and ``## Open Questions`` of log ``<id>``
are ``<id>#D<n>``, ``<id>#L<n>`` and ``<id>#Q<n>``, numbered from 1 in the order the log lists
them. ``write-session`` writes each item with its label first, ``- **D2** We keep SQLite``:
bold text renders cleanly on GitHub, and plain markdown survives hand edits and formatters.

An item's number is its label when it has one (so deleting or inserting an item by hand never
renumbers the others, and a ``supersedes`` written against ``D3`` keeps meaning the same item);
an item without a label (a log written before labels, or a line added by hand) takes its
position, or, when a label already took that number, the next number no label took.

Pure and standard library only.
"""

from __future__ import annotations

import re

from .log_ids import ID_PATTERN
from .sections import section_items

# section heading -> (catalog column, letter)
SECTIONS = {"Decisions Made": ("decisions", "D"), "Learnings": ("learnings", "L"), "Open Questions": ("questions", "Q")}
LETTER_OF_COLUMN = {column: letter for column, letter in SECTIONS.values()}
# A log's lifecycle fields (issue 18): frontmatter field -> the letter of the items it may name
# (a draft naming another kind is refused) and its own letter in the catalog's items table.
RETIRES = {"supersedes": "D", "resolves": "Q"}
REF_LETTERS = {"supersedes": "S", "resolves": "R"}
# **D2**, and what editors and formatters make of it: __D2__, a colon or period inside or after
_LABEL_RE = re.compile(r"(\*\*|__)([DLQ])([1-9][0-9]{0,3})[:.]?\1[:.]?(?:[ \t]+|(?=\n)|$)")
_BLOCK_START_RE = re.compile(r"(?:`{3,}|~{3,}|#|>|\||[-+*](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$))")
REF_RE = re.compile("(?P<log>%s)#(?P<letter>[DLQ])(?P<n>[1-9][0-9]{0,3})" % ID_PATTERN)


def label(letter: str, n: int) -> str:
    return "**%s%d**" % (letter, n)


def split_label(item: str, letter: str) -> tuple[int | None, str]:
    """(the number of the item's own label, or None; the text without it)."""
    m = _LABEL_RE.match(item)
    if m and m.group(2) == letter:
        return int(m.group(3)), item[m.end():].strip()
    return None, item


def numbered(text: str, letter: str) -> list[tuple[int, str]]:
    """``[(n, item text without its label)]`` of one section's text, in the log's order."""
    split, seen = [], set()
    for item in section_items(text or ""):
        n, rest = split_label(item, letter)
        if n in seen:  # a label pasted twice: the first keeps it, the copy is numbered as unlabelled
            n = None
        seen.add(n)
        split.append((n, rest))
    taken = {n for n, _ in split if n is not None}
    out, spare = [], max(taken, default=0)
    for position, (n, item) in enumerate(split, 1):
        if n is None:
            if position in taken:
                spare += 1
                n = spare
            else:
                n = position
            taken.add(n)
        out.append((n, item))
    return out


def render(items: list, letter: str) -> str:
    """The section text ``write-session`` writes: each item labelled by its position (a label
    the draft already carried, e.g. copied from a log, is replaced). An item that starts with a
    block (a code fence, a heading, a quote, a table, a list) gets its label on a line of its
    own: after the label on one line, a fence would be text and its content would escape."""
    lines = []
    for n, item in enumerate(items, 1):
        text = split_label(item, letter)[1]
        sep = "\n  " if _BLOCK_START_RE.match(text) else " "
        lines.append("- %s%s%s" % (label(letter, n), sep, text.replace("\n", "\n  ")))
    return "\n".join(lines)


def parse_ref(value) -> tuple[str, str, int] | None:
    """``(log id, letter, n)`` of ``<id>#<letter><n>``, or None."""
    m = REF_RE.fullmatch(value) if isinstance(value, str) else None
    return (m.group("log"), m.group("letter"), int(m.group("n"))) if m else None


def ref(log_id: str, letter: str, n: int) -> str:
    return "%s#%s%d" % (log_id, letter, n)
