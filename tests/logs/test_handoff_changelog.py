"""changelog: the session's commits, one canonical line each, once (format: lib/logs/changelog.py)."""

from __future__ import annotations

import json

import pytest

from handoff_fixtures import make_repo

NOW = {"HANDOFF_NOW": "2026-11-21T12:00:00Z"}
LOG = "docs/sessions/CHANGELOG.md"  # ours: the repository has no CHANGELOG.md (core/changelog_path.py)


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def run(repo, *args):
    return json.loads(repo.helper_ok("changelog", *args, env=NOW).stdout)


def test_adds_commits_one_line_each_once(repo):
    from lib.logs import changelog

    a = repo.commit("feat: parse dates", when="2026-11-21T09:00:00Z")
    b = repo.commit("fix: `quotes` and *stars*", when="2026-11-21T10:00:00Z")
    out = run(repo, "--since", "2026-11-21T08:00:00Z")
    assert out["added"] == [a[:12], b[:12]]  # oldest first
    text = (repo.path / LOG).read_text()
    assert text == (
        f"# Changelog\n\n{changelog.MARKER}\n\n- 2026-11-21 09:00 feat: parse dates (`{a[:12]}`)\n"
        f"- 2026-11-21 10:00 fix: `quotes` and *stars* (`{b[:12]}`)\n"
    )
    again = run(repo, "--since", "2026-11-21T08:00:00Z")
    assert again["added"] == [] and sorted(again["skipped"]) == sorted([a[:12], b[:12]])
    assert (repo.path / LOG).read_text() == text


def test_v1_file_is_kept_readable_and_rewritten_canonically(repo):
    v1 = "# Changelog\n\nHand-written intro.\n\n## 2026-11-20\n\n- old (`abcdef0`)\n- no hash\n"
    (repo.path / "CHANGELOG.md").write_text(v1)  # a v1 file of ours (no marker yet) stays where it is
    repo.commit("one", when="2026-11-21T09:00:00Z")
    run(repo, "--since", "2026-11-21T08:00:00Z")
    repo.commit("two", when="2026-11-21T11:00:00Z")
    run(repo, "--since", "2026-11-21T10:00:00Z")
    lines = (repo.path / "CHANGELOG.md").read_text().splitlines()
    assert lines[:3] == ["# Changelog", "", "Hand-written intro."] and not (repo.path / LOG).exists()
    entries = [x for x in lines if x.startswith("- ")]
    assert entries[:2] == ["- 2026-11-20 no hash", "- 2026-11-20 old (`abcdef0`)"]
    assert entries[2].startswith("- 2026-11-21 09:00 one (") and entries[3].startswith("- 2026-11-21 11:00 two (")


def test_a_merged_file_out_of_order_is_put_back_in_order(repo):
    a = repo.commit("first", when="2026-11-21T09:00:00Z")
    run(repo, "--since", "2026-11-21T08:00:00Z")
    path = repo.path / LOG
    entry = [x for x in path.read_text().splitlines() if x.startswith("- ")][0]
    path.write_text(path.read_text() + entry + "\n")  # what a union merge can leave
    out = run(repo, "--since", "2026-11-21T10:00:00Z")
    assert out["canonicalized"] and path.read_text().count(a[:12]) == 1


def test_leaves_out_handoff_commits_and_merges(repo):
    repo.commit("work", when="2026-11-21T09:00:00Z")
    repo.commit("handoff: RT-261121-01 earlier", {"docs/sessions/RT-261121-01.md": "x"}, when="2026-11-21T09:30:00Z")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side work", when="2026-11-21T09:40:00Z")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge side", "side", env={"GIT_COMMITTER_DATE": "2026-11-21T09:50:00Z"})
    out = run(repo, "--since", "2026-11-21T08:00:00Z")
    text = (repo.path / LOG).read_text()
    assert len(out["added"]) == 2
    assert " work (" in text and " side work (" in text
    assert "handoff:" not in text and "Merge side" not in text


def test_no_commits_changes_nothing(tmp_path):
    repo = make_repo(tmp_path, commit=False)
    out = run(repo)
    assert out["added"] == [] and not (repo.path / LOG).exists()


def test_default_window_is_the_session(repo):
    repo.commit("before", when="2020-01-02T00:00:00Z")
    repo.hook("SessionStart", "cl-1")
    repo.commit("during")
    out = json.loads(repo.helper_ok("changelog", env={"CLAUDE_CODE_SESSION_ID": "cl-1"}).stdout)
    assert out["since_source"] == "telemetry" and len(out["added"]) == 1
    assert " during (" in (repo.path / LOG).read_text()
