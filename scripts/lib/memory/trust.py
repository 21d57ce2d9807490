"""Which logs the team's memory may quote: those on the trusted ref (issue 18 item 3).

The threat: the briefing puts text from committed logs into every teammate's agent context at
session start, where it reads like instructions. Anyone who can push a branch can commit a log;
not everyone can merge into the default branch, where review happens. So only logs present in
the **trusted ref** feed decisions, open questions and learnings: ``.claude/handoff.json``
``"memory_trusted_ref"`` when it names a commit here (else one warning, and the rule below),
else the remote's default branch (``origin/HEAD``), else the local ``main``, else ``master``.
A log the current branch added is listed as unmerged (id, operator, date, title), never
quoted; logs only on other branches never appear.

What is quoted is the trusted ref's version of a log: a log the current branch (or an
uncommitted edit) changed in place is read from the ref with ``git cat-file``, not from the
work tree, so editing an old, trusted log on a branch does not put the edit in anyone's
context either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core import gitrefs
from ..logs import log_ids
from ..store import gitproc

DEFAULT_REFS = ("refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master")
CONFIG_KEY = "memory_trusted_ref"
GIT_TIMEOUT_S = 10.0


@dataclass
class Trusted:
    ref: str | None = None  # as shown: "origin/HEAD", "main", or the configured name
    sha: str | None = None
    paths: set = field(default_factory=set)  # every file under docs/sessions/ on the ref
    blobs: dict = field(default_factory=dict)  # path -> the ref's bytes, where the work tree differs


def _short(ref: str) -> str:
    for prefix in ("refs/remotes/", "refs/heads/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def trusted_ref(project, warnings: list) -> tuple:
    """``(name, commit)`` of the trusted ref, or ``(None, None)`` when there is none."""
    configured = project.config().get(CONFIG_KEY)
    if configured is not None:
        sha = None
        if isinstance(configured, str) and configured.strip() and not configured.startswith("-"):
            out = gitproc.run(project.root, ["rev-parse", "--verify", "--quiet", "--end-of-options",
                                             configured + "^{commit}"], check=False, timeout=GIT_TIMEOUT_S)
            sha = out.stdout.decode("ascii", "replace").strip() if out.returncode == 0 else None
        if sha:
            return configured, sha
        warnings.append("%s %r in .claude/handoff.json is not a commit here; trusting %s instead"
                        % (CONFIG_KEY, str(configured)[:100], " / ".join(_short(r) for r in DEFAULT_REFS)))
    for ref in DEFAULT_REFS:
        try:
            sha = gitrefs.resolve_ref(project.git_dir, project.git_common_dir, ref)
        except (gitrefs.Unreadable, OSError, ValueError):
            sha = None
        if sha:
            return _short(ref), sha
    return None, None


def trusted_logs(project, warnings: list, ref: str | None, sha: str | None) -> Trusted:
    """The trusted ref's session logs (see the module docstring); ``ref``, ``sha``: `trusted_ref`'s."""
    if sha is None:  # not a problem with a file: the briefing's first line says so
        return Trusted()
    sessions = log_ids.SESSIONS_DIR + "/"
    listing = gitproc.run(project.root, ["ls-tree", "-z", "--full-tree", sha, "--", sessions],
                          timeout=GIT_TIMEOUT_S).stdout
    blob_of = {}
    for entry in listing.split(b"\0"):
        head, _, path = entry.partition(b"\t")
        parts = head.split()
        if len(parts) == 3 and parts[1] == b"blob":  # the log-name rule is applied by the readers
            blob_of[path.decode("utf-8", "surrogateescape")] = parts[2].decode("ascii")
    # Paths whose work-tree file is not the ref's (edited, deleted, or never checked out here).
    # --no-optional-locks: a read must not take the index lock from the user's own git.
    changed = gitproc.run(project.root, ["--no-optional-locks", "diff", "--name-only", "-z", "--no-renames", sha,
                                         "--", sessions], timeout=GIT_TIMEOUT_S).stdout
    differ = [p for p in changed.decode("utf-8", "surrogateescape").split("\0")
              if p in blob_of and log_ids.is_log_name(p[len(sessions):])]
    found = gitproc.cat_file_batch(project.root, [blob_of[p] for p in differ], b"blob")
    blobs = {p: found[blob_of[p]] for p in differ if blob_of[p] in found}
    return Trusted(ref=ref, sha=sha, paths=set(blob_of), blobs=blobs)
