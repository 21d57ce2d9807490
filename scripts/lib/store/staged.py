"""``validate --staged``: check the versions of documents that are about to be committed.

The pre-commit hook runs it. What is checked is the index, not the work tree (a log fixed on
disk but staged broken must still be refused): the staged ``docs/sessions/*.md`` and
``workstreams/*.md`` (added, copied, modified or renamed) are written by ``git checkout-index``
into a temporary directory laid out like the repository and validated there, and each problem
names the file's path in the repository. ``$GIT_INDEX_FILE`` is honoured, so a partial commit
(``git commit -- paths``, what ``/handoff`` runs) checks the index git built for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ..core.errors import HelperError
from ..logs.authorship import authorship_problems
from ..logs.log_ids import SESSIONS_DIR
from ..logs.validation import Problem, document_table, validate

PATHSPECS = (":(glob)docs/sessions/*.md", ":(glob)workstreams/*.md")
SESSIONS = SESSIONS_DIR + "/"


def _git(root: str, *args: str) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, env=env, timeout=60)
    except FileNotFoundError:
        raise HelperError("git is not installed") from None
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HelperError("git %s failed in %s: %s" % (args[0], root, err[-1] if err else out.returncode))
    return out.stdout


def staged_documents(root: str) -> list:
    """Repository paths of the staged documents, sorted."""
    head = subprocess.run(["git", "-C", root, "rev-parse", "-q", "--verify", "HEAD"], capture_output=True)
    against = "HEAD" if head.returncode == 0 else _git(root, "hash-object", "-t", "tree", "/dev/null").decode().strip()
    out = _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", against, "--", *PATHSPECS)
    names = [n.decode("utf-8", "surrogateescape") for n in out.split(b"\0") if n]
    return sorted(n for n in names if document_table(n) is not None)


def validate_staged(root: str, state_dir: str | None = None) -> tuple:
    """(files checked, [Problem]) for the staged documents; a new log must also be one its
    author may add under its initials (logs/authorship.py)."""
    names = staged_documents(root)
    if not names:
        return 0, []
    logs = [n[len(SESSIONS) :] for n in names if n.startswith(SESSIONS) and "/" not in n[len(SESSIONS) :]]
    tmp = tempfile.mkdtemp(prefix="handoff-staged-")
    try:
        prefix = tmp + os.sep
        _git(root, "checkout-index", "--prefix=" + prefix, "--", *names)
        checked, problems = validate(tmp, [os.path.join(tmp, n) for n in names])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    named = []
    for p in problems:
        path = p.path
        if path.startswith(prefix):
            path = path[len(prefix) :]
        named.append(Problem(path.replace(os.sep, "/"), p.field, p.message))
    for name, field, message in authorship_problems(root, state_dir, logs, only_new=True):
        named.append(Problem(SESSIONS + name, field, message))
    return checked, named
