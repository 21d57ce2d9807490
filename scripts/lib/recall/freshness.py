"""Is the index current with the files on disk? Answered without a stat per file on a warm search.

Why not a stat per file: on this project's CI machine one ``stat`` costs 1.1-1.6 µs, even from
C, so statting 10,300 files takes 11-17 ms: about one whole ``python3 -c "import sqlite3"``,
and a warm search may cost two of those (tests/bench/bench_recall.py). So `check` looks at, in
order of cost:

1. Each directory's (inode, ctime) against the stored listing's, and a stat of the *hot* files:
   every workstream, every log dated within the last `HOT_DAYS` (by its own day, not its mtime:
   a clone or checkout gives every file a new mtime), every file stored as racy (a few hundred
   at the bench's scale). Creating, deleting, renaming or replacing a file by rename changes
   its directory's mtime and ctime (POSIX). git (checkout, merge, pull, reset: it unlinks and
   creates), write-session, renumber, and editors that save by rename all do one of those.
   The ctime, not the mtime: ``rsync -a``, ``tar x`` and ``cp -a`` set a directory's mtime
   back to the source's after changing it, and setting it bumps the ctime (which nobody sets).
2. For a directory whose (inode, ctime) changed, or was stored within the racy window: its
   names and inode numbers (one ``scandir``: no stat per file) against the stored listing. A new
   name, a gone name, or a name whose inode changed is a change; only those files are stat'ed.
3. When HEAD's commit moved since the last check (a pull, a merge, a checkout of another
   branch): the logs and workstreams ``git diff --name-only`` names between the two commits
   are stat'ed too. git replaces a file by unlink and create, and ext4 hands the freed inode
   number straight back, so the listing alone would not show such a file as changed. HEAD
   born since (a first commit, a reset onto a fetched one) or git unable to say: a full scan.
4. A full scan (`lib.recall.index.scan`: every file's size, mtime and inode): the first build,
   write-session's update, and the background verification (lib/recall/verify.py).

What 1 to 3 cannot see: a file that is not hot, not named by a HEAD move, and whose (name,
inode) stayed while its bytes changed: rewritten in place (an editor that saves in place, an
append), or replaced by unlink and create with its inode number handed back while HEAD stayed
(``git restore``, ``git stash``). The full check (4) that a search answered this way starts
after answering (lib/recall/verify.py) sees it, so the next search does
(tests/recall/test_freshness.py pins each case). Stat'ing every file of a changed directory
instead would make a first search after a new log cost about twice a warm one.

Racy: a directory changed within `RACY_WINDOW_NS` of the listing is stored with ctime -1 (a
second change within the file system's timestamp granularity would leave the ctime as it was),
so the next check lists it again; files are treated the same way in lib/recall/index.py.
`check` reads in one transaction: a writer committing meanwhile cannot make its listing and
its hot files disagree.
"""

from __future__ import annotations

import os

SESSIONS_DIR = "docs/sessions"
WORKSTREAMS_DIR = "workstreams"
DIRS = ((SESSIONS_DIR, "log"), (WORKSTREAMS_DIR, "workstream"))
RACY_WINDOW_NS = 2_000_000_000
HOT_DAYS = 7
NAME_SEPARATOR = b"/"  # the one byte a file name cannot hold (NUL aside)

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_STORED_DIRS = "SELECT dir, dir_ino, dir_ctime_ns FROM listings WHERE root = ?"
_STORED_HEAD = "SELECT head FROM roots WHERE root = ?"
GIT_DIFF_TIMEOUT_S = 10
_STORED_LISTING = "SELECT names, inos FROM listings WHERE root = ? AND dir = ?"
# Hot files, each part through an index: the logs dated since ?2 (docs_day; CROSS JOIN keeps
# docs outermost, whatever the planner guesses), the racy files
# (files_mtime) and the workstreams (the primary key's path range).
_HOT = (
    "SELECT f.path, f.size, f.mtime_ns, f.ino FROM docs d CROSS JOIN files f ON f.key = d.key"
    " WHERE d.day >= ?2 AND f.root = ?1"
    " UNION SELECT path, size, mtime_ns, ino FROM files WHERE root = ?1 AND mtime_ns < 0"
    " UNION SELECT path, size, mtime_ns, ino FROM files WHERE root = ?1 AND path >= ?3 AND path < ?4"
)


class DirListing:
    """One directory as listed: its (inode, ctime) (ctime -1 when racy; (0, 0) when missing) and
    its ``*.md`` names (bytes) with their inode numbers, in the same order."""

    __slots__ = ("dir", "ino", "ctime_ns", "names", "inos", "blob", "packed")

    def __init__(self, dir: str, ino: int, ctime_ns: int, names: list, inos: list):
        self.dir = dir
        self.ino = ino
        self.ctime_ns = ctime_ns
        self.names = names
        self.inos = inos
        self.blob = NAME_SEPARATOR.join(names)  # as stored (the listing row)
        self.packed = _packed(inos)

    def row(self, root: str) -> tuple:
        return (root, self.dir, self.ino, self.ctime_ns, self.blob, self.packed)


def _packed(inos: list) -> bytes:
    """Inode numbers as native unsigned 64-bit integers: read back in C (array), not one int() each."""
    from array import array

    return array("Q", inos).tobytes()


def _unpacked(data: bytes) -> list:
    from array import array

    if len(data) % 8:
        raise ValueError("inode list of %d bytes" % len(data))
    return array("Q", data).tolist()


def stored_time(time_ns: int, now_ns: int) -> int:
    """What to store for a time stamp seen at ``now_ns``: -1 (never equal) within the racy window."""
    return -1 if now_ns - time_ns < RACY_WINDOW_NS else time_ns


class Changes:
    """What `check` found: ``entries`` to (re)read as the full scan gives them, [(rel, kind,
    name, (size, mtime_ns, ino, mode))]; ``removed`` relpaths; ``listings`` to store; ``head``,
    HEAD's commit now ("" outside git), and whether it moved. Empty: the index is current."""

    __slots__ = ("entries", "removed", "listings", "head", "head_moved")

    def __init__(self, entries: list, removed: list, listings: list, head: str = "", head_moved: bool = False):
        self.entries = entries
        self.removed = removed
        self.listings = listings
        self.head = head
        self.head_moved = head_moved

    def __bool__(self) -> bool:
        return bool(self.entries or self.removed or self.listings or self.head_moved)


def head_of(project) -> str:
    """HEAD's commit read from disk (no git process), or "" (not a repository, unborn)."""
    if not project.git_dir:
        return ""
    from ..core.discovery import head_commit_sha

    return head_commit_sha(project.git_dir, project.git_common_dir) or ""


_GIT_NAMED: dict = {}  # (root, old, new) -> answer: a search checks once, then again under the lock


def _named_by_git(root: str, old: str, new: str):
    """Relpaths under our directories that differ between commits ``old`` and ``new``, or None
    when git cannot say (no git, a commit gone after a gc or a shallow fetch)."""
    key = (root, old, new)
    if key not in _GIT_NAMED:
        _GIT_NAMED[key] = _ask_git(root, old, new)
    return _GIT_NAMED[key]


def _ask_git(root: str, old: str, new: str):
    import subprocess

    argv = ["git", "-C", root, "diff", "--no-renames", "--no-ext-diff", "--name-only", "--relative", "-z",
            old, new, "--", SESSIONS_DIR, WORKSTREAMS_DIR]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=GIT_DIFF_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return [os.fsdecode(p) for p in proc.stdout.split(b"\0") if p]


def _open_dir(path: str):
    try:
        return os.open(path, _DIR_FLAGS)
    except OSError:
        return None


def _stat_at(name, dir_fd: int):
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode


def hot_since() -> str:
    """The first day (``YYYY-MM-DD``) whose logs are hot: `HOT_DAYS` before now (``$HANDOFF_NOW``
    pins now, as for every other "recent" in the helpers)."""
    from ..core import isotime

    return isotime.utc_date(isotime.now() - HOT_DAYS * 86_400)


def check(conn, project, now_ns: int) -> Changes | None:
    """What changed since the index last looked at ``project``'s directories, or None when it
    cannot tell (no listing of them yet: a new worktree, an index from before listings; a
    listing it cannot read; HEAD born or moved and git cannot say what changed): a full scan
    is due. Reads only, in one read transaction; the caller applies the changes under the
    writer lock."""
    in_transaction = conn.in_transaction
    if not in_transaction:
        conn.execute("BEGIN")
    try:
        return _check(conn, project, now_ns)
    except (ValueError, TypeError, AttributeError):  # a listing row that is not what we write
        return None
    finally:
        if not in_transaction:
            conn.execute("COMMIT")


def _check(conn, project, now_ns: int) -> Changes | None:
    root = project.root
    stored = {row[0]: (row[1], row[2]) for row in conn.execute(_STORED_DIRS, (root,))}
    if len(stored) != len(DIRS):
        return None
    head = head_of(project)
    row = conn.execute(_STORED_HEAD, (root,)).fetchone()
    stored_head = row[0] if row else ""
    named = []
    if head != stored_head and head:
        named = _named_by_git(root, stored_head, head) if stored_head else None
        if named is None:
            return None
    fds, dir_now, changed = {}, {}, []
    try:
        for sub, _ in DIRS:
            fd = fds[sub] = _open_dir(root + "/" + sub)
            if fd is None:
                dir_now[sub] = (0, 0)
            else:
                st = os.fstat(fd)
                dir_now[sub] = (st.st_ino, st.st_ctime_ns)
            ino, ctime = stored[sub]
            if dir_now[sub] != (ino, ctime) or ctime < 0:
                changed.append(sub)
        entries, seen = [], set()
        kinds = dict(DIRS)
        for rel, size, mtime, ino in conn.execute(
            _HOT, (root, hot_since(), WORKSTREAMS_DIR + "/", WORKSTREAMS_DIR + "0")
        ):
            sub, _, name = rel.rpartition("/")
            if sub not in fds:
                continue  # not one of our directories (index.apply writes no other)
            got = None if fds[sub] is None else _stat_at(name, fds[sub])
            if got is None:  # gone, its directory apparently unchanged: list it
                if sub not in changed:
                    changed.append(sub)
                continue
            if got[0] != size or got[1] != mtime or got[2] != ino:
                entries.append((rel, kinds[sub], name, got))
                seen.add(rel)
        for rel in named:  # HEAD moved: what git says differs, whatever the inode numbers did
            sub, _, name = rel.rpartition("/")
            if rel in seen or sub not in kinds or not name.endswith(".md") or fds[sub] is None or not storable(name):
                continue
            got = _stat_at(name, fds[sub])
            if got is not None:
                entries.append((rel, kinds[sub], name, got))
                seen.add(rel)
            elif sub not in changed:  # deleted: its directory's listing says so
                changed.append(sub)
        removed, listings = [], []
        for sub in changed:
            listing, new, gone = _diff(conn, root, sub, fds[sub] is not None, dir_now[sub], stored[sub], now_ns)
            if listing is not None:
                listings.append(listing)
            removed += [sub + "/" + name for name in gone]
            for name in new:
                rel = sub + "/" + name
                if rel in seen:
                    continue
                got = _stat_at(name, fds[sub])
                if got is None:
                    removed.append(rel)  # gone since the listing
                else:
                    entries.append((rel, kinds[sub], name, got))
        return Changes(entries, removed, listings, head, head != stored_head)
    finally:
        for fd in fds.values():
            if fd is not None:
                os.close(fd)


def storable(name: str) -> bool:
    """A name SQLite can hold as text (undecodable bytes come back from os.fsdecode as
    surrogates): the index never holds another (lib/recall/index.apply skips them)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _diff(conn, root: str, sub: str, exists: bool, now: tuple, stored: tuple, now_ns: int):
    """(the directory's new listing, names new or replaced (another inode), names gone)."""
    row = conn.execute(_STORED_LISTING, (root, sub)).fetchone()
    blob_then, packed_then = (row[0], row[1]) if row and row[0] else (b"", b"")
    if len(packed_then) % 8 or len(packed_then) // 8 != (blob_then.count(NAME_SEPARATOR) + 1 if blob_then else 0):
        raise ValueError("a listing of %d names and %d bytes of inode numbers" % (
            blob_then.count(NAME_SEPARATOR) + 1 if blob_then else 0, len(packed_then)))
    names, inos = [], []
    if exists:
        # bytes in, bytes names out (nothing decoded); d_ino comes with the names: no stat
        with os.scandir(os.fsencode(root + "/" + sub)) as it:
            for entry in it:
                name = entry.name
                if name.endswith(b".md"):
                    names.append(name)
                    inos.append(entry.inode())
    ino, ctime = now
    listing = DirListing(sub, ino, stored_time(ctime, now_ns) if ino else 0, names, inos)
    found = _few_changes(listing, blob_then, packed_then)
    if found is None:
        found = _changes(names, inos, blob_then.split(NAME_SEPARATOR) if blob_then else [], _unpacked(packed_then))
    new = [name for name in map(os.fsdecode, found[0]) if storable(name)]
    gone = [name for name in map(os.fsdecode, found[1]) if storable(name)]
    if not new and not gone and (ino, listing.ctime_ns) == stored:
        listing = None  # still racy, nothing new: nothing to store
    return listing, new, gone


def _changes(names: list, inos: list, names_then: list, inos_then: list) -> tuple:
    """(names new or with another inode, names gone), by name, whatever the two orders."""
    old = dict(zip(names_then, inos_then))
    current = dict(zip(names, inos))
    return [n for n, i in current.items() if old.get(n) != i], [n for n in old if n not in current]


def _few_changes(listing: DirListing, blob_then: bytes, packed_then: bytes):
    """`_changes` for the usual case without a step per name: a directory lists its unchanged
    entries in the same order (ext4's hash order, tmpfs's, btrfs's index order), so a few names
    added or gone leave the stored listing's bytes alike at both ends. The names in the common
    head and tail (whole names, with the same inode numbers) are unchanged; only the middles
    are compared by name. ~0.2 ms where `_changes` takes ~2 at 10,000 names. None when a head
    or tail name's inode changed (replaced by rename): `_changes` decides then."""
    blob, packed = listing.blob, listing.packed
    if blob == blob_then:
        return ([], []) if packed == packed_then else None
    if not blob or not blob_then or len(packed_then) != 8 * (blob_then.count(NAME_SEPARATOR) + 1):
        return None
    n, n_then = len(blob), len(blob_then)
    head = _common_head(blob, blob_then)
    head = blob.rfind(NAME_SEPARATOR, 0, head) + 1  # back to a name's start (the same in both)
    tail = _common_tail(blob, blob_then, min(n, n_then) - head)
    end, end_then = n - tail, n_then - tail
    while tail and not (_starts_name(blob, end) and _starts_name(blob_then, end_then)):
        cut = blob.find(NAME_SEPARATOR, end)  # on to the next name's start (the bytes agree here)
        tail = n - cut - 1 if cut >= 0 else 0
        end, end_then = n - tail, n_then - tail
    before = blob.count(NAME_SEPARATOR, 0, head)  # whole names in the head
    after = blob.count(NAME_SEPARATOR, end) + 1 if tail else 0  # ... and in the tail
    count, count_then = len(listing.names), len(packed_then) // 8
    if packed[: 8 * before] != packed_then[: 8 * before]:
        return None
    if after and packed[8 * (count - after) :] != packed_then[8 * (count_then - after) :]:
        return None
    middle = listing.names[before : count - after], listing.inos[before : count - after]
    middle_then = blob_then[head : end_then].rstrip(NAME_SEPARATOR)
    names_then = middle_then.split(NAME_SEPARATOR) if middle_then else []
    inos_then = _unpacked(packed_then[8 * before : 8 * (count_then - after)])
    if len(names_then) != len(inos_then):
        return None
    new, gone = _changes(middle[0], middle[1], names_then, inos_then)
    if len(gone) > FEW_GONE:
        return None
    whole = NAME_SEPARATOR + blob + NAME_SEPARATOR
    if any(NAME_SEPARATOR + name + NAME_SEPARATOR in whole for name in gone):
        return None  # a name the stored row held twice (we never write one): `_changes` decides
    return new, gone


FEW_GONE = 16  # names gone, at most, that `_few_changes` looks for elsewhere (~50 us each at 10,000 names)


def _starts_name(blob: bytes, at: int) -> bool:
    return at == 0 or blob[at - 1 : at] == NAME_SEPARATOR


def _common_head(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix (a binary search: each step compares one window)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_tail(a: bytes, b: bytes, limit: int) -> int:
    """The length of the longest common suffix, at most ``limit``."""
    n, m = len(a), len(b)
    lo, hi = 0, max(0, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[n - mid : n - lo] == b[m - mid : m - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def listing_of(sub: str, dir_st, names: list, inos: list, now_ns: int) -> DirListing:
    """The listing the full scan saw (``dir_st`` None: the directory is missing)."""
    if dir_st is None:
        return DirListing(sub, 0, 0, [], [])
    return DirListing(sub, dir_st.st_ino, stored_time(dir_st.st_ctime_ns, now_ns),
                      [os.fsencode(n) for n in names], inos)

