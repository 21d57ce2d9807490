"""The commit a session starts from: read by the hook from disk on SessionStart, without git.

Invariant: the telemetry record's ``start_head`` is what ``git rev-parse HEAD`` answered when the
session's first SessionStart ran (loose or packed refs, a detached HEAD, a linked worktree whose
``.git`` is a file, symbolic refs), nothing on an unborn branch, and nothing, with the reason in
the hook's error log, when the refs cannot be read; the hook still exits 0 and prints nothing.
The hook runs as registered in .claude/settings.json, on the SessionStart payload the real CLI
sent (tests/fixtures/payloads).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hookutil import error_log, install_bundle, payload, read_state, run_hook, sample
from lib.core import gitrefs
from lib.core.project import git_dirs
from lib.core.telemetry_record import new_record
from lib.core.telemetry_store import fold_spills, pending_spills, write_spill

ID = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
      "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(ID, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout.strip()


def start_session(project: Path, session_id: str = "s1", source_sample: str = "probe-basic-SessionStart.json",
                  **fields) -> dict:
    """Feed the real CLI's SessionStart payload (its session id replaced) to the registered hook."""
    data = dict(sample(source_sample)["stdin"], session_id=session_id, **fields)
    proc = run_hook(project, data)
    assert proc.returncode == 0 and proc.stdout == b""
    return read_state(project, session_id)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    install_bundle(project)
    git(project, "commit", "-q", "--allow-empty", "-m", "one")
    git(project, "commit", "-q", "--allow-empty", "-m", "two")
    return project


def head_on_disk(tree: Path):
    return gitrefs.head_commit(*git_dirs(str(tree)))


def test_loose_ref(repo):
    head = git(repo, "rev-parse", "HEAD")
    assert head_on_disk(repo) == head
    assert start_session(repo)["start_head"] == head
    assert error_log(repo) == ""


def test_packed_refs(repo):
    git(repo, "pack-refs", "--all", "--prune")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    head = git(repo, "rev-parse", "HEAD")
    assert head_on_disk(repo) == head
    assert start_session(repo)["start_head"] == head


def test_a_loose_ref_wins_over_its_packed_line(repo):
    git(repo, "pack-refs", "--all")  # packs main at "two" and keeps no loose file
    git(repo, "commit", "-q", "--allow-empty", "-m", "three")  # a loose main now, newer than the packed line
    head = git(repo, "rev-parse", "HEAD")
    assert head_on_disk(repo) == head
    assert start_session(repo)["start_head"] == head


def test_detached_head(repo):
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "checkout", "-q", "--detach", first)
    assert head_on_disk(repo) == first
    assert start_session(repo)["start_head"] == first


def test_symbolic_ref_chain(repo):
    git(repo, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/alias")
    assert head_on_disk(repo) == git(repo, "rev-parse", "HEAD")
    assert start_session(repo)["start_head"] == git(repo, "rev-parse", "HEAD")


def test_linked_worktree_with_a_dot_git_file(repo, tmp_path):
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "side", str(wt))
    git(wt, "commit", "-q", "--allow-empty", "-m", "on side")
    git(repo, "pack-refs", "--all", "--prune")  # the worktree's branch now lives in the common packed-refs
    assert (wt / ".git").is_file()
    install_bundle(wt)
    head = git(wt, "rev-parse", "HEAD")
    assert head != git(repo, "rev-parse", "HEAD")
    assert head_on_disk(wt) == head
    assert start_session(wt)["start_head"] == head
    # a detached worktree: its own HEAD file, not the main checkout's
    git(wt, "checkout", "-q", "--detach", "HEAD~1")
    assert start_session(wt, "s2")["start_head"] == git(wt, "rev-parse", "HEAD")


def test_sha256_repository(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    git(project, "init", "-q", "-b", "main", "--object-format=sha256")
    install_bundle(project)
    git(project, "commit", "-q", "--allow-empty", "-m", "one")
    head = git(project, "rev-parse", "HEAD")
    assert len(head) == 64
    assert start_session(project)["start_head"] == head


def test_unborn_branch_records_nothing_and_logs_nothing(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    install_bundle(project)
    assert head_on_disk(project) is None
    record = start_session(project)
    assert record["start_head"] is None and record["starts"] == 1
    assert error_log(project) == ""


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda git_dir: (git_dir / "refs" / "heads" / "main").write_text("not a hash\n"), "neither a commit hash"),
        (lambda git_dir: (git_dir / "HEAD").write_text("ref: refs/heads/../../../../etc/passwd\n"),
         "not a valid ref name"),
        (lambda git_dir: ((git_dir / "HEAD").write_text("ref: refs/heads/a\n"),
                          (git_dir / "refs" / "heads" / "a").write_text("ref: refs/heads/a\n")), "nest deeper"),
        # a reftable repository (git 2.45+) keeps this HEAD and its refs in reftable/, unread here
        (lambda git_dir: ((git_dir / "HEAD").write_text("ref: refs/heads/.invalid\n"),
                          (git_dir / "reftable").mkdir()), "reftable"),
    ],
)
def test_unreadable_refs_record_nothing_and_log_why(repo, damage, reason):
    damage(repo / ".git")
    record = start_session(repo)
    assert record["start_head"] is None and record["starts"] == 1  # the event still counts
    assert "start commit not recorded" in error_log(repo) and reason in error_log(repo)


def test_only_the_session_start_that_begins_the_record_sets_it(repo):
    head = git(repo, "rev-parse", "HEAD")
    start_session(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "during")
    record = start_session(repo, source="resume")  # --continue: the same session, started earlier
    assert record["start_head"] == head and record["starts"] == 2
    # a hook installed mid-session sees a tool call first: HEAD then is not where the session began
    run_hook(repo, payload("PostToolUse", session_id="late"))
    assert start_session(repo, "late", source="compact")["start_head"] is None


def test_a_spilled_session_start_keeps_its_head(tmp_path):
    """A SessionStart spilled past a busy lock is folded in later with the head it read."""
    state = tmp_path / "state"
    state.mkdir()
    write_spill(str(state), "s1", payload("SessionStart"), 1000.0, {}, "a" * 40)
    record, _ = fold_spills(new_record("s1", str(tmp_path), "2026-01-01T00:00:00Z"), pending_spills(str(state), "s1"),
                            print)
    assert record["start_head"] == "a" * 40 and record["starts"] == 1
