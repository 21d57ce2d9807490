"""The forked reader of a large build (lib/recall/index.py `_forked`) gives exactly the index the
serial path gives, and a child that dies half-way loses nothing."""

from __future__ import annotations

import os
import sqlite3

import pytest
from recalltree import noise

from lib.recall import index, schema


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
    return repo


def test_forked_equals_serial(tree, tmp_path, monkeypatch) -> None:
    serial = _build(tree, tmp_path, "serial.sqlite3")
    monkeypatch.setattr(index, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(index, "_BATCH", 3)
    assert _build(tree, tmp_path, "forked.sqlite3") == serial
    assert len(serial) == 2 * 41


def test_a_child_that_dies_half_way_loses_nothing(tree, tmp_path, monkeypatch) -> None:
    serial = _build(tree, tmp_path, "serial.sqlite3")
    parent = os.getpid()
    real = index._loaded

    def dying(*args):
        for n, item in enumerate(real(*args)):
            if os.getpid() != parent and n == 7:
                os._exit(3)  # as if killed after sending two batches of three
            yield item

    monkeypatch.setattr(index, "_loaded", dying)
    monkeypatch.setattr(index, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(index, "_BATCH", 3)
    assert _build(tree, tmp_path, "forked.sqlite3") == serial
