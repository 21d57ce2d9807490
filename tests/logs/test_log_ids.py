"""The log-name rule (lib/logs/log_ids.py): one rule, asked of every file name by every command."""

from __future__ import annotations

import random

import pytest

from lib.logs import log_ids

NAMES = ["RT-261121-01.md", "RT-261121-99.md", "RT-261121-100.md", "RT-261121-1000.md", "ABCD-260101-07.md",
         "RT-261121-00.md", "RT-261121-007.md", "RT-261121-1.md", "rt-261121-01.md", "R-261121-01.md",
         "ABCDE-261121-01.md", "RT-26112-01.md", "RT-261121-01x.md", "CONV-261121-01.md", "CONV-261121-007.md",
         "CONV-old.md", "CONV-.md", "INDEX.md", "README.md", "RT-2611211-01.md", "RT-261121-01.md.bak",
         "RT-261121-01", "RT-\u0661\u0662\u0663\u0664\u0665\u0666-01.md", "R\u00c9-261121-01.md", ".md", ""]


@pytest.mark.parametrize("name", NAMES)
def test_is_log_name_is_name_key_or_legacy(name: str) -> None:
    assert log_ids.is_log_name(name) == (log_ids.name_key(name) is not None or log_ids.is_legacy_name(name))


def test_is_log_name_on_random_names() -> None:
    rng = random.Random(17)
    alphabet = "RTCONV-0123456789.mdx\u0661"
    for _ in range(20_000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18)))
        if rng.random() < 0.5:
            name += ".md"
        assert log_ids.is_log_name(name) == (log_ids.name_key(name) is not None or log_ids.is_legacy_name(name)), name


def test_sort_key_orders_like_name_key() -> None:
    names = ["RT-261121-01.md", "RT-261121-02.md", "RT-261121-10.md", "RT-261121-99.md", "RT-261121-100.md",
             "AB-261121-100.md", "RT-261120-999.md", "ZZ-261121-09.md"]
    assert sorted(names, key=log_ids.sort_key) == sorted(names, key=log_ids.name_key)
    # a legacy log sorts by its day, before that day's named logs; undated: oldest
    assert log_ids.sort_key("CONV-x.md", "2026-11-21") < log_ids.sort_key("RT-261121-01.md")
    assert log_ids.sort_key("CONV-x.md", "2026-11-21") > log_ids.sort_key("RT-261120-99.md")
    assert log_ids.sort_key("CONV-x.md") < log_ids.sort_key("RT-000101-01.md")
