"""git-stats: the session's window on HEAD (git log --since), in real repositories."""

from __future__ import annotations

import json

import pytest

from handoff_fixtures import make_repo


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def stats(repo, *args, env=None) -> dict:
    return json.loads(repo.helper_ok("git-stats", *args, env=env).stdout)


def test_window_counts_commits_files_and_lines(repo):
    repo.commit("old", {"old.txt": "1\n2\n"}, when="2026-01-01T10:00:00Z")
    repo.commit("a", {"a.txt": "1\n2\n3\n"}, when="2026-01-02T10:00:00Z")
    repo.commit("b", {"a.txt": "1\n3\n4\n", "b.txt": "x\n"}, when="2026-01-02T11:30:00Z")
    out = stats(repo, "--since", "2026-01-02T10:00:00Z")
    assert out["commits"] == 2
    assert out["files_changed"] == 2  # a.txt twice counts once
    assert out["insertions"] == 3 + 2  # a: +3, then +1 (4) and b: +1
    assert out["deletions"] == 1
    assert out["first_commit_at"] == "2026-01-02T10:00:00Z"
    assert out["last_commit_at"] == "2026-01-02T11:30:00Z"
    assert out["since"] == "2026-01-02T10:00:00Z" and out["since_source"] == "argument"
    assert [c["subject"] for c in out["commit_list"]] == ["b", "a"]
    assert out["branch"] == "main"
    assert out["head_commit"] == repo.git("rev-parse", "HEAD").strip()


def test_since_accepts_offsets_and_fractions(repo):
    repo.commit("a", when="2026-01-02T10:00:00Z")
    repo.commit("b", when="2026-01-02T10:00:01Z")
    assert stats(repo, "--since", "2026-01-02T12:00:00.900+02:00")["commits"] == 2
    assert stats(repo, "--since", "2026-01-02T10:00:00.999Z")["commits"] == 2  # fraction dropped
    assert stats(repo, "--since", "2026-01-02T10:00:01Z")["commits"] == 1


def test_renames_and_binary_files(repo):
    repo.commit("base", {"src.txt": "one\ntwo\n"}, when="2026-01-01T00:00:00Z")
    repo.git("mv", "src.txt", "dst.txt")
    (repo.path / "blob.bin").write_bytes(b"\x00\x01\x02")
    (repo.path / "with space.txt").write_text("s\n")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "mv", env={"GIT_COMMITTER_DATE": "2026-01-03T00:00:00Z"})
    out = stats(repo, "--since", "2026-01-02T00:00:00Z")
    assert out["commits"] == 1
    assert out["files_changed"] == 3
    assert out["insertions"] == 1 and out["deletions"] == 0


def test_repository_without_commits(tmp_path):
    repo = make_repo(tmp_path, commit=False)
    out = stats(repo)
    assert out == {
        "branch": "main",
        "head_commit": None,
        "commits": 0,
        "files_changed": 0,
        "insertions": 0,
        "deletions": 0,
        "first_commit_at": None,
        "last_commit_at": None,
        "commits_by": "ancestry",
        "start_commit": None,
        "since": None,
        "others_commits": 0,
        "commit_list": [],
        "since_source": "none",
        "warnings": [],
    }


def test_detached_head(repo):
    first = repo.commit("one", when="2026-01-02T00:00:00Z")
    repo.commit("two", when="2026-01-03T00:00:00Z")
    repo.git("checkout", "-q", "--detach", first)
    out = stats(repo, "--since", "2026-01-01T00:00:00Z")
    assert out["branch"] is None
    assert out["head_commit"] == first
    assert [c["subject"] for c in out["commit_list"]] == ["one"]


def test_outside_a_git_repository(tmp_path):
    repo = make_repo(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    out = repo.helper("git-stats")
    assert out.returncode == 0
    import subprocess

    from handoff_fixtures import HELPERS, PY

    bad = subprocess.run(
        [PY, str(HELPERS), "git-stats", "--root", str(plain)], capture_output=True, text=True, env=repo.env
    )
    assert bad.returncode == 1
    assert bad.stderr == f"handoff: {plain}: not a git repository (git-stats needs one)\n"
    soft = subprocess.run(
        [PY, str(HELPERS), "git-stats", "--no-fail", "--root", str(plain)], capture_output=True, text=True, env=repo.env
    )
    assert soft.returncode == 0
    assert json.loads(soft.stdout) == {"error": f"{plain}: not a git repository (git-stats needs one)"}
    cwd = subprocess.run([PY, str(HELPERS), "git-stats"], capture_output=True, text=True, env=repo.env, cwd=plain)
    assert cwd.returncode == 1 and "not inside a git repository" in cwd.stderr


def test_bad_since_is_one_line(repo):
    out = repo.helper("git-stats", "--since", "yesterday-ish")
    assert out.returncode == 1
    assert out.stderr == "handoff: since: 'yesterday-ish' is not an ISO 8601 timestamp (e.g. 2026-11-21T04:27:22Z)\n"


def test_default_start_is_the_previous_handoff_commit(repo):
    repo.commit("work before", when="2026-01-02T09:00:00Z")
    handoff = repo.commit("handoff: RT-260102-01", {"docs/sessions/RT-260102-01.md": "x"}, when="2026-01-02T10:00:00Z")
    repo.commit("work after", when="2026-01-02T10:00:30Z")
    out = stats(repo)
    assert out["since_source"] == "previous_handoff"
    assert out["commits_by"] == "ancestry" and out["start_commit"] == handoff and out["since"] is None
    assert [c["subject"] for c in out["commit_list"]] == ["work after"]


def test_default_start_ignores_other_operators_handoffs(repo):
    mine = repo.commit("mine", {"docs/sessions/RT-260102-01.md": "x"}, when="2026-01-02T10:00:00Z")
    repo.commit("theirs", {"docs/sessions/ZZ-260102-01.md": "x"}, when="2026-01-02T11:00:00Z")
    out = stats(repo)
    assert out["start_commit"] == mine
    assert [c["subject"] for c in out["commit_list"]] == ["theirs"]


def test_default_since_without_handoffs_is_the_first_commit(repo):
    first_time = repo.git("log", "--reverse", "--format=%cI").splitlines()[0]
    repo.commit("more")
    out = stats(repo)
    assert out["since_source"] == "first_commit"
    assert out["commits"] == 2
    assert out["first_commit_at"][:19] == first_time[:19]


def test_default_since_is_the_telemetry_start(repo):
    repo.commit("before the session", when="2020-01-01T00:00:05Z")
    repo.hook("SessionStart", "s-tel")
    repo.commit("during the session")
    out = stats(repo, env={"CLAUDE_CODE_SESSION_ID": "s-tel"})
    assert out["since_source"] == "telemetry"
    assert [c["subject"] for c in out["commit_list"]] == ["during the session"]
