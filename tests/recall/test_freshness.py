"""What a warm search sees without a stat per file (lib/recall/freshness.py, verify.py).

Each kind of change, with the check that finds it: "quick" (directories and hot files
unchanged: nothing read), "changes" (the directory's listing or a hot file's stat says what
changed; only that is read), "full" (every file). Logs dated in October 2026 are old (not hot)
next to the tests' now, 2026-11-21 (logtree.NOW); RT-2611xx logs are hot.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

from recalltree import ids, log, noise, search, settle, stats

from hookutil import state_dir
from logtree import backdate, run_helper, write_ws

OLD = "AB-261001-01"  # one of noise()'s logs: old, so not hot


def quiet(root: Path, seconds: float = 3600) -> None:
    """Every log, workstream and both directories last changed ``seconds`` ago: out of the racy
    window (as when they came in a while back)."""
    backdate(root, seconds)
    t = time.time() - seconds
    for sub in ("docs/sessions", "workstreams"):
        if (root / sub).is_dir():
            os.utime(root / sub, (t, t))


def edit_in_place(path: Path, old: str, new: str) -> None:
    """Rewrite ``path`` in place (same inode), as an editor that saves in place does."""
    st = path.stat()
    with open(path, "r+", encoding="utf-8") as f:
        text = f.read().replace(old, new)
        f.seek(0)
        f.write(text)
        f.truncate()
    assert path.stat().st_ino == st.st_ino


def built(repo: Path, n: int = 6) -> None:
    noise(repo, n)
    quiet(repo)
    assert stats(repo)["check"] == "full"  # the first build


def test_nothing_changed_is_quick_and_reads_nothing(repo) -> None:
    built(repo)
    assert stats(repo) == {"check": "quick"}


def test_new_and_deleted_logs_are_seen_through_their_directory(repo) -> None:
    built(repo)
    new = log(repo, "AB-261009-01", "Heron", did="- heron")
    quiet(repo)  # even with the directory's mtime set back an hour: it is another mtime
    assert stats(repo) == {"check": "changes", "read": 1, "parsed": 1, "removed": 0}
    assert ids(search(repo, "heron")) == ["AB-261009-01"]
    new.unlink()
    quiet(repo)
    assert stats(repo) == {"check": "changes", "read": 0, "parsed": 0, "removed": 1}
    assert search(repo, "heron")["hits"] == []


def test_an_old_log_replaced_by_rename_with_its_old_size_and_mtime_is_seen(repo) -> None:
    built(repo)
    path = repo / "docs" / "sessions" / (OLD + ".md")
    text = path.read_text()
    st = path.stat()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text.replace("Routine", "Osprey!"))  # same length
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)  # a new inode under the old name
    d = path.parent
    os.utime(d, ns=(d.stat().st_atime_ns, d.stat().st_mtime_ns - 3600 * 10**9))
    assert stats(repo)["check"] == "changes"
    assert ids(search(repo, "osprey")) == [OLD]


def test_a_hot_log_edited_in_place_is_seen_by_the_same_search(repo) -> None:
    built(repo)
    hot = log(repo, "RT-261120-01", "Plover", did="- plover")
    quiet(repo)
    search(repo, "plover")
    edit_in_place(hot, "plover", "avocet")
    quiet(repo, 1800)  # the directory untouched (an hour back, then half an hour: "unchanged" is what counts)
    d = hot.parent
    t = time.time() - 3600
    os.utime(d, (t, t))
    result = stats(repo, "avocet")
    assert result["check"] == "changes" and result["read"] == 1, result
    assert ids(search(repo, "avocet")) == ["RT-261120-01"]


def test_a_workstream_edited_in_place_is_seen_by_the_same_search(repo) -> None:
    ws = write_ws(repo, "storage", "RT", body_extra="Notes on the pier.\n")
    built(repo)
    edit_in_place(ws, "pier", "jetty")
    t = time.time() - 3600
    os.utime(ws.parent, (t, t))
    assert stats(repo, "jetty")["check"] == "changes"
    assert ids(search(repo, "jetty")) == ["storage"]


def test_an_old_log_edited_in_place_is_seen_once_the_deferred_full_check_ran(repo) -> None:
    """Not hot and its directory untouched: the search that follows the edit answers from the
    cheap check ("quick") and may miss it; the full check it starts after answering brings it
    in, so the next search has it. The index is read directly to show it was the
    verification, not a search, that did."""
    built(repo)
    path = repo / "docs" / "sessions" / (OLD + ".md")
    before = path.parent.stat()
    with open(path, "a", encoding="utf-8") as f:  # in place: an append
        f.write("\n- bittern\n")
    os.utime(path.parent, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert stats(repo, "bittern") == {"check": "quick"}  # settle() waited for its verification
    con = sqlite3.connect(state_dir(repo) / "recall.sqlite3")
    assert con.execute("SELECT count(*) FROM docs_fts WHERE docs_fts MATCH 'bittern'").fetchone() == (1,)
    con.close()
    assert ids(search(repo, "bittern")) == [OLD]


def test_a_second_change_within_the_directory_timestamp_is_not_missed(repo) -> None:
    """The directory listed while its mtime is within the racy window is stored as racy and
    listed again next time: a second change that leaves the same mtime is still found."""
    built(repo)
    d = repo / "docs" / "sessions"
    log(repo, "AB-261010-01", "Gadwall", did="- gadwall")
    seen = d.stat()
    assert stats(repo, "gadwall")["check"] == "changes"
    log(repo, "AB-261010-02", "Shoveler", did="- shoveler")
    os.utime(d, ns=(seen.st_atime_ns, seen.st_mtime_ns))  # as if both came in one timestamp tick
    assert ids(search(repo, "shoveler")) == ["AB-261010-02"]


def _branch_that_edits(repo: Path, name: str, word: str) -> list:
    """Commit the logs on the current branch, then a branch ``other`` whose commit appends
    ``word`` to log ``name``; back on the first branch. The git command prefix."""
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "logs"], check=True)
    subprocess.run(git + ["checkout", "-qb", "other"], check=True)
    path = repo / "docs" / "sessions" / (name + ".md")
    path.write_text(path.read_text() + "\n- %s\n" % word)
    subprocess.run(git + ["commit", "-qam", word], check=True)
    subprocess.run(git + ["checkout", "-q", "-"], check=True)
    quiet(repo)
    assert search(repo, word)["hits"] == []
    return git


def test_a_checkout_that_rewrites_a_hot_log_is_seen_by_the_same_search(repo) -> None:
    noise(repo, 6)
    log(repo, "RT-261119-01", "Recent", did="- recent")
    git = _branch_that_edits(repo, "RT-261119-01", "grebe")
    subprocess.run(git + ["checkout", "-q", "other"], check=True)
    assert ids(search(repo, "grebe")) == ["RT-261119-01"]


def test_a_checkout_that_rewrites_an_old_log_is_seen_by_the_same_search(repo) -> None:
    """git replaces a file by unlink and create, and ext4 hands the freed inode number straight
    back: the directory changed but its listing (names, inode numbers) may not have. HEAD moved,
    so ``git diff --name-only`` between the two commits names the log."""
    noise(repo, 6)
    git = _branch_that_edits(repo, OLD, "scaup")
    subprocess.run(git + ["checkout", "-q", "other"], check=True)
    result = stats(repo, "scaup")
    assert result["check"] == "changes" and result["read"] == 1, result
    assert ids(search(repo, "scaup")) == [OLD]


def test_a_restore_that_keeps_head_is_seen_once_the_deferred_full_check_ran(repo) -> None:
    """``git checkout -- FILE`` rewrites an old log (often with its inode number back) and HEAD
    stays: the listing may show nothing, git is not asked; the full check the search starts
    after answering catches it for the next search."""
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    noise(repo, 6)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "logs"], check=True)
    path = repo / "docs" / "sessions" / (OLD + ".md")
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n- smew\n")
    quiet(repo)
    assert ids(search(repo, "smew")) == [OLD]
    subprocess.run(git + ["checkout", "-q", "--", str(path)], check=True)
    assert "smew" not in path.read_text()
    search(repo, "anything")  # may still answer from before the restore; starts the full check
    assert search(repo, "smew")["hits"] == []


def test_a_failing_verification_never_fails_the_search_and_is_logged(repo) -> None:
    built(repo)
    assert stats(repo) == {"check": "quick"}
    path = repo / "docs" / "sessions" / (OLD + ".md")
    before = path.parent.stat()
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n- dunlin\n")
    os.utime(path.parent, ns=(before.st_atime_ns, before.st_mtime_ns))
    state = state_dir(repo)
    (state / "recall.lock").unlink()
    (state / "recall.lock").mkdir()  # the writer lock cannot be opened: the verification fails
    try:
        assert search(repo, "routine")["hits"]
        log_text = (state / "hook-errors.log").read_text()
        assert "recall verification" in log_text, log_text
        assert not (state / "recall.sqlite3.moved-aside").exists()
    finally:
        (state / "recall.lock").rmdir()
    search(repo, "anything")  # with the lock back: its deferred check catches up...
    assert ids(search(repo, "dunlin")) == [OLD]  # ...for the next search


def test_head_moved_from_a_commit_git_no_longer_has_means_a_full_check(repo) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    noise(repo, 6)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "logs"], check=True)
    quiet(repo)
    assert stats(repo)["check"] == "full"
    con = sqlite3.connect(state_dir(repo) / "recall.sqlite3")
    with con:  # as if HEAD was on a commit since gc'd (or cut off by a shallow fetch)
        con.execute("UPDATE roots SET head = ?", ("0123456789" * 4,))
    con.close()
    assert stats(repo)["check"] == "full"
    assert stats(repo) == {"check": "quick"}  # the full check stored HEAD as it is


def test_a_replace_whose_tool_sets_the_directory_mtime_back_is_seen(repo) -> None:
    """rsync -a, tar x, cp -a: a file replaced (a new inode), then the directory's mtime set back
    to the source's, the very one stored: the directory's ctime still moved."""
    built(repo)
    path = repo / "docs" / "sessions" / (OLD + ".md")
    d = path.parent.stat()
    tmp = path.parent / ".tmp.sync"
    tmp.write_text(path.read_text() + "\n- sandpiper\n")
    os.replace(tmp, path)
    os.utime(path.parent, ns=(d.st_atime_ns, d.st_mtime_ns))
    assert ids(search(repo, "sandpiper")) == [OLD]


def test_a_search_while_a_check_runs_makes_that_check_run_again(repo) -> None:
    """A check whose scan began before an edit must not be the last one: the search that finds
    a check running leaves a mark, and the running check, when done, runs again."""
    from lib.core.discovery import discover
    from lib.recall import verify

    built(repo)
    project = discover(str(repo))
    lock, mark = verify.paths(project.state_dir, project.root)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a check is running (its scan from before the edit)
        path = repo / "docs" / "sessions" / (OLD + ".md")
        before = path.parent.stat()
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n- ptarmigan\n")
        os.utime(path.parent, ns=(before.st_atime_ns, before.st_mtime_ns))
        proc = run_helper(repo, "search", "--json", "--stats", "ptarmigan")
        assert '"check": "quick"' in proc.stderr and json.loads(proc.stdout)["hits"] == []
        assert os.path.exists(mark)
        verify.run(project, fd, mark)  # the running check, done with its old scan, sees the mark
    finally:
        os.close(fd)
    assert not os.path.exists(mark)
    assert ids(search(repo, "ptarmigan")) == [OLD]


def test_head_born_since_the_last_check_means_a_full_check(repo, tmp_path) -> None:
    """Logs indexed while the repository had no commit; then ``git reset --hard`` onto a fetched
    commit rewrites an old one (its inode number often handed back): HEAD was born, nothing to
    diff against, so the whole worktree is checked."""
    git = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    up = tmp_path / "up"
    subprocess.run(["git", "init", "-q", str(up)], check=True)
    noise(up, 6)
    p = up / "docs" / "sessions" / (OLD + ".md")
    p.write_text(p.read_text() + "\n- lapwing\n")
    subprocess.run(["git", "-C", str(up), *git, "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(up), *git, "commit", "-qm", "x"], check=True)
    noise(repo, 6)  # the same logs without the lapwing line, not committed
    quiet(repo)
    assert search(repo, "lapwing")["hits"] == []
    subprocess.run(["git", "-C", str(repo), "fetch", "-q", str(up), "HEAD"], check=True)
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard", "FETCH_HEAD"], check=True)
    assert stats(repo, "lapwing")["check"] == "full"
    assert ids(search(repo, "lapwing")) == [OLD]


def test_the_check_closes_every_inherited_descriptor(repo) -> None:
    """A caller reading a pipe it passed as fd 3 sees end of file when the search exits, though
    the check it started is still running (held here on the writer lock)."""
    import select
    import sys

    from logtree import HELPERS, clean_env

    built(repo)
    path = repo / "docs" / "sessions" / (OLD + ".md")
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n- dotterel\n")  # the check will want to write, and wait for the lock
    writer = os.open(state_dir(repo) / "recall.lock", os.O_RDWR)
    fcntl.flock(writer, fcntl.LOCK_EX)
    r, w = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, str(HELPERS), "search", "--root", str(repo), "anything"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(w,), env=clean_env())
        os.close(w)
        assert proc.wait(timeout=30) == 0
        ready, _, _ = select.select([r], [], [], 10)
        assert ready and os.read(r, 1) == b"", "fd 3 still open in the check"
    finally:
        os.close(r)
        fcntl.flock(writer, fcntl.LOCK_UN)
        os.close(writer)
    settle(repo)
    assert ids(search(repo, "dotterel")) == [OLD]


def test_the_check_checkpoints_what_the_search_left_in_the_wal(repo) -> None:
    """A search that wrote leaves its connection open when it exits (closing the last one would
    checkpoint the WAL on the search's time: lib/recall/cli.finish); the check it started opens
    the index after it, and its close does that: once the check is done the WAL is empty."""
    built(repo)
    log(repo, "RT-261121-05", "New", decisions="- dotterel")
    assert stats(repo)["check"] == "changes"  # (stats waits for the check)
    wal = state_dir(repo) / "recall.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert ids(search(repo, "dotterel")) == ["RT-261121-05"]


def test_a_check_that_cannot_start_leaves_the_lock_free_and_the_connection_closed(repo, monkeypatch) -> None:
    from lib.core.discovery import discover
    from lib.recall import cli, verify

    built(repo)
    project = discover(str(repo))

    def refused(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "posix_spawn", refused)
    conn = sqlite3.connect(":memory:")
    cli.finish(project, conn, {"check": "quick"}, SimpleNamespace(process_exits=True))
    try:
        conn.execute("SELECT 1")
        raise AssertionError("the connection was left open with no check to checkpoint after it")
    except sqlite3.ProgrammingError:
        pass
    lock, _ = verify.paths(project.state_dir, project.root)
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: the next search can start one
    finally:
        os.close(fd)


def test_a_check_for_another_state_dir_refuses_and_logs(repo, tmp_path) -> None:
    """The spawned program finds the project again from its root; a state dir other than the
    search's (a moved repository, a changed config) is refused, and the reason logged there."""
    import sys

    from lib.recall import verify
    from logtree import HELPERS, clean_env

    built(repo)
    other = tmp_path / "other-state"
    other.mkdir()
    fd = os.open(str(other / "x.lock"), os.O_RDWR | os.O_CREAT)
    try:
        proc = subprocess.run([sys.executable, "-c", verify.CHILD, str(HELPERS.parent), str(repo), str(other),
                               str(fd), str(other / "x.again")], pass_fds=(fd,), env=clean_env(), timeout=60)
    finally:
        os.close(fd)
    assert proc.returncode == 1
    assert "recall verification" in (other / "hook-errors.log").read_text()


def _index_fds() -> list:
    """This process's descriptors open on a recall index."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if "recall.sqlite3" in target:
            out.append(target)
    return out


def test_the_search_leaves_its_connection_open_only_when_the_process_ends_next(repo) -> None:
    """In-process (a caller that goes on) the connection is closed before main() returns: one
    closed later by the garbage collector would delete the WAL by name, a rebuilt index's too.
    Run as the launcher runs it (exiting: os._exit follows), it is left open for the check."""
    import gc

    import handoff_helpers

    built(repo)
    for n, exiting in ((5, False), (6, True)):
        log(repo, "RT-261121-%02d" % n, "New", decisions="- dotterel")
        before = set(_index_fds())
        assert handoff_helpers.main(["search", "--root", str(repo), "dotterel"], exiting=exiting) == 0
        left = set(_index_fds()) - before
        settle(repo)
        assert bool(left) == exiting, (exiting, left)
    for conn in [o for o in gc.get_objects() if isinstance(o, sqlite3.Connection)]:
        conn.close()  # the one left open above: this test process goes on


def test_the_check_never_runs_a_module_from_the_repository(repo) -> None:
    """The check runs with the repository as its current directory, and python -c puts that
    first on sys.path: a types.py there (any module the check imports) must not be run, and the
    in-place edit the check is for must still be seen."""
    built(repo)
    marker = repo / "SHADOWED"
    for name in ("types", "fcntl", "datetime", "zlib", "sqlite3", "json", "lib"):
        (repo / (name + ".py")).write_text("open(%r, 'a').write(%r)\nraise ImportError('shadowed')\n"
                                            % (str(marker), name + " "))
    path = repo / "docs" / "sessions" / (OLD + ".md")
    edit_in_place(path, "Routine", "Dotterel")
    assert search(repo, "dotterel")["hits"] == []  # not hot: the check after this search sees it
    assert ids(search(repo, "dotterel")) == [OLD]
    assert not marker.exists(), marker.read_text()
    errors = state_dir(repo) / "hook-errors.log"
    assert not errors.exists() or "verification" not in errors.read_text()


def test_a_python_that_does_not_know_its_path_answers_and_logs(repo, monkeypatch) -> None:
    """Run by a name it cannot resolve (``exec -a``), Python leaves sys.executable empty: the
    search still answers (exit 0: a failing /recall pre-execution aborts the command) and the
    check that could not start is logged."""
    import sys

    import handoff_helpers

    built(repo)
    monkeypatch.setattr(sys, "executable", "")
    log(repo, "RT-261121-05", "New", decisions="- dotterel")
    assert handoff_helpers.main(["search", "--root", str(repo), "dotterel"], exiting=True) == 0
    assert "not started" in (state_dir(repo) / "hook-errors.log").read_text()
    assert _index_fds() == []  # no check to hand the WAL to: closed


def test_a_worktree_path_that_is_not_utf8_is_one_line_not_a_traceback(tmp_path) -> None:
    root = tmp_path / os.fsdecode(b"caf\xe9")
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    log(root, "RT-261121-05", "New", decisions="- dotterel")
    proc = run_helper(root, "search", "dotterel")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "not UTF-8" in proc.stderr
    proc = run_helper(root, "search", "--no-fail", "dotterel")  # as /recall runs it
    assert proc.returncode == 0 and "not UTF-8" in proc.stdout


def test_a_listing_row_we_did_not_write_means_a_full_check(repo) -> None:
    built(repo)
    con = sqlite3.connect(state_dir(repo) / "recall.sqlite3")
    with con:
        con.execute("UPDATE listings SET inos = x'0102', dir_ctime_ns = -1")  # not whole 8-byte numbers
    con.close()
    assert stats(repo)["check"] == "full"
    assert stats(repo) == {"check": "quick"}


def test_a_workstream_name_that_is_not_utf8_is_skipped_not_fatal(repo) -> None:
    write_ws(repo, "storage", "RT", body_extra="Gannet notes.\n")
    (repo / "workstreams" / os.fsdecode(b"caf\xe9.md")).write_text("# Caf\n\ngannet\n")
    built(repo)
    assert ids(search(repo, "gannet")) == ["storage"]


def test_workstreams_index_is_not_a_workstream_even_in_an_older_index(repo, monkeypatch) -> None:
    from lib.core.discovery import discover
    from lib.recall import index

    write_ws(repo, "storage", "RT", body_extra="Notes.\n")
    (repo / "workstreams" / "INDEX.md").write_text("# Workstreams\n\n- storage: kingfisher\n")
    quiet(repo)
    monkeypatch.setattr(index, "NOT_WORKSTREAMS", ())  # as the code before this rule indexed it
    conn = index.open_current(discover(str(repo)), [], {})
    with conn:
        conn.execute("DELETE FROM listings")  # the code before this rule kept no listings either
    conn.close()
    monkeypatch.undo()
    assert search(repo, "kingfisher")["hits"] == []


def test_a_workstream_name_that_is_not_utf8_added_later_is_skipped_not_fatal(repo) -> None:
    write_ws(repo, "storage", "RT", body_extra="Gannet notes.\n")
    built(repo)
    (repo / "workstreams" / os.fsdecode(b"caf\xe9.md")).write_text("# Caf\n\ngannet\n")
    proc = run_helper(repo, "search", "--json", "--stats", "gannet")
    settle(repo)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert ids(json.loads(proc.stdout)) == ["storage"]


def test_a_legacy_log_name_that_is_not_utf8_is_skipped_not_fatal(repo) -> None:
    """``CONV-*.md`` is a log name whatever its other bytes (sessionlogs.is_log_name): such a
    name cannot be stored as SQLite text. Before this test the first build died with a traceback
    (UnicodeEncodeError in the docs insert), and so did the search after one was added."""
    log(repo, "RT-261101-01", "Storage", decisions="- gannet")
    legacy = repo / "docs" / "sessions" / os.fsdecode(b"CONV-caf\xe9.md")
    legacy.write_text("---\ntitle: Old\n---\n# Old\n\ngannet\n")
    proc = run_helper(repo, "search", "--json", "gannet")
    settle(repo)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert ids(json.loads(proc.stdout)) == ["RT-261101-01"]
    quiet(repo)
    (repo / "docs" / "sessions" / os.fsdecode(b"CONV-\xff.md")).write_text("# Later\n\ngannet\n")
    proc = run_helper(repo, "search", "--json", "gannet")
    settle(repo)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert ids(json.loads(proc.stdout)) == ["RT-261101-01"]


def test_a_log_name_that_is_not_utf8_added_then_removed_is_not_fatal(repo) -> None:
    built(repo)
    p = repo / "docs" / "sessions" / os.fsdecode(b"AB-261001-0\xe9.md")
    p.write_text("# x\n\ngannet\n")
    proc = run_helper(repo, "search", "--json", "--stats", "gannet")
    settle(repo)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    p.unlink()
    proc = run_helper(repo, "search", "--json", "--stats", "gannet")
    settle(repo)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_a_check_marked_again_takes_its_lock_back_even_while_someone_looks(repo, monkeypatch) -> None:
    """Between the check's unlock and its taking the lock back for a mark, someone else holds
    the lock for a moment (verify.wait looking): the check must wait for it, not give up and
    leave the mark with nobody to answer it."""
    import threading
    import types

    from lib.core.discovery import discover
    from lib.recall import verify

    built(repo)
    project = discover(str(repo))
    lock, mark = verify.paths(project.state_dir, project.root)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    other = os.open(lock, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the running check
    real = fcntl.flock

    def flock(f, op):
        real(f, op)
        if f == fd and op == fcntl.LOCK_UN and os.path.exists(mark):
            real(other, fcntl.LOCK_EX)  # someone takes it at once...
            threading.Timer(0.1, real, (other, fcntl.LOCK_UN)).start()  # ...and lets go soon

    monkeypatch.setattr(verify, "fcntl", types.SimpleNamespace(flock=flock, LOCK_EX=fcntl.LOCK_EX,
                                                               LOCK_NB=fcntl.LOCK_NB, LOCK_UN=fcntl.LOCK_UN))
    calls = []

    def fake_verify(project):
        calls.append(1)
        if len(calls) == 1:
            open(mark, "w").close()  # a search asked again meanwhile

    monkeypatch.setattr(verify, "_verify", fake_verify)
    try:
        verify.run(project, fd, mark)
    finally:
        os.close(fd)
        os.close(other)
    assert len(calls) == 2 and not os.path.exists(mark), calls


def test_changes_checked_before_the_lock_are_not_applied_to_a_file_moved_aside_meanwhile(repo, monkeypatch) -> None:
    from lib.core.discovery import discover
    from lib.recall import index, store

    built(repo)
    project = discover(str(repo))
    log(repo, "AB-261009-01", "Heron", did="- heron")  # a change the pre-lock check finds
    path = os.path.join(project.state_dir, store.INDEX_NAME)
    old = store.connect_existing(path)
    old.execute("INSERT INTO roots VALUES ('/', 'old-file', '')")  # marks the file as the old one
    old.close()
    real_enter = store.WriterLock.__enter__
    done = []

    def enter(self):
        got = real_enter(self)
        if not done:  # what another search's discard() + rebuild did while we waited
            done.append(1)
            store.move_aside(path)
            index._build_fresh(path, project.root, index.full_scan(project))
        return got

    monkeypatch.setattr(store.WriterLock, "__enter__", enter)
    stats = {}
    conn = index.open_current(project, [], stats)
    old = conn.execute("SELECT count(*) FROM roots WHERE signature = 'old-file'").fetchone()[0]
    conn.close()
    assert old == 0, "answered from the file moved aside"


def test_a_rebuild_after_the_index_was_deleted_by_hand_ignores_its_old_wal(repo) -> None:
    """A process killed with the index open leaves -wal/-shm; the user deletes recall.sqlite3
    ("rebuilt at will"): the new file must not replay the old frames (a malformed index)."""
    import sys

    built(repo)
    path = state_dir(repo) / "recall.sqlite3"
    kill = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('PRAGMA wal_autocheckpoint = 0'); c.execute('BEGIN IMMEDIATE');"
            "c.execute(\"UPDATE docs SET title = title || 'x'\"); c.execute('COMMIT'); os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", kill, str(path)])
    assert (state_dir(repo) / "recall.sqlite3-wal").stat().st_size > 0
    path.unlink()
    noise(repo, 30, start_day=15)  # the rebuilt file's pages hold other rows than the old frames'
    quiet(repo)
    for _ in range(2):
        proc = run_helper(repo, "search", "--json", "routine")
        settle(repo)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        assert len(json.loads(proc.stdout)["hits"]) == 10  # (the default --limit)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


def test_the_fast_listing_diff_agrees_with_the_diff_by_name() -> None:
    """freshness._few_changes (common head and tail of the stored bytes, names compared only in
    the middle) gives what the plain diff by name gives, or None; over listings with names
    added, removed, re-numbered (replaced by rename) and reordered, and stored rows we did not
    write (a name twice, an inode number short)."""
    import random

    from lib.recall import freshness

    rng = random.Random(3)

    def name() -> bytes:
        return ("%s-26%04d-%02d.md" % (rng.choice(["AB", "RT", "A", "ABCD"]), rng.randint(0, 9999),
                                       rng.randint(1, 99))).encode()

    answered = 0
    for trial in range(6_000):
        old = list(dict.fromkeys(name() for _ in range(rng.choice([0, 1, 2, 5, 30, 200]))))
        old_inos = [rng.randint(1, 10**9) for _ in old]
        new, new_inos = old[:], old_inos[:]
        if trial % 6 == 0 and old:  # a stored row we did not write: a name in it twice
            at = rng.randrange(len(old))
            old.insert(rng.randint(0, len(old)), old[at])
            old_inos.insert(rng.randint(0, len(old_inos)), rng.randint(1, 10**9))
        for _ in range(rng.choice([0, 1, 1, 2, 3, 10])):
            op = rng.random()
            if op < 0.4:
                added = name()
                if added not in new:
                    at = rng.randint(0, len(new))
                    new.insert(at, added)
                    new_inos.insert(at, rng.randint(1, 10**9))
            elif op < 0.7 and new:
                at = rng.randrange(len(new))
                del new[at], new_inos[at]
            elif op < 0.9 and new:
                new_inos[rng.randrange(len(new))] = rng.randint(1, 10**9)
            elif new:
                pairs = list(zip(new, new_inos))
                rng.shuffle(pairs)
                new, new_inos = [p[0] for p in pairs], [p[1] for p in pairs]
        listing = freshness.DirListing("docs/sessions", 1, 1, new, new_inos)
        got = freshness._few_changes(listing, b"/".join(old), freshness._packed(old_inos))
        if trial % 12 == 1 and old:  # ... or one inode number short
            assert freshness._few_changes(listing, b"/".join(old), freshness._packed(old_inos[:-1])) is None
        if got is None:
            continue
        answered += 1
        want = freshness._changes(new, new_inos, old, old_inos)
        assert (sorted(got[0]), sorted(got[1])) == (sorted(want[0]), sorted(want[1])), (old, new)
    assert answered > 3_000


BROKEN_FM = """---
id: RT-261121-07
operator: RT
title: [unclosed
workstreams:
- storage
---
# Hand broken

## Decisions Made

- the gannet plan
"""


def _warned(result: dict, name: str) -> list:
    return [w for w in result["warnings"] if name in w]


def test_a_hand_broken_frontmatter_read_quickly_is_warned_once_the_check_parsed_it(repo) -> None:
    """The search that indexes a log from its quick reads (a plain workstreams list, a body
    title) parses no YAML, so it cannot warn about broken YAML elsewhere in the frontmatter; the
    deferred check parses it once, and the search after it warns, as the issue asks."""
    built(repo)
    path = repo / "docs" / "sessions" / "RT-261121-07.md"
    path.write_text(BROKEN_FM)
    first = search(repo, "gannet")  # (search waits for the check it started)
    assert ids(first) == ["RT-261121-07"] and not _warned(first, "RT-261121-07.md")
    second = search(repo, "gannet")
    assert ids(second) == ["RT-261121-07"]
    assert any("indexed by its body" in w for w in _warned(second, "RT-261121-07.md")), second["warnings"]
    assert search(repo, "gannet", "--workstream", "storage")["hits"]  # still indexed as it was


def test_an_old_log_broken_in_place_is_warned_after_the_checks(repo) -> None:
    """Not hot, edited in place: the first check re-indexes it, and its frontmatter pass parses it."""
    built(repo)
    path = repo / "docs" / "sessions" / (OLD + ".md")
    edit_in_place(path, "title: ", "title: [unclosed ")
    assert not _warned(search(repo, "anything"), OLD + ".md")  # not hot: its check re-indexes it, then parses it
    assert _warned(search(repo, "anything"), OLD + ".md")


def test_the_frontmatter_pass_marks_every_log_checked_and_warns_about_none_that_parse(repo) -> None:
    built(repo, 12)
    search(repo, "anything")
    result = search(repo, "anything")
    assert result["warnings"] == []
    con = sqlite3.connect(state_dir(repo) / "recall.sqlite3")
    try:
        assert con.execute("SELECT count(*) FROM docs WHERE fm_unchecked IS NOT NULL").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM docs WHERE kind = 'log'").fetchone()[0] >= 12
    finally:
        con.close()


def test_the_frontmatter_pass_in_batches_skips_a_file_changed_meanwhile_and_adds_to_other_warnings(
        repo, monkeypatch) -> None:
    """Batches of two (so several), one file rewritten between the pass's select and its read
    (left marked for the scan that re-indexes it, and the pass still ends), one log warned
    already (undecodable bytes): its YAML's warning comes after, once."""
    from lib.core.discovery import discover
    from lib.recall import build, index

    noise(repo, 5)
    sessions = repo / "docs" / "sessions"
    (sessions / "RT-261121-07.md").write_text(BROKEN_FM)
    (sessions / "RT-261121-08.md").write_bytes(BROKEN_FM.replace("RT-261121-07", "RT-261121-08").encode()
                                                + b"- bad byte \xff\n")
    (sessions / "RT-261121-09.md").write_text(BROKEN_FM.replace("RT-261121-07", "RT-261121-09"))
    project = discover(str(repo))
    index.open_current(project, [], {}).close()  # built from quick reads: every log marked
    real_read = build.read

    def read(path):
        got = real_read(path)
        if path.endswith("RT-261121-09.md") and got is not None:
            return got[0] + b"\n- changed meanwhile\n", got[1]
        return got

    monkeypatch.setattr(index, "FRONTMATTER_BATCH", 2)
    monkeypatch.setattr(build, "read", read)
    assert index.check_frontmatters(project) == 7  # 5 noise logs, 07 and 08; not 09
    assert index.check_frontmatters(project) == 0  # 09 stays marked, and the pass ends
    con = sqlite3.connect(state_dir(repo) / "recall.sqlite3")
    try:
        rows = dict(con.execute("SELECT id, coalesce(warning, '') || '|' || coalesce(fm_unchecked, '') FROM docs"))
    finally:
        con.close()
    assert rows["RT-261121-07"].endswith("; indexed by its body|") and rows["RT-261121-09"] == "|1"
    warning = rows["RT-261121-08"]
    assert warning.startswith("not valid UTF-8") and warning.count("indexed by its body") == 1, warning
    assert all(rows[n] == "|" for n in rows if n.startswith("AB-"))
