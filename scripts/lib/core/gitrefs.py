"""HEAD's commit read from disk the way git stores it, without starting git (standard library only).

The hook records the commit a session starts from (``start_head``, core/telemetry_record.py)
and must not start a process for it; caches keyed by history (``whoami``'s initials check,
/resume's collisions, the search index) want the same answer cheaply. Git keeps it as:

- ``HEAD`` in the work tree's own git dir (a linked worktree has its own): a commit hash
  (detached) or ``ref: <refname>`` (a branch, possibly unborn);
- a ref as a loose file in the common dir (``refs/heads/...``; the per-worktree namespaces
  ``refs/worktree/``, ``refs/bisect/``, ``refs/rewritten/`` in the work tree's git dir), holding a
  hash or ``ref: <refname>`` again (symbolic refs chain, at most `MAX_SYMREF_DEPTH` deep as in
  git), else a line ``<hash> <refname>`` of the common dir's ``packed-refs`` (a loose file wins);
- a repository with the reftable backend keeps refs in ``reftable/``, which this module does not
  parse: it says so (`Unreadable`) rather than guess.

A branch found nowhere is unborn (a repository without commits): `head_commit` returns None.
"""

import os

MAX_SYMREF_DEPTH = 5  # git's SYMREF_MAXDEPTH
MAX_REF_FILE_BYTES = 4096
_HEX = frozenset("0123456789abcdef")
_PER_WORKTREE = ("refs/worktree/", "refs/bisect/", "refs/rewritten/")
_BAD_REF_CHARS = frozenset(" ~^:?*[\\\x7f") | frozenset(chr(c) for c in range(32))


class Unreadable(Exception):
    """HEAD (or the ref it names) exists but cannot be read as a commit; the message says why."""


def is_sha(value: str) -> bool:
    """A full object name: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits."""
    return len(value) in (40, 64) and set(value) <= _HEX


def _safe_refname(name: str) -> bool:
    """A name that stays inside the refs tree (git's check-ref-format, the parts that matter here)."""
    if not name.startswith("refs/") or name.endswith(("/", ".lock", ".")) or "//" in name or "@{" in name:
        return False
    if any(part.startswith(".") for part in name.split("/")):  # also "..", the way out
        return False
    return not (set(name) & _BAD_REF_CHARS)


def _read(path: str):
    """The stripped text of a small ref file; None when it does not exist."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_REF_FILE_BYTES)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return data.decode("ascii", "replace").strip()


def packed_refs(common_dir: str) -> dict:
    """{refname: hash} of ``<common dir>/packed-refs`` (peeled ``^`` lines and comments skipped);
    {} when there is none."""
    refs = {}
    try:
        with open(os.path.join(common_dir, "packed-refs"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("#", "^")):
                    continue
                sha, _, name = line.rstrip("\n").partition(" ")
                if name:
                    refs[name] = sha
    except FileNotFoundError:
        pass
    return refs


def _value(text: str, where: str) -> str:
    if not is_sha(text):
        raise Unreadable("%s: %r is neither a commit hash nor 'ref: <name>'" % (where, text[:80]))
    return text


def _no_reftable(common_dir: str) -> None:
    if os.path.isdir(os.path.join(common_dir, "reftable")):
        raise Unreadable("refs are in reftable format, which is read only through git")


def resolve_ref(git_dir: str, common_dir: str, name: str):
    """The hash ``name`` (``refs/...``) points at, following symbolic refs; None when it does
    not exist (an unborn branch). Raises `Unreadable`."""
    packed = None
    for _ in range(MAX_SYMREF_DEPTH):
        if not _safe_refname(name):
            _no_reftable(common_dir)  # reftable's HEAD names "refs/heads/.invalid"
            raise Unreadable("ref %r is not a valid ref name" % name[:200])
        base = git_dir if name.startswith(_PER_WORKTREE) else common_dir
        try:
            text = _read(os.path.join(base, *name.split("/")))
        except OSError as exc:
            raise Unreadable("%s: %s" % (name, exc.strerror or exc)) from None
        if text is not None and text.startswith("ref:"):
            name = text[4:].strip()
            continue
        if text:
            return _value(text, name)
        if packed is None:
            try:
                packed = packed_refs(common_dir)
            except OSError as exc:
                raise Unreadable("packed-refs: %s" % (exc.strerror or exc)) from None
        if name in packed:
            return _value(packed[name], "packed-refs " + name)
        _no_reftable(common_dir)
        return None
    raise Unreadable("symbolic refs nest deeper than %d" % MAX_SYMREF_DEPTH)


def head_commit(git_dir, common_dir):
    """The commit HEAD points at; None outside git or on an unborn branch. Raises `Unreadable`."""
    if not git_dir:
        return None
    try:
        text = _read(os.path.join(git_dir, "HEAD"))
    except OSError as exc:
        raise Unreadable("HEAD: %s" % (exc.strerror or exc)) from None
    if text is None:
        raise Unreadable("%s has no HEAD" % git_dir)
    if text.startswith("ref:"):
        return resolve_ref(git_dir, common_dir or git_dir, text[4:].strip())
    return _value(text, "HEAD")


def head_commit_sha(git_dir, common_dir):
    """`head_commit`, with None for anything unreadable: a cache key, where "unknown" is safe."""
    try:
        return head_commit(git_dir, common_dir)
    except (Unreadable, OSError, ValueError):
        return None
