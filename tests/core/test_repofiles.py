"""Issue 20 item 4: every command that opens a file of the repository opens it through
`core.repofiles` and never opens what it should not.

Each command meets, at the path it reads, a link to ``/dev/zero`` (memory must stay bounded), a
FIFO (it must not hang), a link to a file outside the repository (its content must not be read
into the repository) and bytes that are not UTF-8: one line naming the file, never a traceback.
`renumber` has its own tests (tests/store/test_renumber_safety.py).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess

import pytest

from handoff_fixtures import HELPERS, PY, make_repo, request, today_day
from lib.core import repofiles

MEMORY_CAP = 1 << 30
KINDS = ("dev-zero", "fifo", "outside", "not-utf8")
OUTSIDE = "---\nid: RT-990101-01\ntitle: a secret kept outside the repository\n---\nSECRET-CONTENT\n"
REASON = {"dev-zero": "is a symbolic link; not read", "fifo": "not a regular file; not read",
          "outside": "is a symbolic link; not read", "not-utf8": "not UTF-8 text"}


def _capped():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(repo, *args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The helper as users run it, memory capped (a /dev/zero read dies here) and time bounded (a FIFO)."""
    out = subprocess.run([PY, str(HELPERS), *args, "--root", str(repo.path)], capture_output=True, text=True,
                         input=stdin, cwd=repo.path, timeout=20, env={**repo.env, **(env or {})},
                         preexec_fn=_capped)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def plant(path, kind: str, outside) -> None:
    """``path`` becomes the hostile ``kind``; ``outside`` is the file a link points to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "outside":
        outside.write_text(OUTSIDE)
        os.symlink(outside, path)
    else:
        path.write_bytes(b"---\nid: RT-990101-01\ntitle: caf\xe9\n---\n")


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


# ---- the function itself


@pytest.mark.parametrize("kind", KINDS)
def test_read_repo_text_refuses_in_one_error(tmp_path, kind):
    path = tmp_path / "repo" / "x.md"
    plant(path, kind, tmp_path / "outside.md")
    with pytest.raises(repofiles.Unreadable) as caught:
        repofiles.read_repo_text(str(path), shown="x.md")
    assert str(caught.value) == "x.md: " + REASON[kind]


def test_bounded_missing_and_outside_the_root(tmp_path):
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    big = root / "docs" / "big.md"
    big.write_bytes(b"x" * 101)
    with pytest.raises(repofiles.Unreadable, match="over 100 bytes; not read"):
        repofiles.read_repo_file(str(big), max_bytes=100)
    assert repofiles.read_repo_file(str(root / "docs" / "gone.md"), missing_ok=True) is None
    with pytest.raises(repofiles.Unreadable) as caught:
        repofiles.read_repo_file(str(root / "docs" / "gone.md"))
    assert caught.value.missing and caught.value.reason == "no such file"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "log.md").write_text(OUTSIDE)
    os.symlink(elsewhere, root / "linked")  # a directory link: the file is a regular one, outside
    with pytest.raises(repofiles.Unreadable, match="outside the repository"):
        repofiles.read_repo_file(str(root / "linked" / "log.md"), root=str(root))
    assert repofiles.read_repo_file(str(big), root=str(root)) == b"x" * 101


# ---- the commands


@pytest.mark.parametrize("kind", KINDS)
def test_validate_names_a_hostile_log_and_goes_on(repo, tmp_path, kind):
    repo.write_ok(request())
    rel = "docs/sessions/RT-%s-05.md" % today_day()
    plant(repo.path / rel, kind, tmp_path / "outside.md")
    out = run(repo, "validate")
    assert out.returncode == 1
    assert out.stdout.splitlines() == ["%s: (frontmatter): %s" % (rel, REASON[kind])]


@pytest.mark.parametrize("name", ["docs/sessions/CHANGELOG.md", "docs/sessions/INDEX.md"])  # handoff's commit log
@pytest.mark.parametrize("kind", ("dev-zero", "fifo", "outside"))
def test_validate_names_a_hostile_changelog_or_index(repo, tmp_path, kind, name):
    repo.write_ok(request())
    repo.helper_ok("regen-indexes")
    plant(repo.path / name, kind, tmp_path / "outside.md")
    out = run(repo, "validate")
    assert out.returncode == 1
    assert "%s: (file): %s" % (name, REASON[kind]) in out.stdout.splitlines(), out.stdout


def test_validate_names_a_changelog_that_is_not_utf8(repo, tmp_path):
    plant(repo.path / "docs/sessions/CHANGELOG.md", "not-utf8", None)
    out = run(repo, "validate")
    assert out.returncode == 1 and "docs/sessions/CHANGELOG.md: (file): not UTF-8 text" in out.stdout.splitlines(), \
        out.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_changelog_refuses_a_hostile_changelog_and_writes_nothing(repo, tmp_path, kind):
    outside = tmp_path / "outside.md"
    ours = repo.path / "docs" / "sessions" / "CHANGELOG.md"  # handoff's commit log (core/changelog_path.py)
    plant(ours, kind, outside)
    out = run(repo, "changelog", "--since", "2019-01-01T00:00:00Z")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == ["handoff: %s: %s" % (ours, REASON[kind])]
    if kind == "outside":
        assert os.path.islink(ours) and outside.read_text() == OUTSIDE


@pytest.mark.parametrize("kind", KINDS)
def test_regen_indexes_replaces_a_hostile_index_with_its_own(repo, tmp_path, kind):
    repo.write_ok(request())
    outside = tmp_path / "outside.md"
    index = repo.path / "docs" / "sessions" / "INDEX.md"
    plant(index, kind, outside)
    out = run(repo, "regen-indexes")
    assert out.returncode == 0, out.stderr
    assert not index.is_symlink() and index.is_file() and "SECRET-CONTENT" not in index.read_text()
    if kind == "outside":
        assert outside.read_text() == OUTSIDE


@pytest.mark.parametrize("kind", KINDS)
def test_backfill_skips_a_hostile_legacy_log(repo, tmp_path, kind):
    plant(repo.path / "docs" / "sessions" / "CONV-x.md", kind, tmp_path / "outside.md")
    out = run(repo, "backfill", "--operator", "RT", "--write")
    assert out.returncode in (0, 1), out.stderr
    assert "docs/sessions/CONV-x.md" in out.stdout + out.stderr and REASON[kind] in out.stdout + out.stderr
    if kind == "outside":
        assert (tmp_path / "outside.md").read_text() == OUTSIDE


@pytest.mark.parametrize("kind", KINDS)
def test_write_session_never_updates_through_a_hostile_log(repo, tmp_path, kind):
    first = repo.write_ok(request())
    outside = tmp_path / "outside.md"
    plant(repo.path / first["path"], kind, outside)
    out = run(repo, "write-session", env={"CLAUDE_CODE_SESSION_ID": "sess-1"}, stdin=json.dumps(request()))
    assert out.returncode == 0, out.stderr
    second = json.loads(out.stdout)
    assert second["action"] == "created" and second["path"] != first["path"]
    if kind == "outside":
        assert outside.read_text() == OUTSIDE
