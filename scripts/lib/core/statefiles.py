"""Layout and primitives of the state dir, shared by the hook and the helpers.

Standard library only: the hook imports this module on every tool call.

Invariants (each pinned by a test in tests/core/test_hook_*.py):

- A session id never escapes the state dir: `session_stem` maps any id to a name made of
  ``[A-Za-z0-9_~-]`` only, so no id can name ``..``, a slash or a NUL.
- A reader never sees a partial record: records are written to a temp file in the same dir,
  fsynced, ``os.replace``-d over the record and the dir is fsynced (`write_atomic`).
- The lock file is never replaced or deleted by the hook. A holder always holds the inode that
  the path names *now*: `flock_session` re-checks after locking, because `archive-state` moves
  the lock file into ``archive/`` while other processes may be waiting on it.
"""

import fcntl
import os
import time

# A holder that makes no progress for 1.5 s is taken as hung; a queue that keeps moving is
# waited for up to 4 s. Both well inside the 5 s hook timeout registered in .claude/settings.json.
LOCK_BUDGET_S = 1.5
LOCK_HARD_CAP_S = 4.0
ORPHAN_TMP_AGE_S = 60.0
ERROR_LOG_NAME = "hook-errors.log"
ERROR_LOG_MAX_BYTES = 256 * 1024
TMP_SUFFIX = ".tmp"

_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_MAX_ID_LEN = 128


class NotRegularFile(OSError):
    """A path the bundle reads or appends to is a FIFO, a device, a directory or a link."""


_S_IFMT, _S_IFREG = 0o170000, 0o100000
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _errno(name: str) -> int:
    """``errno.<name>``, imported on the error path only (0.04 ms saved on every hook call)."""
    import errno

    return getattr(errno, name)


def read_regular(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``; never blocks, never follows a link.

    O_NONBLOCK so a FIFO planted at the path cannot hang us (opening a FIFO for reading blocks
    until a writer appears); fstat so we read only regular files (``/dev/zero`` behind a name
    would otherwise fill memory); a size cap for the same reason. Raises FileNotFoundError,
    NotRegularFile (also for a symlink: ELOOP), or ValueError when over ``max_bytes``.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == _errno("ELOOP"):
            raise NotRegularFile(exc.errno, "is a symbolic link", path) from None
        if exc.errno == _errno("ENXIO"):  # a socket
            raise NotRegularFile(exc.errno, "not a regular file", path) from None
        raise
    try:
        st = os.fstat(fd)
        if st.st_mode & _S_IFMT != _S_IFREG:
            raise NotRegularFile(_errno("EINVAL"), "not a regular file", path)
        if st.st_size > max_bytes:
            raise ValueError("%s is over %d bytes" % (path, max_bytes))
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise ValueError("%s is over %d bytes" % (path, max_bytes))
        return data
    finally:
        os.close(fd)


class LockTimeout(Exception):
    """The session lock stayed busy: no progress for the budget, or past the hard cap."""


def is_safe_session_id(session_id: object) -> bool:
    return (
        isinstance(session_id, str)
        and 0 < len(session_id) <= _MAX_ID_LEN
        and all(c in _SAFE_CHARS for c in session_id)
    )


def session_stem(session_id: str) -> str:
    """File-name stem for a session: ``session-<id>``.

    Ids outside ``[A-Za-z0-9_-]{1,128}`` are mapped to ``session-~<sha256 prefix>``: ``~`` never
    occurs in a valid id, so a mapped name cannot collide with a real one, and the mapping is
    stable so every event of such a session still lands in one record.
    """
    if is_safe_session_id(session_id):
        return "session-" + session_id
    import hashlib  # rare path: keep it off the hook's import cost

    digest = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()
    return "session-~" + digest[:40]


def record_path(state_dir: str, session_id: str) -> str:
    return os.path.join(state_dir, session_stem(session_id) + ".json")


def lock_path(state_dir: str, session_id: str) -> str:
    return os.path.join(state_dir, session_stem(session_id) + ".lock")


def tmp_prefix(final_path: str) -> str:
    """Temp files for ``final_path`` are ``.<name>.<pid>.<ns>.tmp`` beside it."""
    head, name = os.path.split(final_path)
    return os.path.join(head, "." + name + ".")


def now_iso(t=None) -> str:
    """UTC timestamp with milliseconds, e.g. ``2026-11-21T04:27:22.123Z`` (no datetime import)."""
    if t is None:
        t = time.time()
    ms = int((t - int(t)) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % ms


def ensure_dir(path: str) -> None:
    """Create the state dir (mode 0700) if missing."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except FileExistsError:
        # A file (or a dangling link) sits where the dir should be.
        raise NotADirectoryError(_errno("ENOTDIR"), "state dir path is not a directory", path) from None


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(final_path: str, data, mode: int = 0o600, before_rename=None, durable: bool = True) -> int:
    """Write ``data`` (bytes, or an iterable of bytes chunks to stream) to ``final_path`` so that
    a reader sees the old or the new content, never a mix. Returns the bytes written.

    Temp file in the same dir (O_EXCL, no links followed), fsync, ``os.replace``, dir fsync. A
    SIGKILL between any two steps leaves at most an orphan ``*.tmp`` (swept later by
    `sweep_orphans`), never a truncated ``final_path``. ``before_rename`` (tests' fault
    injection) runs after the fsync, just before the rename. ``durable=False`` skips both fsyncs:
    for caches that a reader validates and rebuilds (a crash may then leave an empty file).
    """
    chunks = (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data
    tmp = "%s%d.%d%s" % (tmp_prefix(final_path), os.getpid(), time.monotonic_ns(), TMP_SUFFIX)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, mode)
    total = 0
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            total += len(view)
            while view:
                view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.close(fd)
    try:
        if before_rename is not None:
            before_rename()
        os.replace(tmp, final_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        fsync_dir(os.path.dirname(final_path) or ".")
    return total


def _sweep_tmp(directory: str, prefix: str, now: float, max_age_s: float) -> int:
    removed = 0
    try:
        entries = os.scandir(directory or ".")
    except OSError:
        return 0
    with entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(TMP_SUFFIX)):
                continue
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > max_age_s:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
    return removed


def sweep_orphans(final_path: str, now: float, max_age_s: float = ORPHAN_TMP_AGE_S) -> int:
    """Delete `write_atomic` temp files of ``final_path`` older than ``max_age_s`` (left by a
    killed writer). Call it holding the lock that guards ``final_path``: a live writer holds it
    for milliseconds, so an older temp file has no live writer. Returns how many were removed."""
    head, name = os.path.split(final_path)
    return _sweep_tmp(head, "." + name + ".", now, max_age_s)


def sweep_session_orphans(state_dir: str, stem: str, now: float, max_age_s: float = ORPHAN_TMP_AGE_S) -> int:
    """`sweep_orphans` for everything of one session: the temp files of its record *and* of its
    spills all start with ``.<stem>.`` (``stem`` is `session_stem`, which holds no dot, so
    session ``a`` never matches ``a.b`` or ``a-b``). Call it holding the session lock."""
    return _sweep_tmp(state_dir, "." + stem + ".", now, max_age_s)


def _stat_signature(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def flock_session(
    path: str,
    budget_s: float = LOCK_BUDGET_S,
    progress_path=None,
    hard_cap_s: float = LOCK_HARD_CAP_S,
) -> int:
    """Take the exclusive lock at ``path`` and return its descriptor (close it to release).

    Waiting: poll with jittered, growing sleeps. Not a blocking flock: on unlock the kernel wakes
    *every* blocked waiter and all but one go back to sleep; with hundreds of hooks on one
    session that herd costs more CPU than the work and starves the holder (measured in
    tests/core/test_hook_concurrency.py: 438 of 500 racing hooks timed out with a blocking flock).

    Giving up: a holder is *hung* when ``progress_path`` (the record the lock guards) has not
    changed for ``budget_s``; then `LockTimeout`. While the record keeps changing the queue is
    moving, so we keep waiting, but never past ``hard_cap_s`` (inside the 5 s hook timeout).

    Interoperates with ``filelock.FileLock`` on the same path: both use ``flock(2)`` on the file.
    After locking, the descriptor must still be the inode the path names: a zero link count
    (unlinked, e.g. by an old filelock that deleted on release) or a different inode (moved to
    ``archive/`` by ``archive-state``) means this lock guards nothing, so open the path again.
    """
    started = time.monotonic()
    last_progress = started
    signature = _stat_signature(progress_path) if progress_path else None
    delay = 0.0005
    spread = 1.0 + (os.getpid() % 17) / 17.0  # jitter without importing random
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        fd = os.open(path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            now = time.monotonic()
            if progress_path:
                current = _stat_signature(progress_path)
                if current != signature:
                    signature, last_progress = current, now
            if now - last_progress >= budget_s or now - started >= hard_cap_s:
                raise LockTimeout() from None
            time.sleep(delay * spread)
            delay = min(delay * 1.6, 0.02)
            continue
        except BaseException:
            os.close(fd)
            raise
        try:
            held = os.fstat(fd)
            if held.st_nlink > 0:
                try:
                    named = os.stat(path, follow_symlinks=False)
                except FileNotFoundError:
                    named = None
                if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
                    return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # stale inode: retry against what the path names now


def append_error_log(state_dir: str, line: str, max_bytes: int = ERROR_LOG_MAX_BYTES) -> None:
    """Append one line to ``<state dir>/hook-errors.log``; keep it bounded.

    When the log passes ``max_bytes`` it is rotated to ``hook-errors.log.1`` (one generation),
    so the two files together never exceed about twice the bound.
    """
    path = os.path.join(state_dir, ERROR_LOG_NAME)
    data = (line.replace("\n", " ")[:2000] + "\n").encode("utf-8", "backslashreplace")
    flags = (
        os.O_WRONLY
        | os.O_APPEND
        | os.O_CREAT
        | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted here must not hang the hook
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        st = os.stat(path, follow_symlinks=False)
        if st.st_mode & _S_IFMT == _S_IFREG and st.st_size + len(data) > max_bytes:
            # Two writers may both rotate; the loser's rename drops one generation of lines.
            # Acceptable for a diagnostic log whose bound matters more than its completeness.
            os.replace(path, path + ".1")
    except FileNotFoundError:
        pass
    fd = os.open(path, flags, 0o600)
    try:
        if os.fstat(fd).st_mode & _S_IFMT != _S_IFREG:
            raise NotRegularFile(_errno("EINVAL"), "not a regular file", path)
        os.write(fd, data)  # O_APPEND: one write per line, so concurrent lines do not interleave
    finally:
        os.close(fd)
