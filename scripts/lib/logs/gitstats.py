"""What the session did in git: commits on HEAD since the session start.

The window is always ``git log --since=<start> HEAD`` (committer dates), never
``git diff <iso>..HEAD`` (a timestamp is not a revision). Lines and files are summed over the
window's commits (``--numstat``): a line changed by two commits counts twice, a file once.

Works in a repository with no commits (zero counts, ``head_commit: null``), on a detached HEAD
(``branch: null``), and fails with one clear line outside a repository.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass, field

from ..core import isotime
from ..core.errors import HelperError

SESSIONS_DIR = os.path.join("docs", "sessions")
HANDOFF_SUBJECT_PREFIX = "handoff: "  # the /handoff commit: `handoff: <LOGID> <title>`


@dataclass
class Commit:
    sha: str
    at: str  # UTC, 2026-11-21T04:27:22Z (committer date: the window is by committer date)
    subject: str
    authored_at: str = ""  # UTC author date: kept by rebase and cherry-pick (CHANGELOG.md lines)


@dataclass
class GitStats:
    branch: str | None
    head_commit: str | None
    commits: int = 0
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    first_commit_at: str | None = None
    last_commit_at: str | None = None
    since: str | None = None
    commit_list: list = field(default_factory=list)  # [Commit], newest first

    def to_json(self) -> dict:
        return asdict(self)


def _env() -> dict:
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env.pop("GIT_DIR", None)  # a caller's GIT_DIR (e.g. from inside a git hook) must not win over -C
    env.pop("GIT_WORK_TREE", None)
    return env


def git(root: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run git in ``root``; bytes out. A failure (when ``check``) is a HelperError naming the command."""
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, env=_env(), check=False)
    except FileNotFoundError:
        raise HelperError("git is not installed") from None
    if check and out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HelperError("git %s failed in %s: %s" % (args[0], root, err[-1] if err else "exit %d" % out.returncode))
    return out


def _text(out: subprocess.CompletedProcess) -> str:
    return out.stdout.decode("utf-8", "replace").strip()


def ensure_repo(root: str) -> None:
    out = git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if out.returncode != 0 or _text(out) != "true":
        raise HelperError("%s: not a git repository (git-stats needs one)" % root)


def head_commit(root: str) -> str | None:
    out = git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    return (_text(out) or None) if out.returncode == 0 else None


def current_branch(root: str) -> str | None:
    """The checked-out branch (also when it has no commits yet); None on a detached HEAD."""
    out = git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    return (_text(out) or None) if out.returncode == 0 else None


def _iso(git_iso: str) -> str:
    return isotime.iso_z(isotime.parse_iso(git_iso, "git date"))


def commits_since(root: str, since_epoch: float | None, no_merges: bool = False) -> list:
    """[Commit] on HEAD with committer date >= since (all commits when None), newest first."""
    args = ["log", "-z", "--format=%H%x1f%cI%x1f%aI%x1f%s"]
    if no_merges:
        args.append("--no-merges")
    if since_epoch is not None:
        args.append("--since=" + isotime.git_date(since_epoch))
    args += ["HEAD", "--"]
    out = git(root, *args)
    commits = []
    for record in out.stdout.decode("utf-8", "replace").split("\0"):
        record = record.strip("\n")
        if not record:
            continue
        sha, at, authored, subject = (record.split("\x1f", 3) + ["", "", ""])[:4]
        commits.append(Commit(sha=sha, at=_iso(at), subject=subject, authored_at=_iso(authored)))
    return commits


def numstat_since(root: str, since_epoch: float | None) -> tuple:
    """(distinct files, insertions, deletions) over the window's commits."""
    args = ["log", "-z", "--numstat", "--format="]
    if since_epoch is not None:
        args.append("--since=" + isotime.git_date(since_epoch))
    args += ["HEAD", "--"]
    tokens = git(root, *args).stdout.split(b"\0")
    files: set = set()
    insertions = deletions = 0
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        i += 1
        if not token:
            continue
        parts = token.split(b"\t", 2)
        if len(parts) != 3:
            continue
        added, removed, path = parts
        if not path:  # a rename or copy: "<a>\t<d>\t\0<old>\0<new>\0"
            if i + 1 >= len(tokens):
                break
            path = tokens[i + 1]
            i += 2
        files.add(path)
        if added.isdigit():  # "-" for binary files
            insertions += int(added)
        if removed.isdigit():
            deletions += int(removed)
    return len(files), insertions, deletions


def collect(root: str, since_epoch: float | None) -> GitStats:
    ensure_repo(root)
    head = head_commit(root)
    stats = GitStats(branch=current_branch(root), head_commit=head)
    stats.since = isotime.iso_z(since_epoch) if since_epoch is not None else None
    if head is None:
        return stats
    commits = commits_since(root, since_epoch)
    stats.commit_list = commits
    stats.commits = len(commits)
    if commits:
        stats.files_changed, stats.insertions, stats.deletions = numstat_since(root, since_epoch)
        times = sorted(c.at for c in commits)
        stats.first_commit_at, stats.last_commit_at = times[0], times[-1]
    return stats


def last_handoff_commit_epoch(root: str, operator: str | None, exclude_path: str | None = None) -> float | None:
    """Committer time of the latest commit on HEAD that touched the operator's session logs
    (any operator's when None): the previous ``/handoff``."""
    if head_commit(root) is None:
        return None
    pattern = "%s/%s-*.md" % (SESSIONS_DIR, operator) if operator else "%s/*.md" % SESSIONS_DIR
    args = ["log", "-1", "--format=%cI", "HEAD", "--", pattern.replace(os.sep, "/")]
    if exclude_path:
        args.append(":(exclude)" + exclude_path.replace(os.sep, "/"))
    value = _text(git(root, *args))
    return isotime.parse_iso(value, "git date") if value else None


def first_commit_epoch(root: str) -> float | None:
    """Committer time of the oldest commit reachable from HEAD."""
    if head_commit(root) is None:
        return None
    out = _text(git(root, "log", "--reverse", "--format=%cI", "--max-parents=0", "HEAD"))
    dates = [isotime.parse_iso(line, "git date") for line in out.splitlines() if line.strip()]
    return min(dates) if dates else None
