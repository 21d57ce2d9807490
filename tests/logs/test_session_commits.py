"""A session's commits by ancestry, not by clock (issue 20 item 1), in real repositories.

Invariant: the commits ``git-stats``, ``changelog`` and ``write-session`` give a session are the
commits of ``<start>..HEAD`` (the start being the HEAD the SessionStart hook recorded) that this
clone's committer made, whatever their dates; commits that a merge, a fast-forward or a
``pull --rebase`` brings in from others are not among them; the log lists them
(``commit_shas``, oldest first). Only a session with no recorded start is counted by the clock,
and then every one of the three says so.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from handoff_fixtures import Repo, make_repo, request
from lib.core import isotime

SID = "sess-anc"
MATE = {"GIT_AUTHOR_NAME": "Mate Teammate", "GIT_AUTHOR_EMAIL": "mate@example.com",
        "GIT_COMMITTER_NAME": "Mate Teammate", "GIT_COMMITTER_EMAIL": "mate@example.com"}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def ago(seconds: float) -> str:
    return isotime.iso_z(time.time() - seconds)


def head(repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


def session_env(sid=SID) -> dict:
    return {"CLAUDE_CODE_SESSION_ID": sid} if sid else {}


def git_stats(repo, sid=SID) -> dict:
    return json.loads(repo.helper_ok("git-stats", env=session_env(sid)).stdout)


def changelog(repo, sid=SID):
    out = repo.helper_ok("changelog", env=session_env(sid))
    return json.loads(out.stdout), out.stderr


def handoff(repo, sid=SID) -> dict:
    """What /handoff's helpers say about the session: git-stats, write-session, changelog."""
    stats = git_stats(repo, sid)
    written = repo.write_session(request(), sid)
    assert written.returncode == 0, written.stderr
    result = json.loads(written.stdout)
    log = repo.log(result["id"]).meta
    added, stderr = changelog(repo, sid)
    return {"stats": stats, "write": result, "write_stderr": written.stderr, "log": log, "changelog": added,
            "changelog_stderr": stderr}


def assert_session_commits(seen: dict, shas: list, start: str, in_changelog: list | None = None) -> None:
    """Each helper gives exactly ``shas`` (oldest first) as the session's commits, by ancestry from ``start``."""
    stats, log = seen["stats"], seen["log"]
    assert [c["sha"] for c in reversed(stats["commit_list"])] == shas
    assert stats["commits"] == len(shas) and stats["commits_by"] == "ancestry" and stats["start_commit"] == start
    assert stats["warnings"] == []
    assert log["commit_shas"] == shas and log["commits"] == len(shas)
    assert log["start_commit"] == start and log["commits_by"] == "ancestry"
    assert seen["write"]["commits_by"] == "ancestry" and seen["write"]["start_commit"] == start
    expected = in_changelog if in_changelog is not None else shas
    assert seen["changelog"]["added"] == [s[:12] for s in expected]
    assert "no start commit" not in seen["write_stderr"] + seen["changelog_stderr"]


def test_a_commit_dated_ten_minutes_before_the_start_counts(repo):
    start = head(repo)
    repo.hook("SessionStart", SID)
    first = repo.commit("first")
    skewed = repo.commit("skewed clock", when=ago(600))  # committer date 10 minutes before the start
    last = repo.commit("last")
    seen = handoff(repo)
    assert_session_commits(seen, [first, skewed, last], start)
    assert "skewed clock" in (repo.path / "docs" / "sessions" / "CHANGELOG.md").read_text()  # handoff's commit log


def test_rebase_with_committer_date_is_author_date(repo):
    start = head(repo)
    repo.hook("SessionStart", SID)
    yesterday = {"GIT_AUTHOR_DATE": ago(86400)}
    for name in ("one", "two"):
        (repo.path / name).write_text(name)
        repo.git("add", name)
        repo.git("commit", "-qm", name, env=yesterday)  # authored yesterday (a patch kept for a day)
    repo.git("rebase", "-q", "--force-rebase", "--committer-date-is-author-date", start)
    rewritten = repo.git("rev-list", "--reverse", f"{start}..HEAD").split()
    assert len(rewritten) == 2
    seen = handoff(repo)
    assert_session_commits(seen, rewritten, start)


def test_a_cherry_pick_of_an_older_commit_counts(repo):
    repo.git("switch", "-q", "-c", "old")
    old = repo.commit("old fix", when="2021-03-04T05:06:07Z")
    repo.git("switch", "-q", "main")
    start = head(repo)
    repo.hook("SessionStart", SID)
    mine = repo.commit("mine")
    # replayed with its dates, as `rebase --committer-date-is-author-date` and patch tools do
    repo.git("cherry-pick", old, env={"GIT_COMMITTER_DATE": "2021-03-04T05:06:07Z"})
    picked = head(repo)
    assert picked != old
    seen = handoff(repo)
    assert_session_commits(seen, [mine, picked], start)


@pytest.mark.parametrize("how", ["merge", "fast-forward"])
def test_a_teammates_branch_merged_during_the_session_is_not_counted(repo, how):
    start = head(repo)
    repo.hook("SessionStart", SID)
    repo.git("switch", "-q", "-c", "mate")
    for name in ("mate one", "mate two"):  # dated during the session, as a teammate's push would be
        (repo.path / name).write_text(name)
        repo.git("add", "-A")
        repo.git("commit", "-qm", name, env=MATE)
    repo.git("switch", "-q", "main")
    shas = []
    if how == "merge":
        shas.append(repo.commit("before the merge"))
        repo.git("merge", "-q", "--no-ff", "-m", "merge mate", "mate")
    else:
        repo.git("merge", "-q", "--ff-only", "mate")
    merge = head(repo)
    shas += ([merge] if how == "merge" else []) + [repo.commit("after the merge")]
    seen = handoff(repo)
    # the session's own merge is its commit (listed, no changelog line); the teammate's are not
    assert_session_commits(seen, shas, start, in_changelog=[s for s in shas if s != merge])
    assert seen["stats"]["others_commits"] == 2
    assert "mate one" not in (repo.path / "docs" / "sessions" / "CHANGELOG.md").read_text()  # handoff's commit log


def test_pull_rebase_over_a_teammates_push_counts_only_the_session(repo, tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "-u", "origin", "main")
    mate = Repo(tmp_path / "mate", tmp_path / "mate-home")
    subprocess.run(["git", "clone", "-q", str(remote), str(mate.path)], check=True, env=repo.env)
    start = head(repo)
    repo.hook("SessionStart", SID)
    mine = repo.commit("mine", when=ago(1200))  # and older than the teammate's too
    mate.git("config", "user.name", "Mate Teammate")
    mate.git("config", "user.email", "mate@example.com")
    mate.commit("mate pushed")
    mate.git("push", "-q", "origin", "main")
    repo.git("pull", "-q", "--rebase", "origin", "main")
    rebased = head(repo)
    assert rebased != mine and repo.git("log", "-1", "--format=%s").strip() == "mine"
    seen = handoff(repo)
    assert_session_commits(seen, [rebased], start)
    assert seen["stats"]["others_commits"] == 1


def test_changelog_without_a_session_keeps_a_commit_of_the_previous_handoffs_second(repo):
    second = "2026-01-02T10:00:00Z"
    handoff_commit = repo.commit("handoff: RT-260102-01 earlier", {"docs/sessions/RT-260102-01.md": "x"}, when=second)
    same = repo.commit("made in the same second", when=second)
    out, _ = changelog(repo, sid=None)
    assert out["added"] == [same[:12]]
    assert out["since_source"] == "previous_handoff" and out["start_commit"] == handoff_commit
    stats = git_stats(repo, sid=None)
    assert [c["sha"] for c in stats["commit_list"]] == [same]


def test_without_a_recorded_start_the_clock_is_used_and_said(repo):
    """A session whose hook was installed after it began: no SessionStart, so no start commit."""
    repo.commit("before", when=ago(3600))
    repo.tool_calls(SID, 1)
    during = repo.commit("during")
    seen = handoff(repo)
    stats, log = seen["stats"], seen["log"]
    assert stats["commits_by"] == "clock" and stats["start_commit"] is None and stats["since"]
    assert [c["sha"] for c in stats["commit_list"]] == [during]
    assert len(stats["warnings"]) == 1 and "no start commit recorded" in stats["warnings"][0]
    assert "handoff: warning: no start commit recorded" in seen["write_stderr"]
    assert "handoff: warning: no start commit recorded" in seen["changelog_stderr"]
    assert seen["changelog"]["commits_by"] == "clock" and seen["changelog"]["added"] == [during[:12]]
    assert log["commits_by"] == "clock" and log["start_commit"] is None and log["commit_shas"] == [during]


def test_a_recorded_start_missing_from_the_repository_falls_back_to_the_clock(repo):
    repo.hook("SessionStart", SID)
    record_path = repo.state / f"session-{SID}.json"
    record = json.loads(record_path.read_text())
    record["start_head"] = "f" * 40
    record_path.write_text(json.dumps(record))
    during = repo.commit("during")
    stats = git_stats(repo)
    assert stats["commits_by"] == "clock" and [c["sha"] for c in stats["commit_list"]] == [during]
    missing = "start commit ffffffffffff recorded by the session's telemetry is not in this repository"
    assert missing in stats["warnings"][0]


def test_a_session_handed_off_twice_keeps_its_first_start(repo):
    """After /handoff the telemetry is archived and a fresh part starts: the start stays the first one."""
    start = head(repo)
    repo.hook("SessionStart", SID)
    first = repo.commit("first")
    out = repo.write_ok(request(), SID)
    repo.git("add", "-A")
    repo.git("commit", "-qm", f"handoff: {out['id']} first")
    handoff_commit = head(repo)
    repo.helper_ok("archive-state", "--session-id", SID, "--log-id", out["id"])
    repo.tool_calls(SID, 1)  # the session goes on: a new live part, which saw no SessionStart
    later = repo.commit("later")
    again = repo.write_ok(request(), SID)
    assert again["id"] == out["id"] and again["action"] == "updated"
    log = repo.log(out["id"]).meta
    assert log["start_commit"] == start and log["commit_shas"] == [first, handoff_commit, later]
    added, _ = changelog(repo)
    assert added["added"] == [first[:12], later[:12]]


def test_a_linked_worktree_with_packed_refs(repo, tmp_path):
    wt_path = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "-b", "side", str(wt_path))
    repo.git("pack-refs", "--all", "--prune")
    wt = Repo(wt_path, repo.home)
    start = head(wt)
    wt.hook("SessionStart", SID)
    repo.commit("on main, not this session's")  # another worktree's commit in the same repository
    mine = wt.commit("in the worktree", when=ago(900))
    seen = handoff(wt)
    assert_session_commits(seen, [mine], start)


def test_a_log_without_the_new_fields_stays_valid(repo):
    from lib.logs import frontmatter

    repo.hook("SessionStart", SID)
    repo.commit("work")
    out = repo.write_ok(request(), SID)
    path = repo.sessions / f"{out['id']}.md"
    doc = repo.log(out["id"])
    assert {"start_commit", "commits_by", "commit_shas"} <= set(doc.meta)
    old = {k: v for k, v in doc.meta.items() if k not in ("start_commit", "commits_by", "commit_shas")}
    path.write_text(frontmatter.dumps(old, doc.body))  # as written before issue 20
    repo.helper_ok("validate", str(path))
