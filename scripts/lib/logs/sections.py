"""The items of one session-log section (contract shared with issue 11, /recall).

`section_items(text)` turns the text of a section (what ``session_log.split_sections`` gives for
``Decisions Made``, ``Learnings`` or ``Open Questions``) into its items: one item per top-level
list entry (``-``, ``*``, ``+`` or ``1.``/``1)``), continuation lines joined with single spaces;
a section written as prose instead of a list is one item per paragraph. The placeholder
``_None._`` (session_log.EMPTY_SECTION) and blank text give no item.
"""

from __future__ import annotations

import re

_ITEM_RE = re.compile(r"^[ ]{0,3}(?:[-+*]|\d{1,9}[.)])[ \t]+(.*)$")
_EMPTY = "_None._"


def section_items(text: str) -> list[str]:
    if not isinstance(text, str) or not text.strip() or text.strip() == _EMPTY:
        return []
    items: list = []
    current: list | None = None
    in_list = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _ITEM_RE.match(line)
        if m:
            in_list = True
            current = [m.group(1).strip()]
            items.append(current)
        elif not line.strip():
            if not in_list:
                current = None  # a blank line ends a prose paragraph
        elif current is not None:
            current.append(line.strip())
        else:
            current = [line.strip()]
            items.append(current)
    return [" ".join(p for p in parts if p) for parts in items if any(parts)]
