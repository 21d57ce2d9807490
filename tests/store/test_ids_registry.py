"""store/id_registry.py and store/remote_fetch.py read refs, worktrees and remotes the way git
keeps them (no process on /handoff's path); each reader is checked against git's own answer."""

from __future__ import annotations

from idsutil import clone, commit_all, git, make_remote

from lib.core.project import Project
from lib.store import id_registry, remote_fetch


def test_refs_and_worktrees_read_from_disk_equal_gits_answer(tmp_path):
    bare = make_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    for i in range(5):
        git(a, "branch", "b%d" % i)
    git(a, "pack-refs", "--all")  # some refs packed ...
    (a / "x.txt").write_text("x")
    commit_all(a, "moves main past its packed value")  # ... and a loose ref that wins over it
    git(a, "branch", "nested/deep/branch")
    git(a, "push", "-q", "origin", "main", "b1")
    git(a, "fetch", "-q", "origin")
    git(a, "worktree", "add", "-q", str(tmp_path / "wt one"), "b2")
    git(a, "worktree", "add", "-q", "--detach", str(tmp_path / "wt2"))
    project = Project.at(str(a))
    from_git = [(sha, n) for sha, n in id_registry._ref_tips_from_git(str(a)) if not n.endswith("/HEAD")]
    assert id_registry.ref_tips(project) == sorted(from_git)  # symbolic origin/HEAD: skipped
    assert any(name == "refs/remotes/origin/b1" for _, name in id_registry.ref_tips(project))
    assert id_registry.worktree_roots(project) == id_registry._worktree_roots_from_git(str(a))
    linked = Project.at(str(tmp_path / "wt one"))
    assert id_registry.worktree_roots(linked) == id_registry._worktree_roots_from_git(str(a))


def test_remote_config_read_from_disk_equals_gits_answer(tmp_path):
    bare = make_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    git(a, "remote", "add", "backup", str(bare))
    git(a, "config", "branch.feature.remote", "backup")
    project = Project.at(str(a))
    from_file = remote_fetch._config_from_file(project.git_common_dir)
    assert from_file == remote_fetch._config_from_git(str(a))
    assert remote_fetch.choose_remote(project) == "origin"
    git(a, "checkout", "-q", "-b", "feature")
    assert remote_fetch.choose_remote(Project.at(str(a))) == "backup"
    git(a, "checkout", "-q", "--detach")
    assert remote_fetch.choose_remote(Project.at(str(a))) == "origin"
    git(a, "config", "include.path", "extra.cfg")  # includes: git is asked instead
    assert remote_fetch._config_from_file(project.git_common_dir) is None
