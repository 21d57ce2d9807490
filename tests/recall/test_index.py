"""The index as a cache: incremental updates, write-session, worktrees sharing a state dir,
corrupt/foreign/future databases, a read-only state dir, migrations, the FTS5 check."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from recalltree import ids, log, noise, search, stats

from handoff_fixtures import make_repo, request
from hookutil import state_dir
from lib.core.errors import HelperError
from lib.recall import schema, store
from logtree import clean_env, run_helper

INDEX = "recall.sqlite3"  # in the state dir (hookutil.state_dir: under the git common dir)


def backdate(path: Path, seconds: float = 3600) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_incremental_new_changed_and_deleted_logs(repo) -> None:
    noise(repo, 12)
    for p in (repo / "docs" / "sessions").iterdir():
        backdate(p)
    assert stats(repo)["built"] == 1
    assert stats(repo) == {"check": "quick"}  # current: nothing read
    new = log(repo, "RT-261120-01", "Narwhal", did="- narwhal")
    backdate(new)
    assert stats(repo) == {"check": "changes", "read": 1, "parsed": 1, "removed": 0}
    assert ids(search(repo, "narwhal")) == ["RT-261120-01"]
    # Same size, same mtime, new bytes: a rename-based write changes the inode.
    text = new.read_text().replace("narwhal", "walrus!").replace("Narwhal", "Walrus!")
    tmp = new.with_suffix(".tmp")
    tmp.write_text(text)
    st = new.stat()
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, new)
    assert ids(search(repo, "walrus")) == ["RT-261120-01"] and search(repo, "narwhal")["hits"] == []
    new.unlink()
    assert search(repo, "walrus")["hits"] == []
    con = sqlite3.connect(state_dir(repo) / INDEX)
    assert con.execute("SELECT count(*) FROM docs WHERE id = 'RT-261120-01'").fetchone() == (0,)
    docs, fts = (con.execute("SELECT count(*) FROM %s" % t).fetchone() for t in ("docs", "docs_fts"))
    assert docs == fts


def test_an_edit_in_place_within_the_timestamp_granularity_is_seen(repo) -> None:
    """Same size, same inode, written twice within the racy window: the second read is forced."""
    path = log(repo, "RT-261120-02", "Puffin", did="- puffin")
    assert ids(search(repo, "puffin")) == ["RT-261120-02"]
    st = path.stat()
    with open(path, "r+b") as f:  # in place, same length
        data = f.read().replace(b"puffin", b"gannet")
        f.seek(0)
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # even the mtime is the same
    assert ids(search(repo, "gannet")) == ["RT-261120-02"]


def test_touched_files_are_not_parsed_again(repo) -> None:
    noise(repo, 5)
    stats(repo)
    for p in (repo / "docs" / "sessions").iterdir():
        os.utime(p)  # a checkout touches every file; the bytes are the same
    assert stats(repo)["parsed"] == 0


def test_write_session_updates_an_existing_index(tmp_path) -> None:
    r = make_repo(tmp_path)
    r.commit("feat: one", {"a.py": "1\n"}, when="2026-11-21T09:00:00Z")
    r.write_ok(request(title="First"), "s1", {"HANDOFF_NOW": "2026-11-21T10:00:00Z"})
    assert search(r.path, "First")["hits"]  # builds the index
    out = r.write_ok(request(title="Albatross landing"), "s2", {"HANDOFF_NOW": "2026-11-21T11:00:00Z"})
    con = sqlite3.connect(state_dir(r.path) / INDEX)
    assert con.execute("SELECT title FROM docs WHERE id = ?", (out["id"],)).fetchone() == ("Albatross landing",)


def test_write_session_never_fails_because_of_the_index(tmp_path) -> None:
    r = make_repo(tmp_path)
    r.commit("feat: one", {"a.py": "1\n"}, when="2026-11-21T09:00:00Z")
    state_dir(r.path).mkdir(parents=True, exist_ok=True)
    (state_dir(r.path) / INDEX).write_bytes(b"garbage, not a database" * 100)
    (state_dir(r.path) / "recall.lock").mkdir()  # the lock cannot even be opened
    out = r.write_ok(request(title="Still written"), "s1", {"HANDOFF_NOW": "2026-11-21T10:00:00Z"})
    assert (r.path / out["path"]).is_file()


def test_worktrees_sharing_a_state_dir_share_one_index(tmp_path) -> None:
    r = make_repo(tmp_path)
    noise(r.path, 9)
    subprocess.run(["git", "-C", str(r.path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(r.path), "commit", "-qm", "logs"], check=True)
    other = tmp_path / "wt2"
    subprocess.run(["git", "-C", str(r.path), "worktree", "add", "-q", str(other)], check=True)
    shared = {"HANDOFF_STATE_DIR": str(tmp_path / "shared-state")}
    assert stats(r.path, env=shared)["parsed"] == 9
    # a new worktree: no listing of its directories yet, so a full scan; same bytes: nothing re-parsed
    assert stats(other, env=shared) == {"check": "full", "read": 9, "parsed": 0, "removed": 0}
    # one index for both worktrees (besides it only lock files: recall.lock, recall.verify.lock)
    assert [n for n in sorted(os.listdir(tmp_path / "shared-state")) if not n.endswith(".lock")] == ["recall.sqlite3"]
    log(other, "RT-261120-03", "Only in wt2", did="- cormorant")
    assert ids(search(other, "cormorant", env=shared)) == ["RT-261120-03"]
    assert search(r.path, "cormorant", env=shared)["hits"] == []  # each worktree sees its own files
    shutil.rmtree(other)
    subprocess.run(["git", "-C", str(r.path), "worktree", "prune"], check=True)
    search(r.path, "x", env=shared)
    con = sqlite3.connect(tmp_path / "shared-state" / "recall.sqlite3")
    assert con.execute("SELECT count(*) FROM docs WHERE id = 'RT-261120-03'").fetchone() == (0,)


@pytest.mark.parametrize("kind", ["garbage", "foreign", "future", "truncated", "tampered"])
def test_a_bad_index_is_moved_aside_and_rebuilt(repo, kind) -> None:
    log(repo, "RT-261120-04", "Skua", did="- skua")
    path = state_dir(repo) / INDEX
    path.parent.mkdir(parents=True)
    if kind == "garbage":
        path.write_bytes(os.urandom(8192))
    elif kind == "foreign":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE notes (x)")
        con.commit()
        con.close()
    else:
        search(repo, "skua")
        con = sqlite3.connect(path)
        if kind == "future":
            con.execute("INSERT INTO _migrations VALUES ('999_from_the_future', 'x')")
            con.commit()
        if kind == "tampered":  # its migrations say it has this table
            con.execute("DROP TABLE listings")
            con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        if kind == "truncated":
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
    result = search(repo, "skua")
    assert ids(result) == ["RT-261120-04"]
    assert any("moved aside" in w for w in result["warnings"]), result["warnings"]
    assert (path.parent / "recall.sqlite3.moved-aside").exists()
    assert not any("moved aside" in w for w in search(repo, "skua")["warnings"])  # rebuilt once


def _read_only(state: Path, argv: list) -> list:
    """``argv`` run with ``state`` read-only. Root writes through any mode bits, so as root the
    directory is bind-mounted read-only in a private mount namespace (EROFS, as on a read-only
    volume); otherwise its mode is 0555."""
    if os.geteuid() != 0:
        os.chmod(state, 0o555)
        return argv
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed for the read-only state dir test"
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return [unshare, "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", str(state), *argv]


@pytest.mark.parametrize("existing", [False, True])
def test_read_only_state_dir_answers_from_a_temporary_index(repo, existing) -> None:
    import json

    log(repo, "RT-261120-05", "Gull", did="- gull")
    if existing:
        search(repo, "gull")
    state = state_dir(repo)
    state.mkdir(parents=True, exist_ok=True)
    helpers = Path(__file__).resolve().parents[2] / "scripts" / "handoff_helpers.py"
    argv = _read_only(state, [sys.executable, str(helpers), "search", "--root", str(repo), "--json", "gull"])
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=clean_env(), cwd=repo)
    finally:
        os.chmod(state, 0o755)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert ids(result) == ["RT-261120-05"]
    assert any("not writable" in w and "temporary index" in w for w in result["warnings"]), result["warnings"]
    assert not (state / "recall.sqlite3.moved-aside").exists()


def test_migrations_are_named_recorded_and_each_in_one_transaction(tmp_path) -> None:
    con = store.connect(str(tmp_path / "x.sqlite3"))
    assert schema.migrate(con) == list(schema.NAMES)
    assert [r[0] for r in con.execute("SELECT name FROM _migrations ORDER BY rowid")] == list(schema.NAMES)
    assert schema.migrate(con) == []  # idempotent
    # A migration that fails half-way leaves nothing behind: neither its tables nor its row.
    def broken(conn):
        conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    original = schema.MIGRATIONS
    try:
        schema.MIGRATIONS = original + (("002_broken", broken),)
        schema.NAMES = tuple(n for n, _ in schema.MIGRATIONS)
        with pytest.raises(RuntimeError):
            schema.migrate(con)
    finally:
        schema.MIGRATIONS = original
        schema.NAMES = tuple(n for n, _ in original)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert "half" not in tables
    assert [r[0] for r in con.execute("SELECT name FROM _migrations")] == list(schema.NAMES)


def test_an_index_from_before_frontmatter_checks_is_migrated_and_its_logs_checked(repo) -> None:
    """An index at 002 (before schema.m003): the next search adds the column and marks every
    log without a warning, and the deferred check parses them: a hand-broken frontmatter read
    quickly gets its warning, as in a new index."""
    from recalltree import settle

    noise(repo, 4)
    (repo / "docs" / "sessions" / "RT-261121-07.md").write_text(
        "---\nid: RT-261121-07\ntitle: [unclosed\nworkstreams:\n- storage\n---\n# Broken\n\n- gannet\n")
    # no "# " title: its YAML parsed (and warned about) at once; the migration marks it too
    (repo / "docs" / "sessions" / "RT-261121-08.md").write_text(
        "---\nid: RT-261121-08\ntitle: [unclosed\n---\n## Decisions Made\n\n- gannet\n")
    stats(repo)  # built
    con = sqlite3.connect(state_dir(repo) / "recall.sqlite3")
    with con:  # as the code before m003 left it
        con.execute("DROP INDEX docs_fm_unchecked")
        con.execute("ALTER TABLE docs DROP COLUMN fm_unchecked")
        con.execute("DELETE FROM _migrations WHERE name = '003_frontmatter_checks'")
    con.close()
    first = search(repo, "gannet")
    settle(repo)
    second = search(repo, "gannet")
    assert sorted(ids(first)) == sorted(ids(second)) == ["RT-261121-07", "RT-261121-08"]
    assert [w for w in second["warnings"] if "RT-261121-07.md" in w and "indexed by its body" in w]
    warned_at_once = [w for w in second["warnings"] if "RT-261121-08.md" in w]
    assert len(warned_at_once) == 1 and warned_at_once[0].count("not valid YAML") == 1, warned_at_once


def test_missing_fts5_is_one_line_naming_the_fix() -> None:
    class NoFts5:
        def __init__(self, path):
            self.con = sqlite3.connect(path)

        def execute(self, sql):
            if "fts5" in sql:
                raise sqlite3.OperationalError("no such module: fts5")
            return self.con.execute(sql)

        def close(self):
            self.con.close()

    with pytest.raises(HelperError) as info:
        store.require_fts5(NoFts5)
    message = str(info.value)
    assert "\n" not in message and "FTS5" in message and "HANDOFF_PYTHON" in message
    store.require_fts5()  # this Python's SQLite has it (the CI's must)


def test_the_index_is_in_the_state_dir_and_never_committed(tmp_path) -> None:
    r = make_repo(tmp_path)
    noise(r.path, 2)
    search(r.path, "queue")
    assert (state_dir(r.path) / INDEX).is_file()
    status = subprocess.run(["git", "-C", str(r.path), "status", "--porcelain", "--ignored"], capture_output=True,
                            text=True, check=True).stdout
    assert "recall" not in status.replace("!! .claude/state/", "")


def test_damage_found_only_by_the_query_is_moved_aside_and_rebuilt(repo) -> None:
    noise(repo, 40)
    log(repo, "RT-261120-06", "Tern", decisions="- tern")
    search(repo, "tern")
    path = state_dir(repo) / INDEX
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(path.read_bytes())
    for i in range(len(data) * 2 // 5, len(data) * 9 // 10):
        data[i] = (data[i] * 7 + 13) % 256
    path.write_bytes(bytes(data))
    result = search(repo, "tern")
    assert ids(result) == ["RT-261120-06"], result
    assert any("malformed" in w and "moved aside" in w for w in result["warnings"]), result["warnings"]
    assert ids(search(repo, "--section", "decisions", "tern")) == ["RT-261120-06"]
    proc = run_helper(repo, "decisions", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
