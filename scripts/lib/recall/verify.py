"""The full check a warm search defers, run after the answer by a detached child.

A search answered by the cheap check (lib/recall/freshness.py) has not looked at a file
rewritten in place that is not hot. So after writing its answer the search starts a child that
runs `index.verify` (every file's size, mtime and inode, scanned under the writer lock; what
differs is read and applied) and exits: the next search sees such a file
(tests/recall/test_freshness.py). It then parses, once, the frontmatter of each log indexed
from its quick reads (`index.check_frontmatters`: no YAML on a search's path), so a broken
one is warned about by the next search.

- One per worktree at a time: ``recall.verify-<dev>-<inode of the root>.lock`` (flock, non-blocking),
  taken by the parent before spawning; the child inherits the locked descriptor and holds it
  until it exits. Taken already: the search leaves a mark (``.again``) and tries the lock once
  more; the running check, after unlocking, looks for the mark and runs again once it has the
  lock back. Whichever way two of them interleave, a check starts after the mark (otherwise a
  check whose scan began before an edit would be the last one, and the edit would wait for
  yet another search). Tests and the bench wait for the checks by `wait`. A check killed
  after taking the mark away loses that one request: the next search asks again.
- Detached: a new process (``posix_spawn`` of this Python), not a fork. It starts in a new
  session with stdin, stdout and stderr on /dev/null, and without any descriptor it would
  inherit but the lock's (Python opens everything close-on-exec; what our caller passed us
  open, a ``3>`` redirection say, is closed in the spawn), so a caller reading our output or
  any pipe it passed (Claude Code's ``!`` pre-execution, a test's ``capture_output``) sees end
  of file when the parent exits; then it lowers its priority.
- No SQLite state crosses into the child (SQLite forbids using a connection across a fork,
  and its per-process lock table would be copied): the child is a fresh interpreter. So the
  parent may leave its connection open when it exits (lib/recall/cli.finish: closing the last
  connection after a write checkpoints the WAL, ~2 ms; the check opens the index after us and
  its close does that), and spawning costs the parent ~0.1 ms where a fork of a search's
  process costs ~1 ms (page tables, then copy-on-write faults until it exits).
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
    """(lock, mark) of ``root``'s check: one per worktree, named by the worktree's own identity,
    its directory's (device, inode): no hash to import (zlib was ~0.35 ms of a warm search),
    and two worktrees never share one."""
    try:
        st = os.stat(root)
        name = "recall.verify-%x-%x" % (st.st_dev, st.st_ino)
    except OSError:  # the worktree is gone: nothing to check, nobody to wait for
        name = "recall.verify-gone"
    base = os.path.join(state_dir, name)
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


# The child's program: sys.argv = [-c, scripts dir, root, state dir, lock fd, mark]. -c puts
# the current directory (the user's repository) first on sys.path, where a file named like a
# module we import (types.py, fcntl.py...) would be run instead: the scripts dir takes its
# place (it goes first if the entry is not there: -P, PYTHONSAFEPATH).
CHILD = (
    "import sys; sys.path[:sys.path[:1] == ['']] = [sys.argv[1]]; from lib.recall import verify;"
    " verify.child(sys.argv[2:])"
)


def spawn(project) -> bool:
    """Start the check unless one is running (then mark it to run again); whether one started."""
    if not sys.executable:  # run by a name it cannot resolve to a file (exec -a): nothing to start
        _log(project.state_dir, "recall verification not started: this Python does not know its own path")
        return False
    lock, mark = paths(project.state_dir, project.root)
    try:
        fd = os.open(lock, _FLAGS, 0o600)
    except OSError:
        return False  # a read-only state dir: the search said so already
    try:
        if not _try_lock(fd):
            _mark(mark)
            if not _try_lock(fd):  # still running: it sees the mark when it is done
                return False
        os.set_inheritable(fd, True)  # the child's copy holds the lock (flock: one open file)
        scripts = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        argv = [sys.executable, "-c", CHILD, scripts, project.root, project.state_dir, str(fd), mark]
        actions = _detached(fd)
        try:
            try:
                os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions, setsid=True)
            except NotImplementedError:  # no POSIX_SPAWN_SETSID here: the child calls setsid itself
                os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions)
        except OSError:
            return False  # the next search tries again
        return True
    finally:
        os.close(fd)


def _detached(keep: int) -> list:
    """posix_spawn file actions: stdio on /dev/null, and every descriptor the child would
    inherit closed but ``keep``. Only those our own caller passed us open can be inheritable
    (Python opens with close-on-exec): found in /proc/self/fd (Linux) or /dev/fd (macOS)."""
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0),
               (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2)]
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            fds = [int(name) for name in os.listdir(listing)]
        except (OSError, ValueError):
            continue
        for fd in fds:
            if fd > 2 and fd != keep and _inheritable(fd):
                actions.append((os.POSIX_SPAWN_CLOSE, fd))
        break
    return actions


def _inheritable(fd: int) -> bool:
    try:
        return os.get_inheritable(fd)
    except OSError:  # the listing's own descriptor, closed by now
        return False


def child(argv: list) -> None:
    """The spawned check: ``argv`` = [root, state dir, lock fd, mark]. Leaves by os._exit."""
    status = 0
    try:
        root, state_dir, fd, mark = argv[0], argv[1], int(argv[2]), argv[3]
        if os.getsid(0) != os.getpid():  # spawned without POSIX_SPAWN_SETSID
            os.setsid()
        os.nice(10)
        from ..core.project import Project

        project = Project.at(root)  # the search's, found again from its resolved root
        if project.state_dir != state_dir:  # not the worktree the search answered for
            raise RuntimeError("%s: state dir %s, expected %s" % (root, project.state_dir, state_dir))
        run(project, fd, mark)
    except BaseException as exc:  # noqa: BLE001 - logged; a child must always reach os._exit
        status = 1
        _log(argv[1] if len(argv) > 1 else "", "recall verification: %r" % exc)
    finally:
        os._exit(status)


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
        index.check_frontmatters(project)
    except Exception as exc:  # noqa: BLE001 - logged; the next search answers (and warns) itself
        _log(project.state_dir, "recall verification: %r" % exc)


def _log(state_dir: str, what: str) -> None:
    from ..core import statefiles

    try:
        statefiles.append_error_log(state_dir, "%s %s" % (statefiles.now_iso(), what))
    except Exception:  # noqa: BLE001 - nowhere left to say it
        pass
