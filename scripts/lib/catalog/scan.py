"""What the store's files are now: every log and workstream listed and stat'ed, and read safely.

Invariant: **every change is seen by the next command.** Each command lists both directories
and stats every file (what ``git status`` does without fsmonitor), and a file is read again when
its (size, mtime_ns, ctime_ns, inode) differ from what the catalog saw. That catches a new,
deleted or renamed file, an edit in place (an editor that saves in place keeps the inode), a
file replaced by rename (new inode), a same-size edit with its mtime put back (``rsync -t``,
``tar``: the ctime still moves, and no one can set it back), a branch checkout and a pull.

Racy files: a file modified less than `RACY_WINDOW_NS` before the listing could be rewritten
at the same size within one timestamp tick. Such a file's entry is saved as unknown
(`settled`), so the next command reads it again, until it is older than the window.

Why one value per worktree (`roots.listing`, marshal of ``{path: (size, mtime_ns, ctime_ns,
ino)}``) rather than a row per file: the warm check is then one fetch and one ``==`` (1.16x
the stat floor at 50,000 logs, against 1.50x fetching 50,000 rows; ../shared/notes).
"""

from __future__ import annotations

import errno
import marshal
import os
import stat

from ..logs import log_ids
from ..logs import workstreams as ws_format

DIRS = ((log_ids.SESSIONS_DIR, "log"), (ws_format.WORKSTREAMS_DIR, "workstream"))
RACY_WINDOW_NS = 2_000_000_000
UNKNOWN = (-1, -1, -1, -1)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)


def _wanted(kind: str, name: str) -> bool:
    if kind == "log":
        return log_ids.is_log_name(name)
    return ws_format.slug_of(name) is not None


def storable(text: str) -> bool:
    """Whether a path can be stored as SQLite text (a name that is not UTF-8 cannot)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def listing(root: str, skipped: list | None = None) -> dict:
    """``{relpath: (size, mtime_ns, ctime_ns, ino)}`` of every log and workstream file (not
    following links: a link is listed as itself and refused when read). Names that are not
    UTF-8 are left out, each named in ``skipped``."""
    found = {}
    for sub, kind in DIRS:
        dir_fd = _open_dir(root, sub)
        if dir_fd is None:
            continue
        try:
            for name in os.listdir(dir_fd):
                if not _wanted(kind, name):
                    continue
                if not storable(name):
                    if skipped is not None:
                        skipped.append(sub + "/" + name)
                    continue
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing
                found[sub + "/" + name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        finally:
            os.close(dir_fd)
    return found


def _open_dir(root: str, sub: str) -> int | None:
    """A descriptor of ``root/sub``, never through a link (a committed ``workstreams -> ..``
    must not show files from outside the repository); None when it is not there or is one."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    for part in sub.split("/"):
        try:
            child = os.open(part, flags, dir_fd=fd)
        except OSError:
            child = None
        os.close(fd)
        if child is None:
            return None
        fd = child
    return fd


def settled(found: dict, now_ns: int) -> dict:
    """``found`` as it may be saved: entries changed within the racy window of now made unknown.
    The ctime too: a same-size rewrite with its mtime put back (``rsync -t``) within one tick of
    a coarse clock leaves only the ctime, which would not move again. A time well in the future
    (a skewed clock) is no racy entry: the next edit, made now, moves it."""
    low, high = now_ns - RACY_WINDOW_NS, now_ns + RACY_WINDOW_NS
    return {path: (UNKNOWN if low <= st[1] <= high or low <= st[2] <= high else st) for path, st in found.items()}


def dumps(found: dict) -> bytes:
    return marshal.dumps(found)


def loads(blob) -> dict:
    """A saved listing; {} for anything that is not one (a garbled row: everything is read again)."""
    try:
        found = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return {}
    return found if type(found) is dict else {}


def changes(found: dict, seen: dict) -> tuple[list, list]:
    """(paths new or changed, paths gone) between the listing now and the one last saved."""
    changed = [path for path, st in found.items() if seen.get(path) != st]
    gone = [path for path in seen if path not in found and isinstance(path, str) and storable(path)]
    return changed, gone


def read(path: str, limit: int) -> tuple[bytes, bool]:
    """(up to ``limit`` bytes of a regular file, whether there was more). OSError for a link, a
    FIFO or a device (never followed, never waited on), with the reason in its strerror."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            exc.strerror = "is a symbolic link; not read"
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file; not read")
        chunks, size = [], 0
        want = min(st.st_size, limit) + 1  # one read, and one more if the file grew meanwhile
        while size <= limit:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            want = limit + 1 - size
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return data[:limit], len(data) > limit
