"""logs/sections.py `section_items`: the items of one section, as learnings/decisions list them."""

from __future__ import annotations

from lib.logs.sections import section_items


def test_bullets_with_continuations_and_sub_items() -> None:
    text = "- First item\n  continues here\n- Second\n  - a sub-item stays inside\n* Third (star)\n1. Fourth (number)\n"
    assert section_items(text) == [
        "First item\ncontinues here",
        "Second\n- a sub-item stays inside",
        "Third (star)",
        "Fourth (number)",
    ]


def test_paragraphs_are_items_when_there_is_no_list() -> None:
    assert section_items("One paragraph\nstill one.\n\nAnother one.\n") == ["One paragraph\nstill one.", "Another one."]


def test_placeholder_and_blank_give_nothing() -> None:
    assert section_items("_None._") == []
    assert section_items("  \n\n") == []
    assert section_items("") == []


def test_a_dash_inside_a_fence_is_not_an_item() -> None:
    text = "- Run this:\n  ```sh\n- not an item\n  ```\n- Next item\n"
    assert section_items(text) == ["Run this:\n  ```sh\n- not an item\n  ```", "Next item"]


def test_write_session_list_rendering_round_trips() -> None:
    """session_log._section_text renders a list as '- item' with continuation lines indented."""
    from lib.logs.session_log import _section_text

    items = ["Keep it small", "Two lines\nin one item", "Uses: colons, *stars* and `code`"]
    assert section_items(_section_text("Learnings", items)) == items


def test_crlf_line_breaks() -> None:
    assert section_items("- a\r\n- b\r\n") == ["a", "b"]
