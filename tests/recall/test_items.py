"""``learnings`` and ``decisions``: every item across all logs, newest first, with its log id."""

from __future__ import annotations

import json

from recalltree import log

from logtree import run_helper, write_log


def _items(root, command, *args):
    proc = run_helper(root, command, "--json", *args)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def test_learnings_newest_first_with_log_ids(repo) -> None:
    log(repo, "RT-261101-01", "Old", learnings="- oldest lesson\n- second lesson\n  on two lines")
    log(repo, "AB-261103-02", "Newer", learnings="- newest lesson")
    log(repo, "AB-261103-01", "Same day, earlier", learnings="- middle lesson")
    log(repo, "CK-261102-01", "No learnings")  # _None._
    write_log(repo, "CONV-20250101-0001", "## Learnings\n\n- legacy lesson\n", title="Legacy", date="2025-01-01")
    result = _items(repo, "learnings")
    assert [(i["id"], i["item"]) for i in result["items"]] == [
        ("AB-261103-02", "newest lesson"),
        ("AB-261103-01", "middle lesson"),
        ("RT-261101-01", "oldest lesson"),
        ("RT-261101-01", "second lesson\non two lines"),
        ("CONV-20250101-0001", "legacy lesson"),
    ]
    assert [i["id"] for i in _items(repo, "learnings", "--since", "2026-11-02")["items"]] == [
        "AB-261103-02", "AB-261103-01"]
    text = run_helper(repo, "learnings").stdout
    assert text.splitlines()[0] == "Learnings (5, newest first)"
    assert "- newest lesson  [AB-261103-02#L1 2026-11-03]" in text
    assert [i["item_id"] for i in result["items"]][2:4] == ["RT-261101-01#L1", "RT-261101-01#L2"]


def test_item_ids_follow_labels_through_hand_edits(repo) -> None:
    """A label is the item's id: deleting or inserting an item by hand renumbers nothing."""
    log(repo, "RT-261101-01", "A", decisions="- **D1** Use WAL\n- unlabelled, added by hand\n- **D3** One writer")
    got = [(i["item_id"], i["item"]) for i in _items(repo, "decisions")["items"]]
    assert got == [("RT-261101-01#D1", "Use WAL"), ("RT-261101-01#D2", "unlabelled, added by hand"),
                   ("RT-261101-01#D3", "One writer")]
    log(repo, "RT-261101-01", "A", decisions="- added on top\n- **D1** Use WAL")  # D1 was deleted, then one added
    got = [(i["item_id"], i["item"]) for i in _items(repo, "decisions")["items"]]
    assert got == [("RT-261101-01#D2", "added on top"), ("RT-261101-01#D1", "Use WAL")]


def test_decisions(repo) -> None:
    log(repo, "RT-261101-01", "A", decisions="- Use WAL\n- One writer at a time")
    log(repo, "RT-261102-01", "B", decisions="Paragraph decision.")
    assert [(i["id"], i["item"]) for i in _items(repo, "decisions")["items"]] == [
        ("RT-261102-01", "Paragraph decision."), ("RT-261101-01", "Use WAL"), ("RT-261101-01", "One writer at a time")]


def test_no_logs_and_bad_since(repo) -> None:
    assert _items(repo, "decisions")["items"] == []
    assert run_helper(repo, "decisions").stdout == "No decisions in the session logs yet.\n"
    proc = run_helper(repo, "learnings", "--since", "last week")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "YYYY-MM-DD" in proc.stderr
