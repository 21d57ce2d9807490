"""Item 2 of issue 9: ids unique across every worktree and branch of a repository on one machine.

Before: each worktree allocated from its own docs/sessions/ under a per-state-dir lock, and the
issue's round test saw a worktree and the main checkout take the same id three times.
"""

from __future__ import annotations

import json

from idsutil import (
    clone,
    commit_all,
    git,
    log_names,
    make_remote,
    one_log_pushed,
    start_write_session,
    try_write_session,
    write_session,
)


def _repo_with_worktree(tmp_path):
    bare = make_remote(tmp_path)
    main = clone(bare, tmp_path / "main")
    second = tmp_path / "second"
    git(main, "worktree", "add", "-q", "-b", "side", str(second))
    return bare, main, second


def test_two_worktrees_racing_get_distinct_ids(tmp_path):
    _, main, second = _repo_with_worktree(tmp_path)
    procs = []
    for i in range(8):  # real processes, started together, alternating worktrees
        root = main if i % 2 == 0 else second
        procs.append((root, start_write_session(root, "race-%d" % i)))
    for _, proc in procs:
        proc.stdin.write(json.dumps({"title": "race", "summary": "s", "resume_prompt": "r", "confidence": "M",
                                     "workstreams": [], "body": {"What I Did": ["x"]}}))
        proc.stdin.close()
    ids = []
    for root, proc in procs:
        out, err = proc.stdout.read(), proc.stderr.read()
        assert proc.wait(timeout=120) == 0, err
        result = json.loads(out)
        ids.append(result["id"])
        assert (root / result["path"]).is_file()
    assert len(set(ids)) == 8, sorted(ids)
    assert sorted(int(i.rsplit("-", 1)[1]) for i in ids) == list(range(1, 9))
    assert len(log_names(main)) + len(log_names(second)) == 8


def test_a_log_committed_on_another_branch_counts(tmp_path):
    _, main, second = _repo_with_worktree(tmp_path)
    first = write_session(second, "s-side")
    commit_all(second, "log on side")
    git(tmp_path / "second", "checkout", "-q", "--detach")  # no worktree has `side` checked out now
    git(second, "rm", "-q", first["path"])  # and the file is gone from every work tree
    commit_all(second, "drop it from the detached head")
    assert not any((p / first["path"]).exists() for p in (main, second))
    again = write_session(main, "s-main")
    assert again["id"] != first["id"]
    assert again["id"].endswith("-02")


def test_a_log_on_a_remote_tracking_ref_counts(tmp_path):
    _, a, b, first = one_log_pushed(tmp_path)
    git(b, "fetch", "-q", "origin")
    second = write_session(b, "s-b", HANDOFF_FETCH_TIMEOUT="0")  # no fetch: the ref already has it
    assert second["id"] != first["id"]


def test_corrupt_registry_cache_is_moved_aside_and_rebuilt(tmp_path):
    from hookutil import state_dir

    _, main, second = _repo_with_worktree(tmp_path)
    write_session(main, "s1")
    cache = state_dir(main) / "id-registry.json"
    assert json.loads(cache.read_text())["format"] == "handoff-id-registry"
    cache.write_text("{not json")
    out = try_write_session(main, "s2")
    assert out.returncode == 0, out.stderr
    assert "id-registry.json: unreadable" in out.stderr and "moved aside" in out.stderr
    assert json.loads(cache.read_text())["format"] == "handoff-id-registry"
    assert list(cache.parent.glob("id-registry.json.corrupt-*"))
    assert json.loads(out.stdout)["id"].endswith("-02")
