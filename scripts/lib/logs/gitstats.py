"""What the session did in git: its commits, by ancestry from the commit it started on.

The rule (issue 20): a session's commits are the commits reachable from HEAD and not from the
commit HEAD pointed at when the session started (``git rev-list <start>..HEAD``; the hook records
that commit, core/gitrefs.py), less the work of others that the session brought in: a commit
whose committer is not the identity git commits with here (``git var GIT_COMMITTER_IDENT``).
Git sets the committer on every commit it creates or rewrites (commit, amend, cherry-pick,
revert, rebase, merge), so each commit made in the session carries this identity whatever its
dates say, while commits that a merge, a fast-forward or a ``pull --rebase`` brings in keep
their own. No clock is involved: a commit dated before the start (skewed clock, ``rebase
--committer-date-is-author-date``, a cherry-pick of an old commit) counts, a teammate's commit
dated during the session does not. The session's own merges count as its commits (listed, no
lines: ``git log`` shows no diff for a merge); ``changelog`` leaves them out.

Not by ancestry alone: ``--first-parent`` would drop a branch the session made and merged
(``switch main; merge feature``) and, like plain ``<start>..HEAD``, would count a teammate's
commits that a fast-forward ``pull`` or a ``pull --rebase`` put on the first-parent line.
What the rule cannot tell apart: commits the same person made elsewhere (another clone, an
earlier session) and merged in during this one are counted here too.

The window (`Window`) is by ``ancestry`` (a start commit; or the whole of HEAD when the repository
has no earlier ``/handoff``) or, only when no start commit was recorded (a session that began
before the install, or an explicit ``--since``), by ``clock``: ``git log --since`` (committer
dates), with a warning saying so. Lines and files are summed over the session's commits
(``--numstat``): a line changed by two commits counts twice, a file once.

Works in a repository with no commits (zero counts, ``head_commit: null``), on a detached HEAD
(``branch: null``), and fails with one clear line outside a repository.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass, field

from ..core import gitrefs, isotime
from ..core.errors import HelperError

SESSIONS_DIR = os.path.join("docs", "sessions")
HANDOFF_SUBJECT_PREFIX = "handoff: "  # the /handoff commit: `handoff: <LOGID> <title>`


ANCESTRY, CLOCK = "ancestry", "clock"


@dataclass
class Commit:
    sha: str
    at: str  # UTC, 2026-11-21T04:27:22Z (committer date)
    subject: str
    authored_at: str = ""  # UTC author date: kept by rebase and cherry-pick (CHANGELOG.md lines)
    merge: bool = False  # more than one parent


@dataclass
class Window:
    """Where a session's commits are counted from (see the module docstring).

    ``by`` ANCESTRY: the commits of ``<start_commit>..HEAD`` (all of HEAD when ``start_commit``
    is None); CLOCK: committer date >= ``since`` (all of HEAD when None). ``source`` names where
    the start came from (argument, telemetry, existing_log, previous_handoff, first_commit,
    none); ``started`` is the best known start time (the log's ``started_at`` when telemetry has
    none); ``warning`` says why the clock was used when a start commit was wanted."""

    by: str
    source: str
    start_commit: str | None = None
    since: float | None = None
    started: float | None = None
    warning: str | None = None

    def to_json(self) -> dict:
        return {
            "commits_by": self.by,
            "start_commit": self.start_commit,
            "since": isotime.iso_z(self.since) if self.since is not None else None,
            "since_source": self.source,
        }


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
    commits_by: str = ANCESTRY
    start_commit: str | None = None
    since: str | None = None
    others_commits: int = 0  # in the window but committed by someone else: not the session's
    commit_list: list = field(default_factory=list)  # [Commit] of the session, newest first
    touched_paths: set = field(default_factory=set)  # paths (bytes) the commits changed, renames' old names too


    @property
    def commit_shas(self) -> list:
        """The session's commits, oldest first (the log's ``commit_shas``)."""
        return [c.sha for c in reversed(self.commit_list)]

    def to_json(self) -> dict:
        data = asdict(self)
        del data["touched_paths"]  # the log's changed_files (logs/changed_files.py), not git-stats' output
        return data


def _env() -> dict:
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env.pop("GIT_DIR", None)  # a caller's GIT_DIR (e.g. from inside a git hook) must not win over -C
    env.pop("GIT_WORK_TREE", None)
    return env


def git(root: str, *args: str, check: bool = True, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run git in ``root``; bytes out. A failure (when ``check``) is a HelperError naming the command."""
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, env=_env(), check=False, input=input)
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


_LOG_FORMAT = "--format=%H%x1f%P%x1f%cI%x1f%aI%x1f%ce%x1f%s"


def window_commits(root: str, window: Window) -> list:
    """[(Commit, committer email)] of every commit in ``window`` on HEAD, newest first (for an
    ancestry window in topological order: no date decides anything)."""
    args = ["log", "-z", _LOG_FORMAT]
    if window.by == CLOCK:
        if window.since is not None:
            args.append("--since=" + isotime.git_date(window.since))
        args += ["HEAD", "--"]
    else:
        args += ["--topo-order", "HEAD"] + (["^" + window.start_commit] if window.start_commit else []) + ["--"]
    out = git(root, *args)
    commits = []
    for record in out.stdout.decode("utf-8", "replace").split("\0"):
        record = record.strip("\n")
        if not record:
            continue
        sha, parents, at, authored, email, subject = (record.split("\x1f", 5) + [""] * 5)[:6]
        commit = Commit(sha=sha, at=_iso(at), subject=subject, authored_at=_iso(authored), merge=" " in parents)
        commits.append((commit, email))
    return commits


def committer_email(root: str) -> str | None:
    """The email git commits with here (config and ``$GIT_COMMITTER_EMAIL``); None when git has none."""
    out = git(root, "var", "GIT_COMMITTER_IDENT", check=False)
    ident = _text(out) if out.returncode == 0 else ""
    lt, gt = ident.rfind("<"), ident.rfind(">")
    return ident[lt + 1 : gt].strip().lower() if 0 <= lt < gt else None


def session_commits(root: str, window: Window) -> tuple:
    """([Commit] of the session, newest first; how many commits of the window others committed).

    Without a committer identity (git could not commit here as anyone) nothing is set apart."""
    me = committer_email(root)
    mine, others = [], 0
    for commit, email in window_commits(root, window):
        if me is None or email.strip().lower() == me:
            mine.append(commit)
        else:
            others += 1
    return mine, others


def numstat(root: str, shas: list) -> tuple:
    """(files, touched, insertions, deletions) over the commits ``shas`` (a merge adds nothing):
    ``files`` the distinct paths (bytes) by their new name, ``touched`` those plus the old names
    of renames and copies (a teammate editing the old name is on the same file)."""
    if not shas:
        return set(), set(), 0, 0
    listed = "".join(sha + "\n" for sha in shas).encode("ascii")
    tokens = git(root, "log", "--no-walk=unsorted", "--stdin", "-z", "--numstat", "--format=", input=listed).stdout
    tokens = tokens.split(b"\0")
    files: set = set()
    touched: set = set()
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
            touched.add(tokens[i])
            path = tokens[i + 1]
            i += 2
        files.add(path)
        touched.add(path)
        if added.isdigit():  # "-" for binary files
            insertions += int(added)
        if removed.isdigit():
            deletions += int(removed)
    return files, touched, insertions, deletions


def collect(root: str, window: Window) -> GitStats:
    ensure_repo(root)
    head = head_commit(root)
    stats = GitStats(branch=current_branch(root), head_commit=head)
    shown = window.to_json()
    stats.commits_by, stats.start_commit, stats.since = shown["commits_by"], shown["start_commit"], shown["since"]
    if head is None:
        return stats
    commits, stats.others_commits = session_commits(root, window)
    stats.commit_list = commits
    stats.commits = len(commits)
    if commits:
        files, stats.touched_paths, stats.insertions, stats.deletions = numstat(root, [c.sha for c in commits])
        stats.files_changed = len(files)
        times = sorted(c.at for c in commits)
        stats.first_commit_at, stats.last_commit_at = times[0], times[-1]
    return stats


def patch_ids(root: str, shas: list) -> dict:
    """{sha: stable patch id} of those of ``shas`` that have a diff (``git diff-tree -p`` fed to
    ``git patch-id --stable``): what a rebase or a cherry-pick keeps when it rewrites a commit
    (the log records them, ``patch_ids``; pr-summary maps rewritten commits by them). Merges
    and empty commits have none. Every ``sha`` must name a commit this repository has."""
    if not shas:
        return {}
    listed = "".join(sha + "\n" for sha in shas).encode("ascii")
    diff = git(root, "diff-tree", "--stdin", "-p", "--root", "--no-color", input=listed).stdout
    out = git(root, "patch-id", "--stable", input=diff).stdout.decode("ascii", "replace")
    found = {}
    for line in out.splitlines():
        pid, _, sha = line.partition(" ")
        if sha:
            found[sha] = pid
    return found


def is_commit(root: str, sha: str) -> bool:
    """True when ``sha`` (a full hash) names a commit this repository has."""
    return gitrefs.is_sha(sha) and git(root, "cat-file", "-e", sha + "^{commit}", check=False).returncode == 0


def last_handoff_commit(root: str, operator: str | None, exclude_path: str | None = None):
    """(hash, committer time) of the previous ``/handoff``: the first commit ``git log HEAD``
    walks to that touched the operator's session logs (any operator's when None); None when
    there is none. Its hash starts an ancestry window, so a commit made in the same second
    after it still counts."""
    if head_commit(root) is None:
        return None
    pattern = "%s/%s-*.md" % (SESSIONS_DIR, operator) if operator else "%s/*.md" % SESSIONS_DIR
    args = ["log", "-1", "--format=%H %cI", "HEAD", "--", pattern.replace(os.sep, "/")]
    if exclude_path:
        args.append(":(exclude)" + exclude_path.replace(os.sep, "/"))
    sha, _, when = _text(git(root, *args)).partition(" ")
    return (sha, isotime.parse_iso(when, "git date")) if sha else None


def first_commit_epoch(root: str) -> float | None:
    """Committer time of the oldest commit reachable from HEAD."""
    if head_commit(root) is None:
        return None
    out = _text(git(root, "log", "--reverse", "--format=%cI", "--max-parents=0", "HEAD"))
    dates = [isotime.parse_iso(line, "git date") for line in out.splitlines() if line.strip()]
    return min(dates) if dates else None
