"""Item ids (lib/logs/items.py): what write-session writes reads back as the same items, numbered."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from lib.logs import items  # noqa: E402
from lib.logs.sections import section_items  # noqa: E402

CASES = [
    ["Use WAL"],
    ["Use WAL", "```\n## Learnings (in a fence): wombat\n```", "third"],
    ["# a heading-looking item", "> quoted", "| a | table |", "- nested list", "1. numbered"],
    ["multi\nline\n\n  indented continuation", "**bold** start", "**D7** a label the draft copied"],
]


@pytest.mark.parametrize("given", CASES)
def test_rendered_items_read_back_numbered_in_order(given):
    text = items.render(given, "D")
    got = items.numbered(text, "D")
    assert [n for n, _ in got] == list(range(1, len(given) + 1))
    assert [t for _, t in got] == [items.split_label(g, "D")[1] for g in given]
    assert len(section_items(text)) == len(given)  # one list item each, nothing escaped out of it


def test_labels_of_another_letter_are_text_and_refs_parse():
    assert items.numbered("- **L1** not a decision label", "D") == [(1, "**L1** not a decision label")]
    assert items.parse_ref("AB-261206-01#D12") == ("AB-261206-01", "D", 12)
    for bad in ("AB-261206-01#D0", "AB-261206-01#X1", "AB-261206-01", "ab-261206-01#D1", None, 5):
        assert items.parse_ref(bad) is None


def test_hand_edits_a_label_survives_and_a_pasted_copy_gets_its_own_number():
    assert items.numbered("- **D1** a\n- **D1** b\n- c", "D") == [(1, "a"), (2, "b"), (3, "c")]
    assert items.numbered("- **D2**: colon\n- __D1__ underscores\n- **D3.** dot", "D") == [
        (2, "colon"), (1, "underscores"), (3, "dot")]
