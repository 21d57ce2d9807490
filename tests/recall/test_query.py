"""lib/recall/query.py: `parts` (str.find and str.split, to keep ``re`` off the warm path) finds
what the pattern it replaced finds, on generated text full of quotes and odd whitespace."""

from __future__ import annotations

import random
import re

from lib.recall import query

REFERENCE = re.compile(r'"([^"]*)"|([^\s"]+)')  # the pattern query.py used before


def _reference(text: str) -> list:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in REFERENCE.finditer(text)]


def test_parts_agrees_with_the_pattern() -> None:
    rng = random.Random(7)
    alphabet = ['"', '"', " ", "\t", "\n", "\u00a0", "\u2003", "\x0b", "a", "b", "é", "-", "*", ":", "(", "NEAR", "x y"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert query.parts(text) == _reference(text), repr(text)


def test_parts_examples() -> None:
    assert query.parts('lock "stale pid" -x') == ["lock", "stale pid", "-x"]
    assert query.parts('ab"cd"ef "unclosed') == ["ab", "cd", "ef", "unclosed"]
    assert query.parts('""') == [""]
