"""Every change to a log or workstream is seen by the very next command (lib/catalog/scan.py).

Each test changes the files as a tool or a person does (an editor saving in place, rsync -t,
git checkout, a rename) and asks the real ``search`` command right after: no second command,
no waiting. Logs dated October 2026 (noise()) are old next to the tests' now (2026-11-21).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time

import pytest
from catalogtree import (
    OLD,
    catalog,
    edit_in_place,
    git,
    ids,
    log,
    log_path,
    noise,
    one_line,
    quiet,
    search,
    site,
)

from handoff_fixtures import make_repo
from logtree import run_helper, write_ws


def built(repo, n: int = 6) -> None:
    """``n`` old logs, the catalog built from them."""
    noise(repo, n)
    quiet(repo)
    search(repo, "anything")


def test_a_command_when_nothing_changed_writes_nothing(repo) -> None:
    built(repo)
    search(repo, "anything")  # (the build saw files changed within the racy window: their ctime)
    before = {p.name: p.stat().st_mtime_ns for p in catalog(repo).parent.iterdir()}
    assert ids(search(repo, "routine", "--limit", "100"))
    assert {p.name: p.stat().st_mtime_ns for p in catalog(repo).parent.iterdir()} == before


def test_new_renamed_and_deleted_logs(repo) -> None:
    built(repo)
    new = log(repo, "AB-261009-01", "Heron", did="- heron")
    assert ids(search(repo, "heron")) == ["AB-261009-01"]
    quiet(repo)
    renamed = new.with_name("AB-261009-02.md")
    os.rename(new, renamed)
    assert ids(search(repo, "heron")) == ["AB-261009-02"]
    renamed.unlink()
    assert search(repo, "heron")["hits"] == []


def test_an_old_log_replaced_by_rename_with_its_old_size_and_mtime(repo) -> None:
    """A tool that writes a temporary file and renames it over the log, then sets the old mtime:
    a new inode under the old name, same size, same mtime."""
    built(repo)
    path = log_path(repo, OLD)
    st = path.stat()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(path.read_text().replace("Routine", "Osprey!"))  # same length
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert ids(search(repo, "osprey")) == [OLD]


def test_an_old_log_edited_in_place_with_its_mtime_put_back(repo) -> None:
    """Same inode, same size, same mtime (an editor saving in place, then rsync -t or tar
    putting the mtime back): the ctime still moved, and no one can set it back."""
    built(repo)
    search(repo, "anything")
    edit_in_place(log_path(repo, OLD), "Routine", "Bittern")
    assert ids(search(repo, "bittern")) == [OLD]
    edit_in_place(log_path(repo, OLD), "Bittern", "Routine")
    assert search(repo, "bittern")["hits"] == []


def test_a_workstream_edited_in_place_with_its_mtime_put_back(repo) -> None:
    ws = write_ws(repo, "storage", "RT", body_extra="Notes on the pier.\n")
    built(repo)
    search(repo, "anything")
    edit_in_place(ws, "pier", "quay")
    assert ids(search(repo, "quay")) == ["storage"] and search(repo, "pier")["hits"] == []


def test_a_checkout_that_rewrites_an_old_and_a_new_log(repo) -> None:
    """git replaces a file by unlink and create, often handing the freed inode number straight
    back; each rewritten log is seen by the command right after the checkout, both ways."""
    noise(repo, 6)
    log(repo, "RT-261120-01", "Recent", did="- recent work")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "logs")
    git(repo, "checkout", "-qb", "other")
    edit_in_place(log_path(repo, OLD), "Routine", "Scaupss")
    edit_in_place(log_path(repo, "RT-261120-01"), "recent work", "grebe works")
    git(repo, "commit", "-qam", "edits")
    git(repo, "checkout", "-q", "-")
    quiet(repo)
    assert search(repo, "scaupss")["hits"] == [] and search(repo, "grebe")["hits"] == []
    git(repo, "checkout", "-q", "other")
    assert ids(search(repo, "scaupss")) == [OLD]
    assert ids(search(repo, "grebe")) == ["RT-261120-01"]
    git(repo, "checkout", "-q", "-")
    assert search(repo, "grebe")["hits"] == []
    assert search(repo, "scaupss")["hits"] == []


def test_a_restore_that_keeps_head(repo) -> None:
    """``git checkout -- FILE`` (HEAD stays) rewrites an edited old log back."""
    noise(repo, 6)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "logs")
    path = log_path(repo, OLD)
    edit_in_place(path, "Routine", "Smewsss")
    quiet(repo)
    assert ids(search(repo, "smewsss")) == [OLD]
    git(repo, "checkout", "-q", "--", str(path))
    assert "Smewsss" not in path.read_text()
    assert search(repo, "smewsss")["hits"] == []


# A file system whose timestamps are whole seconds, rounded down to even ones (FAT keeps
# mtimes so): two writes within one tick leave the same mtime and ctime. Only the logs are
# stat'ed so; everything else sees the real clock.
COARSE_FS = r"""
import os
_stat = os.stat
TICK = 2_000_000_000

def stat(path, *args, **kwargs):
    st = _stat(path, *args, **kwargs)
    if not str(os.fsdecode(path)).endswith(".md"):
        return st
    fields = list(st[:10])
    extra = {}
    for name, at in (("st_atime", 7), ("st_mtime", 8), ("st_ctime", 9)):
        ns = getattr(st, name + "_ns") // TICK * TICK
        fields[at] = ns // 10**9
        extra[name] = ns / 1e9
        extra[name + "_ns"] = ns
    return os.stat_result(fields, extra)

os.stat = stat
"""


@pytest.mark.parametrize("mtime_put_back", [False, True], ids=["edited", "edited-mtime-put-back"])
def test_a_second_change_within_one_timestamp_tick(repo, tmp_path, mtime_put_back) -> None:
    """On a file system with coarse timestamps a log rewritten in place at the same size within
    one tick of the command that read it has the stat that command saw; a file changed that
    recently (its mtime, or its ctime when the mtime was put back as ``rsync -t`` does) is saved
    as unknown (scan.settled), so the next command reads it again."""
    coarse = site(tmp_path, COARSE_FS)
    path = log(repo, "RT-261120-02", "Seabird", did="- puffin")
    old = time.time() - 86400

    def rewrite(a, b):
        path.write_text(path.read_text().replace(a, b))
        if mtime_put_back:
            os.utime(path, (old, old))

    for _ in range(5):  # until the first write, the search and the rewrite fit in one 2 s tick
        while time.time() % 2 > 0.1:
            time.sleep(0.02)
        rewrite("gannet", "puffin")
        first = path.stat()
        assert ids(search(repo, "puffin", env=coarse)) == ["RT-261120-02"]
        rewrite("puffin", "gannet")
        second = path.stat()
        if first.st_ctime_ns // (2 * 10**9) == second.st_ctime_ns // (2 * 10**9):
            break
    else:
        raise AssertionError("the machine is too slow for a search within 2 s")
    assert ids(search(repo, "gannet", env=coarse)) == ["RT-261120-02"]
    assert search(repo, "puffin", env=coarse)["hits"] == []


def _warned(result: dict, name: str) -> list:
    return [w for w in result["warnings"] if name in w]


def test_file_names_that_are_not_utf8_are_skipped_with_a_warning(repo) -> None:
    """A legacy ``CONV-*.md`` log and a workstream whose names are not UTF-8 cannot be stored:
    each is one warning (rename it), the rest is answered, whether there at the first build or
    added later; removed, its warning goes."""
    write_ws(repo, "storage", "RT", body_extra="Gannet notes.\n")
    log(repo, "RT-261101-01", "Storage", decisions="- gannet")
    sessions = os.fsencode(repo / "docs" / "sessions")
    legacy = os.path.join(sessions, b"CONV-caf\xe9.md")
    with open(legacy, "wb") as f:
        f.write(b"---\ntitle: Old\n---\n# Old\n\ngannet\n")
    first = search(repo, "gannet")
    assert sorted(ids(first)) == ["RT-261101-01", "storage"]
    assert _warned(first, "CONV-caf") and all("not UTF-8" in w for w in _warned(first, "CONV-caf"))
    workstream = os.path.join(os.fsencode(repo / "workstreams"), b"w\xfe.md")
    with open(workstream, "wb") as f:
        f.write(b"---\ntitle: t\n---\ngannet\n")
    not_a_log_name = os.path.join(sessions, b"AB-261001-0\xe9.md")
    with open(not_a_log_name, "wb") as f:
        f.write(b"# x\n\ngannet\n")
    later = search(repo, "gannet")
    assert sorted(ids(later)) == ["RT-261101-01", "storage"]
    assert len(_warned(later, "CONV-caf")) == 1 and len(_warned(later, "workstreams/w")) == 1, later["warnings"]
    for p in (legacy, workstream, not_a_log_name):
        os.unlink(p)
    assert search(repo, "gannet")["warnings"] == []


def test_a_worktree_path_that_is_not_utf8_is_one_line(tmp_path) -> None:
    root = tmp_path / os.fsdecode(b"caf\xe9")
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    log(root, "RT-261121-05", "New", decisions="- dotterel")
    one_line(run_helper(root, "search", "dotterel"), "not UTF-8")
    proc = run_helper(root, "search", "--no-fail", "dotterel")  # as /recall runs it
    assert proc.returncode == 0 and "not UTF-8" in proc.stdout


def test_worktrees_sharing_one_state_dir_each_see_their_own_files(tmp_path) -> None:
    r = make_repo(tmp_path)
    noise(r.path, 9)
    git(r.path, "add", "-A")
    git(r.path, "commit", "-qm", "logs")
    other = tmp_path / "wt2"
    git(r.path, "worktree", "add", "-q", str(other))
    shared = {"HANDOFF_STATE_DIR": str(tmp_path / "shared-state")}
    quiet(r.path)
    quiet(other)
    assert len(search(r.path, "routine", env=shared)["hits"]) == 9
    assert len(search(other, "routine", env=shared)["hits"]) == 9
    assert [n for n in os.listdir(tmp_path / "shared-state") if not n.endswith(".lock")] == ["catalog.sqlite3"]
    log(other, "RT-261120-03", "Only in wt2", did="- cormorant")
    edit_in_place(log_path(other, OLD), "Routine", "Dunlins")  # the same log, edited in one worktree only
    assert ids(search(other, "cormorant", env=shared)) == ["RT-261120-03"]
    assert ids(search(other, "dunlins", env=shared)) == [OLD]
    assert search(r.path, "cormorant", env=shared)["hits"] == []
    assert search(r.path, "dunlins", env=shared)["hits"] == []
    assert len(search(r.path, "routine", "--limit", "100", env=shared)["hits"]) == 9
    shutil.rmtree(other)
    git(r.path, "worktree", "prune")
    assert len(search(r.path, "routine", "--limit", "100", env=shared)["hits"]) == 9
    log(r.path, "RT-261120-04", "After the prune", did="- grebe")  # the next update drops the gone worktree's rows
    assert ids(search(r.path, "grebe", env=shared)) == ["RT-261120-04"]
    with sqlite3.connect(tmp_path / "shared-state" / "catalog.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM docs WHERE root = ?", (str(other),)).fetchone()[0] == 0

