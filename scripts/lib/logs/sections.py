"""The items of a log body section: what `learnings`, `decisions` and the digest list.

`section_items(text)` turns the text of one section (as `session_log.split_sections` or the
recall index gives it) into its items, in order:

- a list item (``- ``, ``* ``, ``+ `` or ``1.``/``1)`` at the section's outer indentation)
  is one item; its continuation lines (indented, or lazy paragraph lines) are joined to it
  with a newline, their common indentation removed;
- text that is not a list is one item per paragraph (blank-line separated);
- fenced code stays inside the item it belongs to, a ``- `` line inside a fence never starts
  an item;
- the placeholder ``_None._`` (session_log.EMPTY_SECTION) and blank text give no items.

Pure and standard library only (the recall index imports it on its cold path).
"""

from __future__ import annotations

import re

EMPTY_SECTION = "_None._"  # session_log.EMPTY_SECTION; not imported: that module pulls dataclasses
_ITEM_RE = re.compile(r"([ ]{0,3})(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)")
_FENCE_RE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def _finish(lines: list) -> str:
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ""
    first, rest = lines[0], lines[1:]
    indents = [len(x) - len(x.lstrip(" ")) for x in rest if x.strip()]
    cut = min(indents) if indents else 0
    return "\n".join([first.strip()] + [x[cut:].rstrip() for x in rest]).strip()


def _closes(marker: str, fence: str, rest: str) -> bool:
    """Whether a fence line (``marker``, then ``rest``) closes the open ``fence``: the same
    character, at least as long, nothing after it (CommonMark)."""
    return marker[0] == fence[0] and len(marker) >= len(fence) and not rest.strip()


def section_items(text: str) -> list[str]:
    """The items of one section's text (see the module docstring)."""
    if not isinstance(text, str) or not text.strip() or text.strip() == EMPTY_SECTION:
        return []
    items: list = []
    current: list | None = None  # lines of the item being read
    is_list = False  # whether `current` is a list item (paragraphs end at a blank line)
    fence = None
    outer = None  # indentation of the first list marker: deeper markers are sub-items
    for line in _LINE_BREAK_RE.split(text):
        if fence is not None:
            current.append(line)
            m = _FENCE_RE.match(line)
            if m and _closes(m.group(1), fence, line.strip()[len(m.group(1)):]):
                fence = None
            continue
        m = _ITEM_RE.match(line)
        if m and (outer is None or len(m.group(1)) <= outer):
            if current is not None:
                items.append(_finish(current))
            outer = len(m.group(1)) if outer is None else outer
            current, is_list = [line[m.end():]], True
        elif not line.strip():
            if current is not None and not is_list:
                items.append(_finish(current))
                current = None
            elif current is not None:
                current.append("")
        elif current is None:
            current, is_list = [line], False
        elif is_list and current and current[-1] == "" and not line.startswith((" ", "\t")):
            items.append(_finish(current))  # a paragraph after a list ends it
            current, is_list = [line], False
        else:
            current.append(line)
        f = _FENCE_RE.match(line.lstrip(" ")) if current is not None else None
        if f:
            fence = f.group(1)
    if current is not None:
        items.append(_finish(current))
    return [item for item in items if item and item != EMPTY_SECTION]


# ---------------------------------------------------------------------------- reading a body
# A log body -> (its ``# `` title, {column: text}): what the catalog stores and searches. One
# tolerant reader for every log, written by write-session or by hand (write-session's own
# input checks are the strict ones, lib/logs/session_log.py): text under an unknown heading,
# and before the first one, goes to ``did`` (the general body), so nothing in a log is lost;
# a heading inside fenced code is text.

COLUMNS = ("title", "summary", "did", "decisions", "future", "learnings", "questions", "resume")
SECTION_COLUMNS = {  # session_log.SECTIONS -> column (tests/catalog/test_records.py pins the names)
    "Summary": "summary",
    "What I Did": "did",
    "Decisions Made": "decisions",
    "For Future Me": "future",
    "Learnings": "learnings",
    "Open Questions": "questions",
    "Resume Prompt": "resume",
}
# Headings of older (Notion-era, CONV-*) logs, by their normalised key.
_ALIASES = {
    "decisions": "decisions", "keydecisions": "decisions", "whatwasdone": "did", "done": "did",
    "learned": "learnings", "lessonslearned": "learnings", "questions": "questions",
    "nextsteps": "future", "next": "future", "resume": "resume", "tldr": "summary",
}
# A line that splits a body: a fence line or an ATX level-2 heading. One split in C gives per
# such line 5 items: the whole line, the fence marker and the rest of a fence line (None for a
# heading), the heading's text (None for a fence line), then the text up to the next such line.
_LINE_SPLIT_RE = re.compile(r"(\n[ ]{0,3}(?:(`{3,}|~{3,})([^\n]*)|##(?!#)([^\n]*)))")


def _key(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


_COLUMN_BY_KEY = {_key(name): column for name, column in SECTION_COLUMNS.items()}
_COLUMN_BY_KEY.update(_ALIASES)


def column_of(raw: str) -> str:
    """The column of a ``## `` heading's raw text (unknown headings: ``did``)."""
    heading = raw.strip(" \t")
    column = SECTION_COLUMNS.get(heading)
    if column is None:
        column = _COLUMN_BY_KEY.get(_key(heading.rstrip("#")), "did")
    return column


def _columns(pairs, title_area: str) -> tuple[str, dict]:
    columns: dict = {}
    title = ""
    lines = title_area.lstrip("\n").split("\n", 1)
    if lines[0].startswith("# "):
        title = lines[0][2:].strip()
        title_area = lines[1] if len(lines) > 1 else ""
    title_area = title_area.strip()
    if title_area:
        columns["did"] = title_area
    for column, chunk in pairs:
        chunk = chunk.strip()
        if not chunk or chunk == EMPTY_SECTION:
            continue
        columns[column] = columns[column] + "\n\n" + chunk if column in columns else chunk
    return title, columns


def read_body(body: str) -> tuple[str, dict]:
    """(the ``# `` title line's text or "", {column: text}) of a log body."""
    parts = _LINE_SPLIT_RE.split("\n" + body)
    if not any(parts[2::5]):  # no fence line (most logs): every heading starts a section
        return _columns(zip(map(column_of, parts[4::5]), parts[5::5]), parts[0])
    fence = None
    pairs = []
    column = None  # before the first heading
    title_area = ""
    text = [parts[0]]
    for j in range(1, len(parts), 5):
        marker = parts[j + 1]
        if marker is not None:  # a fence line opens a fence, or closes the open one
            if fence is None:
                fence = marker
            elif _closes(marker, fence, parts[j + 2]):
                fence = None
        elif fence is None:
            if column is None:
                title_area = "".join(text)
            else:
                pairs.append((column, "".join(text)))
            column = column_of(parts[j + 3])
            text = [parts[j + 4]]
            continue
        text.append(parts[j])
        text.append(parts[j + 4])
    if column is None:
        title_area = "".join(text)
    else:
        pairs.append((column, "".join(text)))
    return _columns(pairs, title_area)
