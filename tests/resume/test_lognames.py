"""lib/resume/lognames.py: a log's name read without ``re``, exactly as sessionlogs' pattern reads it."""

from __future__ import annotations

import random

import pytest

from lib.logs import frontmatter, log_ids
from lib.resume import lognames, sessionlogs

EDGES = [
    "RT-261121-07.md", "RT-261121-100.md", "RT-261121-007.md", "RT-261121-1.md", "RT-261121-00.md",
    "ABCD-261121-01.md", "ABCDE-261121-01.md", "R-261121-01.md", "rt-261121-01.md", "Rt-261121-01.md",
    "RT-26112-01.md", "RT-2611211-01.md", "RT-261121-01.md\n", "RT-261121-01.MD", "RT-261121-01.md.md",
    "RT-261121-01", "RT-261121--01.md", "RT--261121-01.md", "-RT-261121-01.md", "RT-261121-01-02.md",
    "RT-\uff12\uff16\uff11\uff11\uff12\uff11-01.md",  # fullwidth digits: isdigit() says yes, [0-9] no
    "R\u00c9-261121-01.md", "\u0391\u0392-261121-01.md",  # a capital that is not ASCII
    "RT-261121-\u0661\u0662.md",  # Arabic-Indic digits
    "RT-261121-01.md\udcff", "CONV-old.md", "CONV-.md", "CONV-x.MD", "conv-x.md", "INDEX.md", "", ".md",
]


@pytest.mark.parametrize("name", EDGES)
def test_parse_name_is_the_pattern_on_edge_names(name: str) -> None:
    assert lognames.parse_name(name) == sessionlogs.name_key(name)
    assert lognames.is_log_name(name) == sessionlogs.is_log_name(name)


def test_parse_name_is_the_pattern_on_random_names() -> None:
    rng = random.Random(11)
    atoms = ["R", "T", "AB", "Z", "r", "-", "-", "0", "1", "26", "1121", "07", "00", ".md", ".md", ".", "\u00c9",
             "\uff11", "CONV-", " ", "\n", "md"]
    accepted = 0
    for _ in range(30_000):
        name = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 9)))
        if rng.random() < 0.5:  # near a real name, so most of the grammar is exercised
            name = "%s-%s-%s.md" % (rng.choice(["RT", "ABC", "ABCD", "R", "ABCDE", "rT", "\u00c9T"]),
                                    rng.choice(["261121", "250101", "26112", "2611211", "26112\uff11"]),
                                    rng.choice(["01", "1", "100", "007", "99", "0\u0661"]))
        key = lognames.parse_name(name)
        assert key == sessionlogs.name_key(name), name
        assert lognames.is_log_name(name) == sessionlogs.is_log_name(name), name
        accepted += key is not None
    assert accepted > 1_000  # the equality was tested on names that parse, not only on refusals


def test_constants_are_the_logs_package_ones() -> None:
    """Copied, not imported (log_ids pulls dataclasses; frontmatter pulls yaml)."""
    assert lognames.LEGACY_PREFIX == log_ids.LEGACY_PREFIX
    assert lognames.MAX_FRONTMATTER_BYTES == frontmatter.MAX_FRONTMATTER_BYTES
