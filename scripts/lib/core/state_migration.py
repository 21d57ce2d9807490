"""Moving a work tree's old ``.claude/state/`` (O) into the shared state dir (N), losing no count.

Until issue 9 every work tree kept its state in ``<root>/.claude/state/``; in a git repository it
now lives in ``<git common dir>/handoff/state/`` (project.state_dir_for), shared by the
worktrees. The first hook or helper of the new layout moves O's contents over (`migrate`).
Standard library only: the hook calls `needs_pass` on every event (two ``lstat`` at most).

Races, each with its consequence (tests/store/test_worktree_state_migration.py):

- A hook of the old code (in flight during the upgrade, or a worktree still checked out at an
  old commit) updates ``O/session-S.json`` under ``O/session-S.lock``. A record and its spills
  move only while we hold that lock, and no lock file is ever moved, replaced or deleted, so the
  writer either finished before the move (its count moves with the record) or locks after it,
  finds no record and starts a fresh one in O: the next pass moves that one too (helpers pass
  whenever O holds a record; the hook passes until O is marked done).
- The session may already have a live record in N (it went on under the new layout): O's
  record then becomes an archived part, ``N/archive/session-S.migrated.<n>.json``, which
  readers add to the live part (state/archive.session_parts): counted once, never dropped.
- Spills move under the same lock, so one that an old-code writer already folded (named in its
  record's ``folded_spills``) travels with that record and is never counted twice.
- Parallel passes (several hooks at once, several worktrees) are serialized by
  ``N/migrate.lock``; a pass that cannot get a session lock leaves that session for the next.
- A SIGKILL mid-pass leaves each file in O or in N (moves are renames). Across file systems a
  move is copy + fsync + rename + unlink: a kill between the last two leaves the record in both
  places, and the next pass would count it twice (a window of one syscall, on a layout where the
  worktree and the git dir are on different file systems).

Derived caches in O (`_DERIVED_PREFIXES`) are dropped (rebuilt in N); everything else moves
without overwriting what N has. When a pass leaves nothing to move, O gets a ``MOVED-TO`` file
naming N, and the hook stops looking (helpers still pick up a straggler's record).
"""

import errno
import os
import time

from . import project as project_mod
from . import statefiles

MARKER = project_mod.MIGRATED_MARKER
LOCK_NAME = "migrate.lock"
# Derived caches, rebuilt from the logs on the next run: dropped rather than moved (a copy of a
# worktree-keyed cache would be discarded anyway, and a search index is rebuilt).
_DERIVED_PREFIXES = ("resume-cache", "index-cache", "id-registry", "collisions", "operator-owners", "log-authors",
                     "author-email", "catalog.sqlite3", "recall.sqlite3", "digest-cache")


def has_records(project) -> bool:
    """True when O is not marked done or still holds a session record or spill (the helpers'
    check, one listing: a straggler's record is picked up by the next helper run)."""
    old = project_mod.legacy_state_to_migrate(project)
    if old is None:
        return False
    try:
        names = os.listdir(old)
    except OSError:
        return False
    return MARKER not in names or any(_stem_of(n) for n in names)


def _move(src: str, dst: str) -> None:
    """Move a file to ``dst`` (which must not exist); across file systems copy, fsync, rename."""
    try:
        os.link(src, dst)
        os.unlink(src)
        return
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "exists", dst)
    if os.stat(src).st_dev == os.stat(os.path.dirname(dst)).st_dev:
        os.rename(src, dst)
        return
    with open(src, "rb") as f:
        data = f.read()
    statefiles.write_atomic(dst, data)
    os.unlink(src)


def _free_name(directory: str, make) -> str:
    n = 1
    while os.path.lexists(os.path.join(directory, make(n))):
        n += 1
    return os.path.join(directory, make(n))


def _stem_of(name: str):
    """``session-<stem>`` of a record (``.json``) or spill (``.<ns>.<pid>.spill``), else None."""
    if not name.startswith("session-") or "corrupt" in name:
        return None
    if name.endswith(".json") and name.count(".") == 1:
        return name[: -len(".json")]
    if name.endswith(".spill"):
        return name.split(".", 1)[0]
    return None


def _move_session(old: str, new: str, stem: str, names: list, log) -> bool:
    """Move one session's record and spills under its lock in O and in N; False if busy."""
    try:
        old_fd = statefiles.flock_session(os.path.join(old, stem + ".lock"))
    except statefiles.LockTimeout:
        return False
    try:
        try:
            new_fd = statefiles.flock_session(os.path.join(new, stem + ".lock"))
        except statefiles.LockTimeout:
            return False
        try:
            record = os.path.join(old, stem + ".json")
            spills = sorted(n for n in names if n.startswith(stem + ".") and n.endswith(".spill"))
            if os.path.lexists(record):
                target = os.path.join(new, stem + ".json")
                if os.path.lexists(target):
                    archive = os.path.join(new, "archive")
                    os.makedirs(archive, mode=0o700, exist_ok=True)
                    target = _free_name(archive, lambda n: "%s.migrated.%d.json" % (stem, n))
                    log("migrated %s as archived part %s (the session already had a live record)"
                        % (stem, os.path.basename(target)))
                _move(record, target)
            for name in spills:
                src = os.path.join(old, name)
                if os.path.lexists(src):
                    _move(src, os.path.join(new, name))
            if spills:
                flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                os.close(os.open(os.path.join(new, stem + ".spilled"), flags, 0o600))
            try:
                os.unlink(os.path.join(old, stem + ".spilled"))
            except FileNotFoundError:
                pass
            return True
        finally:
            os.close(new_fd)
    finally:
        os.close(old_fd)


def _merge_tree(src_dir: str, dst_dir: str, log) -> bool:
    """Move every file of ``src_dir`` into ``dst_dir`` without overwriting; False if any stayed."""
    done = True
    os.makedirs(dst_dir, mode=0o700, exist_ok=True)
    for name in sorted(os.listdir(src_dir)):
        src = os.path.join(src_dir, name)
        if os.path.isdir(src) and not os.path.islink(src):
            done &= _merge_tree(src, os.path.join(dst_dir, name), log)
            continue
        dst = os.path.join(dst_dir, name)
        if os.path.lexists(dst):
            if os.path.basename(src_dir) == "archive" and name.endswith(".json"):
                # an archived part is a count: keep both, under a free name
                base = name[: -len(".json")]
                dst = _free_name(dst_dir, lambda n, base=base: "%s.migrated.%d.json" % (base, n))
            elif _same_content(src, dst) or os.path.basename(src_dir) == "session-logs":
                os.unlink(src)  # the same file, or a session->log map entry (N's is as good)
                continue
            else:
                log("not migrated: %s (%s already exists)" % (src, dst))
                done = False
                continue
        _move(src, dst)
    return done


def _append_errors(src: str, dst_dir: str) -> None:
    with open(src, "rb") as f:
        data = f.read()[-statefiles.ERROR_LOG_MAX_BYTES:]
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip():
            statefiles.append_error_log(dst_dir, line)
    os.unlink(src)


def migrate(project, log) -> bool:
    """One pass: move O into N. True when O is now marked done. Never raises for a file it
    cannot move: the reason goes to ``log`` and the file stays for the next pass."""
    old = project_mod.legacy_state_to_migrate(project)
    if old is None or not os.path.isdir(old) or os.path.islink(old):
        return False
    new = project.state_dir
    statefiles.ensure_dir(new)
    try:
        lock_fd = statefiles.flock_session(os.path.join(os.path.dirname(new), LOCK_NAME), hard_cap_s=2.0)
    except statefiles.LockTimeout:
        log("state migration busy (another pass holds %s)" % LOCK_NAME)
        return False
    try:
        return _pass(old, new, log)
    finally:
        os.close(lock_fd)


def _pass(old: str, new: str, log) -> bool:
    done = True
    names = sorted(os.listdir(old))
    stems = sorted({s for s in map(_stem_of, names) if s})
    for stem in stems:
        try:
            done &= _move_session(old, new, stem, names, log)
        except OSError as exc:
            log("not migrated: %s (%s)" % (stem, exc))
            done = False
    for name in names:
        path = os.path.join(old, name)
        try:
            if name == MARKER or name.endswith((".lock", ".spilled")) or _stem_of(name) or not os.path.lexists(path):
                continue
            if name == "locks":
                continue
            if name.endswith(statefiles.TMP_SUFFIX) and not name.startswith(_DERIVED_PREFIXES):
                # A temp file is an atomic write in flight or an orphan. An old-version hook
                # may hold session T's lock and be about to rename `.session-T.json.*.tmp`
                # into place; T is not among `stems` yet (no record), so nothing waited for it.
                # Deleting the file would lose T's event, so only orphans (older than the hook's
                # own sweep age, statefiles.sweep_orphans) go. A young one keeps the marker
                # back, and the next pass moves the record it becomes.
                if time.time() - os.lstat(path).st_mtime > statefiles.ORPHAN_TMP_AGE_S:
                    os.unlink(path)
                else:
                    done = False
                continue
            if name.startswith(_DERIVED_PREFIXES):
                if os.path.isdir(path) and not os.path.islink(path):
                    import shutil  # rare: keep it off the hook's import cost

                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
                continue
            if name in (statefiles.ERROR_LOG_NAME, statefiles.ERROR_LOG_NAME + ".1"):
                _append_errors(path, new)
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                moved_all = _merge_tree(path, os.path.join(new, name), log)
                done &= moved_all or name != "archive"  # only counts hold the marker back
                continue
            target = os.path.join(new, name)
            if os.path.lexists(target):
                same = _same_content(path, target)
                if same:
                    os.unlink(path)
                else:  # e.g. another worktree stored other initials first: N's stays, logged
                    log("not migrated: %s (%s already exists and differs)" % (path, target))
                continue
            _move(path, target)
        except OSError as exc:
            log("not migrated: %s (%s)" % (path, exc))
    if done:
        statefiles.write_atomic(os.path.join(old, MARKER), (new + "\n").encode("utf-8", "surrogateescape"))
    return done


def _same_content(a: str, b: str) -> bool:
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read(1 << 20) == fb.read(1 << 20)
    except OSError:
        return False
