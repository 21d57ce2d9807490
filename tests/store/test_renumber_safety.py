"""Issue 20 item 4: `renumber` never opens what it should not, and a failed step changes nothing.

A log path that is a link to ``/dev/zero``, a FIFO, a link to a file outside the repository or
a file that is not UTF-8 is refused in one line with the tree as it was: no hang, no unbounded
read, no foreign content staged. A commit refused by the user's pre-commit hook puts back the
files, the index and ``git status`` exactly as they were (staged and unstaged changes of the
user's included).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest
from idsutil import HELPERS, clone, commit_all, env_for, git, make_remote, write_session

MEMORY_CAP = 1 << 30  # a helper that reads /dev/zero whole dies here instead of taking the machine


def _capped():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(root, *args: str) -> subprocess.CompletedProcess:
    """The helper as users run it, with a memory cap and a time bound (a FIFO would hang it)."""
    argv = [sys.executable, str(HELPERS), args[0], "--root", str(root), *args[1:]]
    return subprocess.run(argv, capture_output=True, text=True, cwd=root, timeout=20, env=env_for(root.parent),
                          preexec_fn=_capped)


def snapshot(root) -> tuple:
    """What a user sees of the tree: status, staged and unstaged diffs, HEAD, the logs' bytes."""
    sessions = root / "docs" / "sessions"
    files = {}
    for p in sorted(sessions.iterdir()):
        files[p.name] = os.readlink(p) if p.is_symlink() else (p.read_bytes() if p.is_file() else "special")
    return (git(root, "status", "--porcelain", "--untracked-files=all"), git(root, "diff", "--cached"),
            git(root, "diff"), git(root, "rev-parse", "HEAD"), files)


@pytest.fixture
def clone_with_log(tmp_path):
    """A clone with one committed log of today (RT-<day>-01) and its INDEX.md; returns (clone, log id)."""
    bare = make_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    first = write_session(a, "s-1", HANDOFF_OPERATOR="RT")
    (a / "CHANGELOG.md").write_text("- 2026-01-01 10:00 handoff: %s (abcdef1)\n" % first["id"])
    git(a, "add", "-A")
    subprocess.run([sys.executable, str(HELPERS), "regen-indexes", "--root", str(a)], check=True,
                   capture_output=True, env=env_for(a.parent))
    commit_all(a, "handoff: first log")
    return a, first["id"]


def _hostile(a, log_id, kind, tmp_path):
    """docs/sessions/<day>-05.md as ``kind``; returns its relative path."""
    rel = "docs/sessions/%s05.md" % log_id[:-2]
    path = a / rel
    if kind == "dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "outside":
        secret = tmp_path / "outside.md"
        secret.write_text((a / ("docs/sessions/%s.md" % log_id)).read_text()
                          .replace(log_id, "%s05" % log_id[:-2]).replace("s-1", "secret-session"))
        os.symlink(secret, path)
    elif kind == "not-utf8":
        path.write_bytes(b"---\nid: %s05\ntitle: caf\xe9\n---\n\n## Summary\n" % log_id[:-2].encode())
    return rel


@pytest.mark.parametrize("kind,reason", [
    ("dev-zero", "is a symbolic link; not read"),
    ("fifo", "not a regular file; not read"),
    ("outside", "is a symbolic link; not read"),
    ("not-utf8", "not UTF-8 text"),
])
def test_renumber_refuses_what_it_must_not_open_and_changes_nothing(clone_with_log, tmp_path, kind, reason):
    a, log_id = clone_with_log
    rel = _hostile(a, log_id, kind, tmp_path)
    before = snapshot(a)
    out = run(a, "renumber", rel)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr
    assert out.stderr.splitlines() == ["handoff: %s: %s; nothing changed" % (rel, reason)]
    assert snapshot(a) == before
    if kind == "outside":
        assert "secret-session" not in git(a, "diff", "--cached") + git(a, "log", "-p", "-1")


def test_a_commit_refused_by_the_pre_commit_hook_leaves_git_status_exactly_as_before(clone_with_log):
    a, log_id = clone_with_log
    rel = "docs/sessions/%s.md" % log_id
    # the user's own work in progress: a staged change of CHANGELOG.md (which renumber rewrites),
    # an unstaged one of INDEX.md (which it regenerates), an untracked file
    with open(a / "CHANGELOG.md", "a") as f:
        f.write("- 2026-01-02 10:00 something of the user's (1234567)\n")
    git(a, "add", "CHANGELOG.md")
    with open(a / "docs" / "sessions" / "INDEX.md", "a") as f:
        f.write("\nan unstaged note\n")
    (a / "notes.txt").write_text("untracked\n")
    hooks = a / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\necho 'pre-commit: refused by policy' >&2\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    entries_before = git(a, "ls-files", "--stage")
    before = snapshot(a)
    changelog_before = (a / "CHANGELOG.md").read_bytes()
    index_md_before = (a / "docs" / "sessions" / "INDEX.md").read_bytes()

    out = run(a, "renumber", rel)
    assert out.returncode == 1, out.stdout + out.stderr
    assert snapshot(a) == before
    assert "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith("handoff: %s: renumbering to %s02 failed (" % (rel, log_id[:-2]))
    assert "pre-commit: refused by policy" in out.stderr and out.stderr.rstrip().endswith("undone, nothing changed")
    assert (a / "CHANGELOG.md").read_bytes() == changelog_before
    assert (a / "docs" / "sessions" / "INDEX.md").read_bytes() == index_md_before
    assert git(a, "ls-files", "--stage") == entries_before  # the index: every entry, its blob and stage

    (hooks / "pre-commit").unlink()  # the same renumber goes through once the hook lets it
    out = run(a, "renumber", rel)
    assert out.returncode == 0, out.stderr
    assert "committed" in out.stdout and not (a / rel).exists()
