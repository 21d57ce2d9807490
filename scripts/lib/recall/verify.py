"""The full check a warm search defers, run after the answer by a detached child.

A search answered by the cheap check (lib/recall/freshness.py) has not looked at a file
rewritten in place that is not hot. So after writing its answer the search forks a child that
runs `index.verify` (every file's size, mtime and inode, scanned under the writer lock; what
differs is read and applied) and exits: the next search sees such a file
(tests/recall/test_freshness.py).

- One per worktree at a time: ``recall.verify-<crc of the root>.lock`` (flock, non-blocking),
  taken by the parent before forking; the child inherits the locked descriptor and holds it
  until it exits. Taken already: the search leaves a mark (``.again``) and tries the lock once
  more; the running check, after unlocking, looks for the mark and runs again once it has the
  lock back. Whichever way two of them interleave, a check starts after the mark (otherwise a
  check whose scan began before an edit would be the last one, and the edit would wait for
  yet another search). Tests and the bench wait for the checks by `wait`. A check killed
  after taking the mark away loses that one request: the next search asks again.
- Detached: the child's first act is to point stdin, stdout and stderr at /dev/null and to
  close every other inherited descriptor but the lock's, so a caller reading our output or
  any pipe it passed (Claude Code's ``!`` pre-execution, a test's ``capture_output``, a
  ``3>`` redirection) sees end of file when the parent exits; then it starts a new session and
  lowers its priority.
- The parent's SQLite connection is closed before the fork (a connection must not cross a
  fork), and the child leaves by ``os._exit``: no atexit handler, no flush of the parent's
  buffers, no finalizer closing what is not its own.
- A failure goes to the bounded error log. It never moves the index aside: the next search,
  which can warn, does.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time

_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def paths(state_dir: str, root: str) -> tuple:
    """(lock, mark) of ``root``'s check: one per worktree (a CRC of its path: two worktrees that
    collide share one, which costs only a later check)."""
    import zlib

    base = os.path.join(state_dir, "recall.verify-%08x" % zlib.crc32(root.encode("utf-8", "surrogateescape")))
    return base + ".lock", base + ".again"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _mark(path: str) -> None:
    try:
        os.close(os.open(path, _FLAGS, 0o600))
    except OSError:
        pass


def _unmark(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def spawn(project) -> bool:
    """Start the check unless one is running (then mark it to run again); whether one started."""
    lock, mark = paths(project.state_dir, project.root)
    try:
        fd = os.open(lock, _FLAGS, 0o600)
    except OSError:
        return False  # a read-only state dir: the search said so already
    if not _try_lock(fd):
        _mark(mark)
        if not _try_lock(fd):  # still running: it sees the mark when it is done
            os.close(fd)
            return False
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # else the child would hold (and never write) a copy of the buffer
        except (OSError, ValueError):
            pass
    try:
        pid = os.fork()
    except OSError:
        os.close(fd)
        return False
    if pid:
        os.close(fd)  # the child's copy keeps the lock
        return True
    status = 0
    try:
        _detach(fd)
        run(project, fd, mark)
    except BaseException:  # noqa: BLE001 - a child must always reach os._exit
        status = 1
    finally:
        os._exit(status)


def _detach(keep: int) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    top = max(os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 0, 1024)
    os.closerange(3, keep)
    os.closerange(keep + 1, top)
    os.setsid()
    os.nice(10)


MARK_WAIT_S = 10.0


def run(project, fd: int, mark: str) -> None:
    """Check while the lock held on ``fd`` is ours and someone asked again (the mark).

    Marked again: take the lock back, waiting for it if need be (up to `MARK_WAIT_S`). Its
    holder is a search's new check (which began after the mark: ours is then one too many, and
    harmless) or `wait` looking (which lets go at once); giving up there could leave a mark
    nobody answers."""
    while True:
        _unmark(mark)
        _verify(project)
        fcntl.flock(fd, fcntl.LOCK_UN)
        if not os.path.exists(mark) or not _lock_within(fd, MARK_WAIT_S):
            return


def _lock_within(fd: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not _try_lock(fd):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def wait(state_dir: str, root: str, timeout: float = 60.0) -> None:
    """Until ``root``'s check (and any it was asked to run again) is done (for tests)."""
    lock, mark = paths(state_dir, root)
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return
    deadline = time.monotonic() + timeout
    try:
        while True:
            if not _lock_within(fd, max(0.0, deadline - time.monotonic())):
                raise TimeoutError("%s: a check still running after %d s" % (lock, timeout))
            pending = os.path.exists(mark)
            fcntl.flock(fd, fcntl.LOCK_UN)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("%s: still marked after %d s" % (mark, timeout))
            time.sleep(0.005)  # the check that saw the mark takes the lock back (run)
    finally:
        os.close(fd)


def _verify(project) -> None:
    from . import index

    try:
        index.verify(project)
    except Exception as exc:  # noqa: BLE001 - logged; the next search answers (and warns) itself
        from ..core import statefiles

        statefiles.append_error_log(project.state_dir, "%s recall verification: %r" % (statefiles.now_iso(), exc))
