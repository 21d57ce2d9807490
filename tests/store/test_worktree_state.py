"""Item 5 of issue 9: one state dir per repository, under the git common dir, shared by worktrees.

Before: a session started in a worktree kept its state in that worktree's ``.claude/state/``, so
``parallel_sessions`` never saw the sessions of sibling worktrees. The hook runs here exactly as
registered (tests/hookutil.py); the old ``.claude/state/`` is migrated without losing a count,
also while hooks race the migration (lib/core/state_migration.py).
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from idsutil import commit_all, git, helper, try_write_session

from hookutil import install_bundle, payload, read_state, run_hook, state_dir


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    install_bundle(root)
    git(root, "config", "user.name", "Roman Tester")
    git(root, "config", "user.email", "rt@example.com")
    (root / ".gitignore").write_text(".claude/state/\n")
    commit_all(root, "bundle")
    return root


def _legacy_record(root: Path, session_id: str, calls: int) -> None:
    """An old-layout state dir: the hook of the old code counted ``calls`` tool calls there."""
    from lib.core import telemetry_record as tr

    old = root / ".claude" / "state"
    old.mkdir(parents=True, exist_ok=True)
    record = tr.new_record(session_id, str(root), "2026-11-21T10:00:00.000Z")
    for i in range(calls):
        tr.apply_event(record, payload("PostToolUse", session_id=session_id), 1_700_000_000.0 + i,
                       "2026-11-21T10:00:%02d.000Z" % (i % 60), {})
    (old / ("session-%s.json" % session_id)).write_text(json.dumps(record))
    (old / ("session-%s.lock" % session_id)).write_text("")
    (old / "operator").write_text("RT\n")


def test_sessions_in_sibling_worktrees_see_each_other(tmp_path):
    root = _repo(tmp_path)
    sibling = tmp_path / "sibling"
    git(root, "worktree", "add", "-q", "-b", "side", str(sibling))
    assert run_hook(root, payload("PostToolUse", session_id="main-session")).returncode == 0
    assert run_hook(sibling, payload("PostToolUse", session_id="sibling-session")).returncode == 0
    shared = state_dir(root)
    assert shared == state_dir(sibling) == root / ".git" / "handoff" / "state"
    assert read_state(sibling, "sibling-session")["parallel_sessions"] == ["main-session"]
    assert read_state(root, "main-session")["project_dir"] == str(root)
    assert read_state(sibling, "sibling-session")["project_dir"] == str(sibling)
    assert not (root / ".claude" / "state").exists() and not (sibling / ".claude" / "state").exists()
    # never committed, and `git clean -fdx` leaves it alone
    git(root, "clean", "-q", "-fdx")
    assert (shared / "session-main-session.json").is_file()
    # one catalog in the shared dir; each worktree's /resume shows its own files
    from logtree import write_log

    write_log(root, "RT-261120-01", title="in main")
    write_log(sibling, "RT-261121-01", title="in the sibling")
    for _ in range(2):
        assert '"in main"' in helper(root, "resume", "--operator", "RT").stdout
        assert '"in the sibling"' in helper(sibling, "resume", "--operator", "RT").stdout
    assert [p.name for p in shared.glob("catalog.sqlite3")] == ["catalog.sqlite3"]
    assert not list(shared.glob("*cache*"))


def test_non_git_project_keeps_claude_state(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    install_bundle(root)
    assert run_hook(root, payload("PostToolUse", session_id="s1")).returncode == 0
    assert (root / ".claude" / "state" / "session-s1.json").is_file()


def test_old_state_migrates_without_losing_a_count(tmp_path):
    root = _repo(tmp_path)
    _legacy_record(root, "s1", 7)
    assert run_hook(root, payload("PostToolUse", session_id="s1")).returncode == 0
    new = state_dir(root)
    assert read_state(root, "s1")["tool_calls_total"] == 8
    old = root / ".claude" / "state"
    assert (old / "MOVED-TO").read_text().strip() == str(new)
    assert (old / "session-s1.lock").exists()  # a lock file is never moved, replaced or deleted
    assert not (old / "session-s1.json").exists() and (new / "operator").read_text() == "RT\n"


def test_old_and_new_record_of_one_session_add_up(tmp_path):
    """The session already counted 3 calls in the new dir when its old record (5) is found:
    the old one becomes an archived part, and the log sums both."""
    root = _repo(tmp_path)
    for _ in range(3):
        run_hook(root, payload("PostToolUse", session_id="s1"), env_extra={"HANDOFF_STATE_DIR": str(state_dir(root))})
    _legacy_record(root, "s1", 5)
    assert run_hook(root, payload("PostToolUse", session_id="s1")).returncode == 0
    parts = list((state_dir(root) / "archive").glob("session-s1.migrated.*.json"))
    assert len(parts) == 1
    out = try_write_session(root, "s1")
    assert out.returncode == 0, out.stderr
    log = (root / json.loads(out.stdout)["path"]).read_text()
    assert "\ntool_calls_total: 9\n" in log


def test_hooks_racing_the_migration_lose_no_count(tmp_path):
    root = _repo(tmp_path)
    _legacy_record(root, "s1", 10)
    _legacy_record(root, "s2", 4)

    def one(i):
        sid = "s1" if i % 3 else "s2"
        return run_hook(root, payload("PostToolUse", session_id=sid), timeout=30).returncode

    with ThreadPoolExecutor(max_workers=12) as pool:  # each a real hook process
        assert set(pool.map(one, range(36))) == {0}
    from hookutil import error_log

    assert "dropped" not in error_log(root)
    # A hook that found the migration busy counted in a fresh live record; the old one then
    # became an archived part. Either way the session's total (what its log says) is exact.
    for sid, total in (("s1", 10 + 24), ("s2", 4 + 12)):
        out = try_write_session(root, sid)
        assert out.returncode == 0, out.stderr
        assert "\ntool_calls_total: %d\n" % total in (root / json.loads(out.stdout)["path"]).read_text()
    assert not (root / ".claude" / "state" / "session-s1.json").exists()


def test_an_old_writer_mid_rename_loses_nothing_to_the_migration(tmp_path):
    """The interleaving (found in review): an old-version hook holds session T's lock in the old
    dir and has written `.session-T.json.<pid>.<ns>.tmp`, not yet renamed; T has no record yet,
    so the migration has nothing of T's to wait for. A new hook's migration pass must leave that
    young temp file alone (deleting it made the old writer's rename fail: T's event lost) and
    hold the MOVED-TO marker back, so the next pass moves the record the rename produces."""
    import os
    import threading
    import time

    from lib.core import statefiles
    from lib.core import telemetry_record as tr

    root = _repo(tmp_path)
    _legacy_record(root, "s1", 2)
    old = root / ".claude" / "state"
    record = tr.new_record("T", str(root), "2026-11-21T10:00:00.000Z")
    tr.apply_event(record, payload("PostToolUse", session_id="T"), 1_700_000_000.0, "2026-11-21T10:00:00.000Z", {})
    lock_fd = statefiles.flock_session(str(old / "session-T.lock"))
    outcome: dict = {}
    paused = threading.Event()

    def old_writer():
        def before_rename():
            paused.set()
            time.sleep(1.5)

        try:
            data = json.dumps(record).encode()
            statefiles.write_atomic(str(old / "session-T.json"), data, before_rename=before_rename)
            outcome["ok"] = True
        except OSError as exc:
            outcome["error"] = exc

    writer = threading.Thread(target=old_writer)
    writer.start()
    try:
        assert paused.wait(10)
        assert run_hook(root, payload("PostToolUse", session_id="u1")).returncode == 0  # runs a pass
    finally:
        writer.join()
        os.close(lock_fd)
    assert outcome == {"ok": True}, outcome
    assert not (old / "MOVED-TO").exists()  # held back while the write was in flight
    assert run_hook(root, payload("PostToolUse", session_id="u1")).returncode == 0  # the next pass
    assert (old / "MOVED-TO").exists()
    assert read_state(root, "T")["tool_calls_total"] == 1 and read_state(root, "s1")["tool_calls_total"] == 2
