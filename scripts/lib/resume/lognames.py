"""What a log's file name says, and the few rules about logs that need no ``re``.

A leaf of the standard library without ``re``: /recall's first search after a new log parses
that one log (lib/recall/plainlog.py), and importing ``re`` (with ``enum``) would be ~2.4 ms of
it (tests/bench/bench_recall.py). `parse_name` is `sessionlogs.name_key`'s rule in string
operations; /resume keeps the pattern, which is faster over 10,000 names.
tests/resume/test_lognames.py holds the two equal on every name.
"""

from __future__ import annotations

LEGACY_PREFIX = "CONV-"  # log_ids.LEGACY_PREFIX (not imported: log_ids pulls dataclasses)
MAX_FRONTMATTER_BYTES = 64 * 1024  # lib/logs/frontmatter.py refuses more; so do we, before parsing


def parse_name(name: str):
    """``RT-261121-07.md`` -> ``("20261121", 7, "RT")``; None for anything that is not a named
    log: ``<2-4 ASCII capitals>-<6 ASCII digits>-<2+ ASCII digits, no leading 0 past two>.md``."""
    if name[-3:] != ".md":
        return None
    parts = name[:-3].split("-")
    if len(parts) != 3:
        return None
    op, day, seq = parts
    if not (2 <= len(op) <= 4 and len(day) == 6 and len(seq) >= 2):
        return None
    # isascii first: str.isdigit/isupper also accept other scripts' digits and capitals
    if not (op.isascii() and op.isalpha() and op.isupper()):
        return None
    if not (day.isascii() and day.isdigit() and seq.isascii() and seq.isdigit()):
        return None
    if len(seq) > 2 and seq[0] == "0":
        return None
    return ("20" + day, int(seq), op)


def is_log_name(name: str) -> bool:
    """A named log's (`parse_name`) or a legacy ``CONV-*.md``."""
    return parse_name(name) is not None or (name.startswith(LEGACY_PREFIX) and name.endswith(".md"))


def day_of_key(key) -> str | None:
    d = key[0]
    return "%s-%s-%s" % (d[:4], d[4:6], d[6:8]) if len(d) == 8 else None


def norm_workstreams(value) -> list:
    """A log's ``workstreams:`` as a list of distinct strings (anything else: none)."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, str) and item not in out:
            out.append(item)
    return out
