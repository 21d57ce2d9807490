"""Two session logs with one id: what it looks like after a pull, and how it is named.

Ids are allocated under a lock that only this machine sees; two clones of one operator that
allocate on the same day while one of them could not fetch take the same id. Two files cannot
have one path, so a collision takes one of three shapes, each found here:

- ``add/add``: a merge, ``pull --rebase`` or cherry-pick stopped on ``docs/sessions/<id>.md``
  added on both sides (unmerged index entries at stages 2 and 3, none at stage 1);
- ``same id``: two files in ``docs/sessions/`` whose ``id:`` is the same (a conflict resolved
  by keeping both under different names);
- ``remote``: before the pull, the log here and the log at the same path on a remote-tracking
  ref are different sessions (their ``session_id`` differ; without one, their bytes).

Nothing is lost in any of them: both logs exist, and ``scripts/handoff renumber <path>`` gives
the local, unpushed one the next free id (store/renumber.py). `validate` reports collisions as
problems; ``/resume`` as warnings, from `for_resume`, which runs git only when something it
depends on changed (HEAD, the refs, the listing of ``docs/sessions/``) or a merge is under way.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple

from ..core import repofiles, statefiles
from ..core.discovery import head_commit_sha
from ..logs.log_ids import is_legacy_name, parse_log_id

# /resume imports this module on its warm path (`for_resume`, answered from the cache): yaml
# (logs/frontmatter.py), subprocess and the registry are imported only where a check runs.
SESSIONS = "docs/sessions"
CACHE_NAME = "collisions.json"
NOT_LOGS = ("README.md", "INDEX.md")
IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")

# kind: "add/add" | "same id" | "remote"; path: the local file to renumber; detail: one line
Collision = namedtuple("Collision", ("log_id", "kind", "path", "detail"))


def fix_hint(path: str) -> str:
    return "keep both: scripts/handoff renumber %s" % path


def describe(c: Collision) -> str:
    return "%s: id collision (%s): %s; %s" % (c.path, c.kind, c.detail, fix_hint(c.path))


def identity(data: bytes):
    """What makes a log *this* session's log: its ``session_id``, else its bytes."""
    from ..logs import frontmatter

    try:
        meta = frontmatter.parse(data.decode("utf-8"), "log").meta
    except (UnicodeDecodeError, frontmatter.FrontmatterError):
        return ("bytes", data)
    sid = meta.get("session_id")
    return ("session", sid) if isinstance(sid, str) and sid else ("bytes", data)


def unmerged_logs(root: str) -> dict:
    """{path: {stage: blob sha}} of unmerged entries under docs/sessions/."""
    from . import gitproc

    out = gitproc.run(root, ["ls-files", "-u", "-z", "--", SESSIONS]).stdout.decode("utf-8", "surrogateescape")
    found: dict = {}
    for item in out.split("\0"):
        if not item:
            continue
        info, _, path = item.partition("\t")
        parts = info.split()
        if len(parts) == 3:
            found.setdefault(path, {})[int(parts[2])] = parts[1]
    return found


def remote_tips(project) -> list:
    from . import id_registry

    return [(sha, name) for sha, name in id_registry.ref_tips(project)
            if name.startswith("refs/remotes/") and not name.endswith("/HEAD")]


def remote_logs(project) -> dict:
    """{ref name: {file name: blob sha}} of docs/sessions/ on every remote-tracking ref."""
    from . import id_registry

    tips = remote_tips(project)
    trees = id_registry.sessions_trees(project.root, [sha for sha, _ in tips])
    entries = id_registry.tree_entries(project.root, sorted({t for t in trees.values() if t}))
    return {name: dict(entries.get(trees.get(sha), ())) for sha, name in tips}


def blobs(root: str, shas: list) -> dict:
    """{blob sha: bytes} in one ``cat-file --batch``."""
    from . import gitproc

    return gitproc.cat_file_batch(root, shas, b"blob")


def index_blobs(root: str) -> dict:
    """{file name: blob sha} of docs/sessions/ in the index (stage 0)."""
    from . import gitproc

    out = gitproc.run(root, ["ls-files", "-s", "-z", "--", SESSIONS]).stdout.decode("utf-8", "surrogateescape")
    found = {}
    for item in out.split("\0"):
        info, _, path = item.partition("\t")
        parts = info.split()
        if len(parts) == 3 and parts[2] == "0" and path.count("/") == 2:
            found[path.rsplit("/", 1)[1]] = parts[1]
    return found


def _same_id_files(root: str) -> list:
    from ..logs import frontmatter

    directory = os.path.join(root, SESSIONS)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    by_id: dict = {}
    for name in names:
        if name in NOT_LOGS or name.startswith(".") or is_legacy_name(name):
            continue
        stem = name[:-3] if name.endswith(".md") else None
        log_id = stem if stem and parse_log_id(stem) else None
        if log_id is None:  # an odd name (a conflict copy, "X.md~theirs", "X (2).md"): read its id
            try:
                log_id = frontmatter.load(os.path.join(directory, name)).meta.get("id")
            except frontmatter.FrontmatterError:
                continue
        if isinstance(log_id, str) and parse_log_id(log_id):
            by_id.setdefault(log_id, []).append(SESSIONS + "/" + name)
    found = []
    for log_id, paths in sorted(by_id.items()):
        if len(paths) > 1:
            paths.sort(key=lambda p: (os.path.basename(p) != log_id + ".md", p))  # the id's own path first
            odd = [p for p in paths if os.path.basename(p) != log_id + ".md"] or paths[1:]
            found.append(Collision(log_id, "same id", odd[0], "%s all have id %s" % (" and ".join(paths), log_id)))
    return found


def find(project, unmerged=None) -> list:
    """Every collision in the work tree and against the remote-tracking refs, sorted by path."""
    if not project.git_common_dir:
        return []
    root = project.root
    found = []
    unmerged = unmerged_logs(root) if unmerged is None else unmerged
    for path, stages in sorted(unmerged.items()):
        name = os.path.basename(path)
        if 1 not in stages and 2 in stages and 3 in stages and name.endswith(".md") and parse_log_id(name[:-3]):
            found.append(Collision(name[:-3], "add/add", path, "both sides of the merge added %s" % name))
    found += _same_id_files(root)
    found += _remote_collisions(project, set(unmerged))
    return sorted(found, key=lambda c: (c.path, c.kind))


def _remote_collisions(project, skip: set) -> list:
    root = project.root
    remote = remote_logs(project)
    if not remote:
        return []
    local_index = index_blobs(root)
    candidates = []  # (name, ref, remote blob)
    for ref, files in sorted(remote.items()):
        for name, blob in files.items():
            rel = SESSIONS + "/" + name
            if rel in skip or not name.endswith(".md") or not parse_log_id(name[:-3]):
                continue
            if local_index.get(name) == blob or not os.path.isfile(os.path.join(root, rel)):
                continue
            candidates.append((name, ref, blob))
    contents = blobs(root, sorted({b for _, _, b in candidates}))
    found, seen = [], set()
    for name, ref, blob in candidates:
        try:
            local = repofiles.read_repo_file(os.path.join(root, SESSIONS, name), root=root)
        except repofiles.Unreadable:
            continue  # validate names it (the file's own problem)
        if name in seen or blob not in contents or identity(local) == identity(contents[blob]):
            continue
        seen.add(name)
        short = ref[len("refs/remotes/"):]
        found.append(Collision(name[:-3], "remote", SESSIONS + "/" + name,
                               "%s on %s is another session's log" % (name, short)))
    return found


# ---- /resume: cached by what the answer depends on


def _mtime(path: str):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _key(project) -> list:
    common = project.git_common_dir
    return [
        head_commit_sha(project.git_dir, project.git_common_dir),
        _mtime(os.path.join(project.root, SESSIONS)),
        _mtime(os.path.join(common, "FETCH_HEAD")),
        _mtime(os.path.join(common, "packed-refs")),
        _mtime(os.path.join(common, "refs", "remotes")),
        _mtime(os.path.join(project.git_dir, "index")),
    ]


def for_resume(project) -> list:
    """Collision lines for the /resume dashboard. Outside a merge, git runs only when the key
    (HEAD, the listing, fetches, the index) changed since the last answer, which is kept in
    ``<state dir>/collisions.<worktree>.json`` (derived: anything odd there is recomputed)."""
    if not project.git_common_dir:
        return []
    in_progress = any(os.path.lexists(os.path.join(project.git_dir, n)) for n in IN_PROGRESS)
    path = os.path.join(project.state_dir, project.per_worktree_name(CACHE_NAME))
    key = _key(project)
    if not in_progress:
        try:
            with open(path, encoding="utf-8") as f:
                cached = json.load(f)
            if cached.get("key") == key and all(isinstance(x, str) for x in cached.get("lines", [None])):
                return cached["lines"]
        except (OSError, ValueError, AttributeError):
            pass
    lines = [describe(c) for c in find(project)]
    if not in_progress:
        try:
            statefiles.ensure_dir(project.state_dir)
            statefiles.write_atomic(path, json.dumps({"key": key, "lines": lines}).encode())
        except OSError:
            pass
    return lines
