"""The helpers' side of the session lock: ``filelock.FileLock`` on the hook's ``.lock`` file.

Both sides use ``flock(2)`` on the same path, so a helper holding `session_lock` excludes every
hook process and vice versa (tests/core/test_hook_concurrency.py). Like the hook
(lib/statefiles.flock_session), a holder must hold the inode the path names *now*:
``archive-state`` moves the lock file into ``archive/`` while others may be waiting on it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from filelock import FileLock, Timeout

from ..core.errors import HelperError

_MAX_REOPENS = 20


@contextmanager
def session_lock(path: str, timeout: float = 10.0):
    """Hold the exclusive lock at ``path`` for the ``with`` body.

    ``fallback_to_soft=False``: a soft (existence) lock would not exclude the hook's flock, so on
    a filesystem without flock this fails loudly instead. ``preserve_lock_file=True``: the lock
    file is never deleted (deleting a locked file splits waiters across inodes).
    """
    for _ in range(_MAX_REOPENS):
        held: dict = {}
        lock = FileLock(
            path,
            timeout=timeout,
            mode=0o600,
            thread_local=False,
            fallback_to_soft=False,
            preserve_lock_file=True,
            on_acquired=lambda fd, held=held: held.update(stat=os.fstat(fd)),
        )
        try:
            lock.acquire()
        except Timeout:
            raise HelperError("%s: still locked after %.0f s" % (path, timeout)) from None
        try:
            try:
                named = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                named = None
            st = held["stat"]
            if named is not None and (named.st_dev, named.st_ino) == (st.st_dev, st.st_ino):
                yield
                return
        finally:
            lock.release()
    raise HelperError("%s: the lock file keeps being replaced" % path)
