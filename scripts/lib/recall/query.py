"""A user's query -> an FTS5 MATCH expression.

Plain mode (the default): words are matched as words, never as syntax. Each word becomes an
FTS5 string (``"..."``, inner ``"`` doubled), so ``-``, ``*``, ``:``, ``(``, ``^``, ``NEAR``,
``AND``, ``OR``, ``NOT`` are searched for (or ignored, when they hold no letter or digit),
never interpreted. Text in double quotes is one phrase. Every word must appear (AND); the
caller may retry with `any_of` (OR) when nothing has them all.

``--fts``: the text is passed to FTS5 as is; a syntax error is reported by the caller as one
line. `in_column` restricts either to one column (``--section``).
"""

from __future__ import annotations

from ..core.errors import HelperError

MAX_TERMS = 64


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def parts(text: str) -> list:
    """The quoted phrases and the words of ``text``, in order: what the pattern
    ``"([^"]*)"|([^\\s"]+)`` finds (a lone, unclosed ``"`` is skipped), written with str.find and
    str.split because ``import re`` costs ~3 ms of a warm search (tests/recall/test_query.py
    checks the two agree)."""
    out = []
    at = 0
    while True:
        quote = text.find('"', at)
        if quote < 0:
            out += text[at:].split()
            return out
        out += text[at:quote].split()
        end = text.find('"', quote + 1)
        if end < 0:  # unclosed: the quote is skipped, the rest read as words
            at = quote + 1
            continue
        out.append(text[quote + 1 : end])
        at = end + 1


def terms(text: str) -> tuple[list, bool]:
    """(FTS5 strings for the words and quoted phrases of ``text``, whether some were dropped
    because there were more than `MAX_TERMS`). HelperError when there is no word at all."""
    out = []
    seen = set()
    dropped = False
    for part in parts(text):
        if not _has_word(part):
            continue
        quoted = '"%s"' % part.replace('"', '""')
        if quoted in seen:
            continue
        if len(out) == MAX_TERMS:
            dropped = True
            break
        seen.add(quoted)
        out.append(quoted)
    if not out:
        raise HelperError("search: the query has no words to search for (%r)" % text[:60] if text.strip()
                          else "search: empty query; give words to search for")
    return out, dropped


def all_of(strings: list) -> str:
    return " AND ".join(strings)


def any_of(strings: list) -> str:
    return " OR ".join(strings)


def in_column(column: str, expression: str) -> str:
    return "%s : (%s)" % (column, expression)


def check_fts(text: str) -> str:
    if not text.strip():
        raise HelperError("search: empty query; give words to search for")
    return text
