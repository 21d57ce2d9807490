"""The git ``pre-commit`` hook that validates staged session logs and workstreams.

Where: the directory git runs hooks from, ``git rev-parse --git-path hooks``: the common dir's
``hooks/`` (shared by every worktree) or ``core.hooksPath`` when it is set.

Chaining: a ``pre-commit`` that is already there (the user's, or another tool's) is renamed to
``pre-commit.handoff-chained`` and run by ours after validation, with the same arguments and
stdin, and its exit status is the hook's. Uninstall removes ours (only if it is still ours, byte
for byte) and renames the chained hook back: the directory ends as it was.

What the hook runs: ``scripts/handoff validate --staged`` from the top of the work tree (exit 1:
a document is invalid, the commit is refused; any other failure, e.g. the helpers' packages
missing: a warning, the commit goes on - a commit is never blocked by our own breakage). A
checkout without ``scripts/handoff`` (a branch from before the install) skips validation.

Standard library only (the installer imports it before any venv exists).
"""

from __future__ import annotations

import hashlib
import os

from .gitsetup import SetupError, git

HOOK = "pre-commit"
CHAINED = "pre-commit.handoff-chained"
_SIGNATURE = b"# handoff: validate the staged session logs"  # the second line of every version of ours

SCRIPT = """#!/bin/sh
# handoff: validate the staged session logs and workstreams (scripts/lib/store/precommit.py).
# Installed by scripts/install.py; `make uninstall TARGET=...` removes it and puts back the hook
# it chains (pre-commit.handoff-chained, run below). Skip once with `git commit --no-verify`.
top=$(git rev-parse --show-toplevel 2>/dev/null) || top=.
if [ -x "$top/scripts/handoff" ]; then
    "$top/scripts/handoff" validate --staged --root "$top"
    status=$?
    if [ "$status" -eq 1 ]; then
        echo "handoff: commit refused: the staged documents above are invalid (fix them, or git commit --no-verify)" >&2
        exit 1
    elif [ "$status" -ne 0 ]; then
        echo "handoff: warning: validate could not run (exit $status); the staged documents were not checked" >&2
    fi
fi
chained="$(dirname "$0")/pre-commit.handoff-chained"
if [ -x "$chained" ]; then
    exec "$chained" "$@"
fi
exit 0
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hooks_dir(root: str) -> str:
    """Where git looks for hooks for the work tree at ``root`` (core.hooksPath honoured)."""
    out = git(root, "rev-parse", "--git-path", "hooks").stdout.strip()
    return os.path.normpath(os.path.join(root, out))


def install(root: str) -> dict:
    """Install (or keep) our hook; returns the record `uninstall` needs. Idempotent."""
    directory = hooks_dir(root)
    path = os.path.join(directory, HOOK)
    data = SCRIPT.encode()
    record = {"dir": directory, "sha256": sha256(data), "chained": False, "dir_created": False}
    try:
        with open(path, "rb") as f:
            current = f.read()
    except FileNotFoundError:
        current = None
    if current == data:
        record["chained"] = os.path.lexists(os.path.join(directory, CHAINED))
        return record
    ours_before = current is not None and current.startswith(SCRIPT.split("\n", 2)[0].encode() + b"\n" + _SIGNATURE)
    if ours_before:  # an older version of our hook (an upgrade): replaced, its chained hook kept
        record["chained"] = os.path.lexists(os.path.join(directory, CHAINED))
    elif current is not None or os.path.islink(path):
        chained = os.path.join(directory, CHAINED)
        if os.path.lexists(chained):
            raise SetupError("%s: exists already; move it away and run the install again" % chained)
        os.rename(path, chained)  # the user's hook, mode and all, now run by ours
        record["chained"] = True
    if not os.path.isdir(directory):
        os.makedirs(directory)
        record["dir_created"] = True
    tmp = path + ".handoff-tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return record


def uninstall(record: dict) -> str | None:
    """Remove our hook and restore the chained one. Returns a note when ours was changed by
    someone since (then both are left as they are)."""
    directory = record.get("dir")
    if not directory:
        return None
    path = os.path.join(directory, HOOK)
    chained = os.path.join(directory, CHAINED)
    try:
        with open(path, "rb") as f:
            current = f.read()
    except FileNotFoundError:
        current = None
    if current is not None and sha256(current) != record.get("sha256"):
        return "%s was changed since the install; left as it is" % path
    if current is not None:
        os.unlink(path)
    if record.get("chained") and os.path.lexists(chained):
        os.rename(chained, path)
    if record.get("dir_created"):
        try:
            os.rmdir(directory)
        except OSError:
            pass
    return None
