"""The full check a warm search defers, run after the answer by a detached child.

A search answered by the cheap check (lib/recall/freshness.py) has not looked at a file
rewritten in place that is not hot. So after writing its answer the search forks a child that
runs `index.verify` (every file's size, mtime and inode; what differs is read and applied under
the writer lock) and exits: the next search sees such a file (tests/recall/test_freshness.py).

- One at a time: the parent takes ``recall.verify.lock`` (flock, non-blocking) before forking;
  the child inherits the locked descriptor and holds it until it exits. Taken: a verification
  is running, and none is started. Tests wait for one by taking the lock.
- Detached: the child's first act is to point stdin, stdout and stderr at /dev/null, so a caller
  reading our output (Claude Code's ``!`` pre-execution, a test's pipe) sees end of file when
  the parent exits; then it starts a new session and lowers its priority.
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

LOCK_NAME = "recall.verify.lock"


def spawn(project) -> bool:
    """Start the verification unless one is running; whether one was started."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(os.path.join(project.state_dir, LOCK_NAME), flags, 0o600)
    except OSError:
        return False  # a read-only state dir: the search said so already
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
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
        devnull = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(devnull, target)
        os.setsid()
        os.nice(10)
        _verify(project)
    except BaseException:  # noqa: BLE001 - a child must always reach os._exit
        status = 1
    finally:
        os._exit(status)


def _verify(project) -> None:
    from . import index

    try:
        index.verify(project)
    except Exception as exc:  # noqa: BLE001 - logged; the next search answers (and warns) itself
        from ..core import statefiles

        statefiles.append_error_log(project.state_dir, "%s recall verification: %r" % (statefiles.now_iso(), exc))
