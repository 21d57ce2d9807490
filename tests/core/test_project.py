"""`Project`: the git dirs read from disk exactly as git answers them, without starting git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lib.core.discovery import Unavailable, discover
from lib.core.errors import HelperError
from lib.core.project import Project, git_dirs


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def what_git_says(cwd: Path) -> tuple[str, str]:
    out = git(cwd, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir").splitlines()
    return os.path.realpath(out[0]), os.path.realpath(out[1])


@pytest.fixture
def main_and_worktree(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    for var in ("GIT_DIR", "GIT_COMMON_DIR", "GIT_WORK_TREE", "HANDOFF_STATE_DIR"):
        monkeypatch.delenv(var, raising=False)
    main = tmp_path / "main"
    main.mkdir()
    git(main, "init", "-q")
    git(main, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "--allow-empty", "-m", "c")
    git(main, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
    return main, tmp_path / "wt"


def test_main_checkout_and_worktree_agree_with_git(main_and_worktree):
    for tree in main_and_worktree:
        got = git_dirs(str(tree))
        assert tuple(map(os.path.realpath, got)) == what_git_says(tree)
    main, wt = main_and_worktree
    assert os.path.realpath(git_dirs(str(wt))[1]) == os.path.realpath(main / ".git")  # one common dir


def test_relative_gitdir_file(main_and_worktree):
    """A ``.git`` file may hold a relative path (``git worktree add --relative-paths``, submodules)."""
    _, wt = main_and_worktree
    absolute = (wt / ".git").read_text().split(":", 1)[1].strip()
    (wt / ".git").write_text("gitdir: %s\n" % os.path.relpath(absolute, wt))
    assert tuple(map(os.path.realpath, git_dirs(str(wt)))) == what_git_says(wt)


def test_outside_git_and_a_broken_dot_git(tmp_path):
    assert git_dirs(str(tmp_path)) == (None, None)
    (tmp_path / ".git").write_text("not a gitdir line\n")
    assert git_dirs(str(tmp_path)) == (None, None)


def test_project_at_root_has_state_dir_and_paths(main_and_worktree):
    main, _ = main_and_worktree
    project = Project.at(str(main))
    assert project.root == str(main)
    assert project.path("docs", "sessions") == str(main / "docs" / "sessions")
    assert project.config_path == str(main / ".claude" / "handoff.json")
    assert os.path.realpath(project.git_common_dir) == os.path.realpath(main / ".git")


def test_discover_outside_a_repo_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)
    with pytest.raises(HelperError, match="not inside a git repository; pass --root DIR"):
        discover(None)
    with pytest.raises(HelperError, match="not a directory"):
        discover(str(tmp_path / "missing"))


def test_unavailable_raises_the_original_error_on_use():
    error = HelperError("nowhere")
    stand_in = Unavailable(error)
    with pytest.raises(HelperError) as caught:
        stand_in.root  # noqa: B018
    assert caught.value is error


def test_config_defaults_then_file_read_once(main_and_worktree):
    main, _ = main_and_worktree
    project = Project.at(str(main))
    assert project.config()["invariants"] == {"notion_writes": ["mcp__notion*__*", "mcp__plugin_*notion*__*"]}
    (main / ".claude").mkdir()
    (main / ".claude" / "handoff.json").write_text('{"invariants": {"x": "mcp__x__*", "bad": 3}, "prices": {}}')
    assert Project.at(str(main)).config()["invariants"] == {"x": ["mcp__x__*"]}
    heard = []
    fresh = Project.at(str(main))
    assert fresh.config(heard.append)["prices"] == {}
    assert heard == ["config invariant 'bad' ignored: patterns must be strings"]
    (main / ".claude" / "handoff.json").write_text("{broken")
    assert fresh.config()["prices"] == {}  # read once per run: the Project is built per run
