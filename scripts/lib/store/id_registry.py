"""Session log ids taken anywhere in a repository on this machine: every worktree, every branch.

Invariant: two ``write-session`` runs of one repository never allocate the same id, whichever
worktree or branch each runs in (tests/store/test_ids_worktrees.py races real processes in two
worktrees). Allocation (logs/write_session.py) holds `RepoIds.lock_path` -- one lock per
operator in the git *common* dir, so every worktree takes the same lock even when
``$HANDOFF_STATE_DIR`` differs -- and takes the next number after the highest of:

- the operator's logs of the day in this worktree's ``docs/sessions/`` (logs/log_alloc.py);
- the same in every other worktree (``git worktree list --porcelain``; names only);
- the same in ``docs/sessions/`` of every local branch and remote-tracking ref
  (``git for-each-ref``; a log committed on a branch no worktree has checked out still counts).

Reading 50 branches' trees of 10,000 names on every ``/handoff`` would cost seconds, so the
answer per tree is cached in ``<state dir>/id-registry.json`` (derived data: corrupt or foreign
-> moved aside, rebuilt, warned about). A ref tip maps to the tree of its ``docs/sessions`` and
a tree to ``{"OP-YYMMDD": highest seq}`` for the days from ``from`` on (a few days before the
day asked: allocation only ever asks for today). Steady state: no git process at all (refs and
worktrees are read from the common dir as git stores them), no tree read; moved refs cost one
``cat-file --batch-check`` and one ``cat-file --batch`` for all of them together.
"""

from __future__ import annotations

import calendar
import json
import os
import time

from ..core import gitrefs, statefiles
from ..logs.log_ids import parse_log_id
from . import gitproc

SESSIONS = "docs/sessions"
CACHE_NAME = "id-registry.json"
FORMAT = "handoff-id-registry"
VERSION = 1
DAYS_KEPT = 3  # a tree's summary covers the asked day and the DAYS_KEPT - 1 days before it


def _day_minus(day: str, days: int) -> str:
    t = calendar.timegm(time.strptime("20" + day, "%Y%m%d")) - days * 86400
    return time.strftime("%y%m%d", time.gmtime(t))


def ref_tips(project) -> list:
    """[(commit sha, ref name)] of every local branch and remote-tracking ref.

    Read from the ref store the way git keeps it (loose files under ``refs/``, then
    ``packed-refs``; a loose ref wins), without starting git: this runs on every ``/handoff``,
    and a process start is 5-10 ms here. A repository using the reftable backend is asked
    through ``git for-each-ref``. Annotated tags are not branches; symbolic refs
    (``origin/HEAD``) are skipped (they name a ref listed anyway)."""
    common = project.git_common_dir
    if os.path.exists(os.path.join(common, "reftable")):
        return _ref_tips_from_git(project.root)
    tips = {name: sha for name, sha in gitrefs.packed_refs(common).items()
            if name.startswith(("refs/heads/", "refs/remotes/"))}
    for top in ("refs/heads", "refs/remotes"):
        base = os.path.join(common, top)
        for dirpath, _, files in os.walk(base):
            for fname in files:
                path = os.path.join(dirpath, fname)
                try:
                    with open(path, encoding="ascii", errors="replace") as f:
                        value = f.read(200).strip()
                except OSError:
                    continue
                name = top + "/" + os.path.relpath(path, base).replace(os.sep, "/")
                if value.startswith("ref:"):
                    tips.pop(name, None)
                elif value and all(c in "0123456789abcdef" for c in value):
                    tips[name] = value
    return sorted((sha, name) for name, sha in tips.items())


def _ref_tips_from_git(root: str) -> list:
    out = gitproc.text(root, ["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)",
                              "refs/heads", "refs/remotes"])
    tips = []
    for line in out.splitlines():
        sha, kind, name = (line.split(" ", 2) + ["", ""])[:3]
        if kind == "commit":
            tips.append((sha, name))
    return tips


def worktree_roots(project) -> list:
    """Absolute paths of the repository's non-bare worktrees.

    Read as git keeps them, without starting git: the main worktree is the directory holding
    the common dir when that is a ``.git`` dir (not a bare repository); each linked worktree has
    ``<common>/worktrees/<name>/gitdir`` naming its ``.git`` file. Other layouts
    (``--separate-git-dir``, ``$GIT_DIR``) ask ``git worktree list --porcelain``."""
    common = project.git_common_dir
    if os.path.basename(common) != ".git":
        return _worktree_roots_from_git(project.root)
    roots = [os.path.dirname(common)]
    admin = os.path.join(common, "worktrees")
    try:
        names = sorted(os.listdir(admin))
    except OSError:
        names = []
    for name in names:
        try:
            with open(os.path.join(admin, name, "gitdir"), encoding="utf-8", errors="surrogateescape") as f:
                dot_git = f.read(4096).strip()
        except OSError:
            continue
        if dot_git:
            roots.append(os.path.dirname(os.path.join(admin, name, dot_git)))
    return roots


def _worktree_roots_from_git(root: str) -> list:
    out = gitproc.text(root, ["worktree", "list", "--porcelain"])
    roots, current, bare = [], None, False
    for line in out.splitlines() + [""]:
        if line.startswith("worktree "):
            current, bare = line[len("worktree "):], False
        elif line == "bare":
            bare = True
        elif not line and current is not None:
            if not bare:
                roots.append(current)
            current = None
    return roots


def sessions_trees(root: str, commits: list) -> dict:
    """{commit: tree sha of its docs/sessions, or "" when it has none (or the object is missing,
    e.g. a shallow or partial clone)} in one ``cat-file --batch-check``."""
    if not commits:
        return {}
    data = "".join("%s:%s\n" % (c, SESSIONS) for c in commits).encode()
    out = gitproc.run(root, ["cat-file", "--batch-check"], input=data).stdout.decode("utf-8", "replace")
    found = {}
    for commit, line in zip(commits, out.splitlines()):
        parts = line.split()
        found[commit] = parts[0] if len(parts) == 3 and parts[1] == "tree" else ""
    return found


def tree_entries(root: str, trees: list) -> dict:
    """{tree sha: [(name, blob sha)]} in one ``cat-file --batch`` (binary tree objects parsed
    here: ``<mode> <name>\\0<raw hash>`` per entry; the hash is 20 bytes, 32 in SHA-256 repos)."""
    found = {}
    for tree, body in gitproc.cat_file_batch(root, trees, b"tree").items():
        raw_len = len(tree) // 2
        entries, i = [], 0
        while i < len(body):
            nul = body.index(b"\0", i)
            mode, _, name = body[i:nul].partition(b" ")
            sha = body[nul + 1:nul + 1 + raw_len].hex()
            i = nul + 1 + raw_len
            if not mode.startswith(b"4"):  # files only
                entries.append((name.decode("utf-8", "surrogateescape"), sha))
        found[tree] = entries
    return found


def summarize(names, since: str) -> dict:
    """{"OP-YYMMDD": highest seq} of the log names whose day is ``since`` or later."""
    best: dict = {}
    for name in names:
        if not name.endswith(".md"):
            continue
        log_id = parse_log_id(name[:-3])
        if log_id is None or log_id.day < since:
            continue
        key = "%s-%s" % (log_id.operator, log_id.day)
        if log_id.seq > best.get(key, 0):
            best[key] = log_id.seq
    return best


def listed_highest(directory: str, operator: str, day: str) -> int:
    prefix = "%s-%s-" % (operator, day)
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    best = 0
    for name in names:
        if name.startswith(prefix) and name.endswith(".md"):
            log_id = parse_log_id(name[:-3])
            if log_id is not None and log_id.operator == operator and log_id.seq > best:
                best = log_id.seq
    return best


class RepoIds:
    """The ids of a repository, for `logs.write_session.write_session` (its ``ids`` argument)."""

    def __init__(self, project, fetcher=None):
        self.project = project
        self.fetcher = fetcher  # store.remote_fetch.Fetcher or None
        self.warnings: list = []
        self.cache_path = os.path.join(project.state_dir, CACHE_NAME)

    def lock_path(self, operator: str) -> str:
        """One per operator and repository: in the git common dir (whatever state dir each
        process uses); outside git, the state dir's operator lock (logs/log_alloc.py)."""
        if not self.project.git_common_dir:
            return os.path.join(self.project.state_dir, "locks", "logs-%s.lock" % operator)
        return os.path.join(self.project.git_common_dir, "handoff", "locks", "ids-%s.lock" % operator)

    def prepare(self) -> None:
        """Before the lock: bring the remote's ids in (a bounded, quiet fetch)."""
        if self.fetcher is not None:
            warning = self.fetcher.fetch()
            if warning:
                self.warnings.append(warning)

    def highest_seq(self, operator: str, day: str) -> int:
        """The highest number of ``<operator>-<day>-NN`` in any other worktree or on any ref."""
        if not self.project.git_common_dir:
            return 0
        root = self.project.root
        best = 0
        here = os.path.realpath(root)
        for other in worktree_roots(self.project):
            if os.path.realpath(other) != here:
                best = max(best, listed_highest(os.path.join(other, SESSIONS), operator, day))
        tips = ref_tips(self.project)
        summaries = self._summaries([sha for sha, _ in tips], day)
        key = "%s-%s" % (operator, day)
        for summary in summaries:
            best = max(best, summary.get(key, 0))
        return best

    # ---- the cache

    def _load(self) -> dict:
        empty = {"format": FORMAT, "version": VERSION, "commits": {}, "trees": {}}
        try:
            with open(self.cache_path, "rb") as f:
                data = json.loads(f.read())
        except FileNotFoundError:
            return empty
        except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
            return self._discard(empty, "unreadable (%s)" % (getattr(exc, "strerror", None) or exc))
        ok = (
            isinstance(data, dict) and data.get("format") == FORMAT and data.get("version") == VERSION
            and isinstance(data.get("commits"), dict) and isinstance(data.get("trees"), dict)
            and all(isinstance(v, str) for v in data["commits"].values())
            and all(isinstance(v, dict) and isinstance(v.get("from"), str) and isinstance(v.get("max"), dict)
                    and all(isinstance(n, int) for n in v["max"].values()) for v in data["trees"].values())
        )
        return data if ok else self._discard(empty, "not a version %d id registry" % VERSION)

    def _discard(self, empty: dict, why: str) -> dict:
        aside = "%s.corrupt-%s" % (self.cache_path, time.strftime("%Y%m%dT%H%M%S", time.gmtime()))
        try:
            os.replace(self.cache_path, aside)
        except OSError:
            aside = "(left in place)"
        self.warnings.append("%s: %s; moved aside to %s and rebuilt" % (self.cache_path, why, os.path.basename(aside)))
        return empty

    def _summaries(self, commits: list, day: str) -> list:
        data = self._load()
        changed = False
        known = data["commits"]
        missing = [c for c in dict.fromkeys(commits) if c not in known]
        if missing:
            known.update(sessions_trees(self.project.root, missing))
            changed = True
        wanted = {known[c] for c in commits if known.get(c)}
        trees = data["trees"]
        stale = [t for t in sorted(wanted) if t not in trees or trees[t]["from"] > day]
        if stale:
            since = _day_minus(day, DAYS_KEPT - 1)
            for tree, entries in tree_entries(self.project.root, stale).items():
                trees[tree] = {"from": since, "max": summarize((n for n, _ in entries), since)}
            changed = True
        if set(known) != set(commits) or set(trees) != wanted:  # forget refs that moved away
            data["commits"] = {c: known[c] for c in commits if c in known}
            data["trees"] = {t: trees[t] for t in wanted if t in trees}
            changed = True
        if changed:
            try:
                statefiles.ensure_dir(self.project.state_dir)
                statefiles.write_atomic(self.cache_path, json.dumps(data, sort_keys=True).encode())
            except OSError as exc:
                self.warnings.append("%s: not saved (%s)" % (self.cache_path, exc.strerror or exc))
        return [data["trees"][t]["max"] for t in wanted if t in data["trees"]]
