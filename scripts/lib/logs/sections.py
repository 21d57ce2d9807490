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


def _closes(marker: str, fence: str, line: str) -> bool:
    return marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker):].strip()


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
            if m and _closes(m.group(1), fence, line):
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
