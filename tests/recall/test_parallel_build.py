"""A large build shared with a forked child (lib/recall/build.py `_shared`) gives exactly the
index the serial path gives, and a child that dies, at any point, loses nothing."""

from __future__ import annotations

import os
import sqlite3

import pytest
from recalltree import noise

from lib.recall import build, index, schema


def _build(root, tmp_path, name: str) -> list:
    conn = sqlite3.connect(str(tmp_path / name), isolation_level=None)
    schema.migrate(conn)
    index.apply(conn, str(root), index.scan(str(root)))
    rows = conn.execute(
        "SELECT d.id, d.path, d.day, d.operator, d.title, d.workstreams, d.sort_key, d.warning, f.summary, f.did,"
        " f.decisions, f.learnings FROM docs d JOIN docs_fts f ON f.rowid = d.docid ORDER BY d.path"
    ).fetchall()
    files = conn.execute("SELECT path, size, key FROM files ORDER BY path").fetchall()
    conn.close()
    return rows + files


@pytest.fixture
def tree(repo):
    noise(repo, 40)
    (repo / "docs" / "sessions" / "RT-261101-01.md").write_bytes(b"no frontmatter \xff\n## Learnings\n\n- kept\n")
    # parsed with YAML: the child's own batches (build._slow_last)
    (repo / "docs" / "sessions" / "CONV-old.md").write_text("---\ntitle: Old\noperator: SK\n---\n## Decisions\n\n- x\n")
    (repo / "workstreams").mkdir()
    (repo / "workstreams" / "birds.md").write_text("---\ntitle: Birds\nowner: AB\n---\n# Birds\n\n- heron\n")
    return repo


@pytest.mark.parametrize("inbox_bytes", [1 << 20, 100])  # 100: batches larger than the parent's buffer
def test_forked_equals_serial(tree, tmp_path, monkeypatch, inbox_bytes) -> None:
    serial = _build(tree, tmp_path, "serial.sqlite3")
    monkeypatch.setattr(build, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(build, "_BATCH", 3)
    monkeypatch.setattr(build, "_PIPE_BYTES", inbox_bytes)
    assert _build(tree, tmp_path, "forked.sqlite3") == serial
    assert len(serial) == 2 * 43


@pytest.mark.parametrize("dies_at", [0, 2, 5])
def test_a_child_that_dies_half_way_loses_nothing(tree, tmp_path, monkeypatch, dies_at) -> None:
    serial = _build(tree, tmp_path, "serial.sqlite3")
    parent = os.getpid()
    real = build.load
    calls = []

    def dying(*args):
        if os.getpid() != parent:
            calls.append(1)
            if len(calls) > dies_at:
                os._exit(3)  # as if killed after sending `dies_at` batches of three
        return real(*args)

    monkeypatch.setattr(build, "load", dying)
    monkeypatch.setattr(build, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(build, "_BATCH", 3)
    assert _build(tree, tmp_path, "forked.sqlite3") == serial


def test_no_fork_to_spare_builds_it_serially(tree, tmp_path, monkeypatch) -> None:
    serial = _build(tree, tmp_path, "serial.sqlite3")
    monkeypatch.setattr(build, "PARALLEL_AFTER", 1)

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert _build(tree, tmp_path, "forked.sqlite3") == serial


def test_the_parent_helps_only_while_the_child_has_more_left() -> None:
    balance = build._Balance(tokens=100, child_own=2, now=0.0)
    assert balance.help(1.0, 0)  # the child is on its own batches: nothing to compare yet
    balance.arrived([100, 101], 1.0)
    balance.sent, balance.inserted = 10, 10
    balance.inserting = 10 * 0.5  # inserting a batch: 0.5 s
    assert balance.help(1.0 + 10 * 1.0, 0)  # parsing one: 1 s; 90 left
    assert not balance.help(1.0 + 10 * 0.5, 0)  # parsing as fast as inserting: the parent is the bottleneck
    balance.taken = 85  # 5 left: the child's 5 s of parsing vs the parent's 2.5 s of inserting
    assert balance.help(1.0 + 10 * 1.0, 0)
    assert not balance.help(1.0 + 10 * 1.0, 4)  # ... plus 2 s for 4 batches received, not inserted yet
    balance.taken = 88  # 2 left: 2 s vs 1 s; one more would leave the parent last
    assert not balance.help(1.0 + 10 * 1.0, 0)


def test_batches_are_at_most_255_and_cover_every_file() -> None:
    for n in (0, 1, 31, 32, 33, 1000, 8160, 8161, 10_303, 100_000):
        batches = build._batches(n)
        assert len(batches) <= 255
        assert [i for lo, hi in batches for i in range(lo, hi)] == list(range(n))
