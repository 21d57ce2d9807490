"""Which logs the team's memory may quote: those on the trusted ref (issue 18 item 3).

The threat: the briefing puts text from committed logs into every teammate's agent context at
session start, where it reads like instructions. Anyone who can push a branch can commit a log;
not everyone can merge into the default branch, where review happens. So only logs present in
the **trusted ref** feed decisions, open questions and learnings: the remote's default branch
(``origin/HEAD``), else the local ``main``, else ``master``; or the branch ``"memory_trusted_ref"``
names in ``.claude/handoff.json`` *as that default branch has it* (see `trusted_ref`).
A log the current branch added is listed as unmerged (id, operator, date, title), never
quoted; logs only on other branches never appear.

What is quoted is the trusted ref's version of a log: a log the current branch (or an
uncommitted edit) changed in place is read from the ref with ``git cat-file``, not from the
work tree, so editing an old, trusted log on a branch does not put the edit in anyone's
context either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..core import gitrefs
from ..core.project import CONFIG_RELPATH, MAX_CONFIG_BYTES
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
    """``(name, commit)`` of the trusted ref, or ``(None, None)`` when there is none.

    The default: ``origin/HEAD``, else ``main``, else ``master``. ``"memory_trusted_ref"``
    overrides it only as ``.claude/handoff.json`` has it **on that default ref** (reviewed), never
    as the checkout has it: a branch that commits ``"memory_trusted_ref": "HEAD"`` must not make
    itself trusted. And it must name a branch (``refs/heads/`` or ``refs/remotes/``): not HEAD,
    a tag or a hash."""
    name, sha = _default(project, warnings)
    configured = _reviewed_setting(project, sha, warnings) if sha else None
    local = project.config().get(CONFIG_KEY)
    if local is not None and local != configured:
        warnings.append("%s %r in this checkout's .claude/handoff.json counts only once it is on %s"
                        % (CONFIG_KEY, str(local)[:100], name or "the default branch"))
    if configured is not None:
        branch = _branch(project, configured)
        if branch:
            return configured, branch
        warnings.append("%s %r (on %s) is not a branch here; trusting %s instead"
                        % (CONFIG_KEY, str(configured)[:100], name, name))
    return name, sha


def _default(project, warnings: list) -> tuple:
    found = {ref: _commit_of(project, ref) for ref in DEFAULT_REFS}
    for ref in DEFAULT_REFS:
        if found[ref]:
            if ref != DEFAULT_REFS[0] and all(found[r] for r in DEFAULT_REFS[1:]):
                warnings.append("no origin/HEAD, and both main and master exist: trusting main (`git remote set-head"
                                " origin --auto`, or %s on the default branch, says which)" % CONFIG_KEY)
            return _short(ref), found[ref]
    return None, None


def _reviewed_setting(project, sha: str, warnings: list):
    """``memory_trusted_ref`` in ``.claude/handoff.json`` as commit ``sha`` has it (None: not set)."""
    path = CONFIG_RELPATH.replace("\\", "/")  # git's spelling on every system
    out = gitproc.run(project.root, ["cat-file", "blob", "%s:%s" % (sha, path)], check=False, timeout=GIT_TIMEOUT_S)
    if out.returncode != 0:
        return None  # no config committed there
    try:
        config = json.loads(out.stdout[:MAX_CONFIG_BYTES].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        warnings.append("%s on the default branch is not JSON (%s); %s not read" % (CONFIG_RELPATH, exc, CONFIG_KEY))
        return None
    return config.get(CONFIG_KEY) if isinstance(config, dict) else None


def _branch(project, name) -> str | None:
    """The commit of branch ``name`` (``refs/remotes/<name>``, else ``refs/heads/<name>``)."""
    if not isinstance(name, str) or not name or name.startswith(("-", "/", "refs/")) or ".." in name:
        return None
    return _commit_of(project, "refs/remotes/" + name) or _commit_of(project, "refs/heads/" + name)


def _commit_of(project, ref: str) -> str | None:
    """The commit ``ref`` names, read from disk (core/gitrefs.py); None when absent or unreadable."""
    try:
        return gitrefs.resolve_ref(project.git_dir, project.git_common_dir, ref)
    except (gitrefs.Unreadable, OSError, ValueError):
        return None


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
