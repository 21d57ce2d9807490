"""What ``validate`` checks across files of the store (beyond each document's schema).

- A stale index: ``docs/sessions/INDEX.md`` or ``workstreams/INDEX.md`` differs from what
  ``regen-indexes`` makes from the files (resume/indexes.py's generator, the same function):
  named with the first rows that differ.
- the commit log (``project.changelog_relpath()``; a file there that is not ours is named):
  an entry listed more than once (a merge without the ``handoff`` driver keeps both copies
  until the next ``changelog`` run), a file out of canonical order, and an entry
  missing: a commit hash that a commit on HEAD added to the file and that is no longer in it
  (the file is append-only; a merge resolved by hand that dropped a side's lines shows here).
  The history is read once (``git log -p -U0`` of the file), so a shallow clone checks the
  history it has.
"""

from __future__ import annotations

import os
import re
import subprocess

from ..core import changelog_path, repofiles
from ..logs import changelog, log_ids
from ..logs import workstreams as ws_format
from ..logs.validation import Problem
from ..resume import indexes

_ADDED_ENTRY_RE = re.compile(r"^\+- .*\(`([0-9a-f]{7,64})`\)\s*$")


def _rows(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if line.startswith("| ["):
            out[line.split("](", 1)[0][3:]] = line
    return out


def _index_problem(rel: str, current: str | None, wanted: str) -> Problem | None:
    if current == wanted:
        return None
    if current is None:
        return Problem(rel, "(index)", "missing; run: scripts/handoff regen-indexes")
    have, want = _rows(current), _rows(wanted)
    differ = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
    what = ", ".join(differ[:3]) + (" and %d more" % (len(differ) - 3) if len(differ) > 3 else "")
    detail = "rows differ for %s" % what if differ else "layout differs"
    return Problem(rel, "(index)", "out of date (%s); run: scripts/handoff regen-indexes" % detail)


def index_problems(project) -> list:
    existing = {d + "/" + indexes.INDEX_NAME for d, _ in indexes.JOBS}
    existing = {rel for rel in existing if os.path.exists(project.path(rel))}
    if not existing:
        return []  # no index yet: nothing to be stale (regen-indexes creates it)
    problems = []
    for rel, wanted in indexes.build(project, []).items():
        if rel not in existing:
            continue
        try:
            current = repofiles.read_repo_file(project.path(rel), root=project.root).decode("utf-8", "replace")
        except repofiles.Unreadable as exc:
            problems.append(Problem(rel, "(file)", exc.reason))
            continue
        problem = _index_problem(rel, current, wanted)
        if problem:
            problems.append(problem)
    return problems


def history_hashes(root: str, rel: str) -> dict:
    """{abbreviated hash: commit that added its entry} over HEAD's history of the commit log ``rel``."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    env["LC_ALL"] = "C"
    args = ["git", "-C", root, "log", "--format=commit %H", "-p", "-U0", "--no-color", "--no-ext-diff"]
    args += ["--no-renames", "HEAD", "--", rel]
    try:
        out = subprocess.run(args, capture_output=True, env=env, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if out.returncode != 0:
        return {}  # no commits yet, or not a repository: no history to compare with
    found: dict = {}
    commit = None
    for raw in out.stdout.decode("utf-8", "replace").splitlines():
        if raw.startswith("commit "):
            commit = raw[7:19]
            continue
        m = _ADDED_ENTRY_RE.match(raw)
        if m:
            found[m.group(1)] = commit  # oldest last: keeps the commit that first added it
    return found


def changelog_problems(root: str, rel: str) -> list:
    path = os.path.join(root, rel)
    try:
        text = repofiles.read_repo_text(path, root=root, missing_ok=True)
    except repofiles.Unreadable as exc:
        return [Problem(rel, "(file)", exc.reason)]
    if text is None:
        return []
    if not changelog_path.is_ours(text):
        return [Problem(rel, "(file)", "not handoff's commit log (no handoff changelog marker); "
                        "set \"%s\" in .claude/handoff.json to a path of its own" % changelog_path.CONFIG_KEY)]
    parsed = changelog.parse(text)
    problems = []
    for entry, count in sorted(changelog.duplicates(parsed.entries), key=lambda d: d[0].sort_key()):
        what = "`%s`" % entry.sha if entry.sha else entry.render()
        problems.append(Problem(rel, what, "listed %d times; run: scripts/handoff changelog" % count))
    have = {e.sha for e in parsed.entries if e.sha}
    for sha, commit in sorted(history_hashes(root, rel).items()):
        if sha not in have:
            problems.append(Problem(rel, "`%s`" % sha, "missing (added by commit %s)" % commit))
    if not problems and changelog.canonical(text) != text:
        problems.append(Problem(rel, "(order)", "not in canonical order; run: scripts/handoff changelog"))
    return problems


def store_files(root: str, changelog_rel: str) -> int:
    """How many of the store's generated files exist (what the summary line counts)."""
    rels = (changelog_rel, log_ids.SESSIONS_DIR + "/" + indexes.INDEX_NAME)
    rels += (ws_format.WORKSTREAMS_DIR + "/" + indexes.INDEX_NAME,)
    return sum(1 for rel in rels if os.path.isfile(os.path.join(root, rel)))


def store_problems(project) -> tuple:
    """(files checked, [Problem]) for the store as a whole."""
    root, rel = project.root, project.changelog_relpath()
    return store_files(root, rel), index_problems(project) + changelog_problems(root, rel)
