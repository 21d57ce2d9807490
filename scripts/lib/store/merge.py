"""The ``handoff`` merge driver: git's union, then the file's canonical form.

Git calls ``merge-driver %O %A %B %P`` (base, ours, theirs: temporary files; %P the path in
the tree) for the paths `attributes.driver_lines` name, and takes the content of %A afterwards
as the merge result; exit 0 means "merged, no conflict". Invariants:

- the result is never a conflict: its lines are exactly what ``git merge-file --union`` gives
  (the built-in ``union`` driver's merge), put in canonical order with repeated keys dropped;
- the commit log (known by its content, core/changelog_path.is_ours): the result is
  `changelog.canonical` of the union: every entry of both sides exactly once, the same bytes
  whichever side merges into which;
- ``INDEX.md``: one row per file (the link target), ordered as ``regen-indexes`` orders them.
  When both sides changed one file's row differently, the driver cannot know which is current
  (the merged log is not on disk yet when git merges this file), so it keeps the larger row;
  the next ``regen-indexes`` (every ``/handoff``) rewrites it, and ``validate`` names it
  meanwhile;
- %A is replaced atomically, only once the result is complete; on any failure the driver
  exits non-zero without touching it, and the configured ``|| git merge-file --union`` runs.

Standard library only (it runs on ``python3`` without the helpers' venv).
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import unquote

from ..core import changelog_path
from ..logs import changelog, log_ids

SESSIONS_INDEX = "docs/sessions/INDEX.md"
WORKSTREAMS_INDEX = "workstreams/INDEX.md"


def union(ours: str, base: str, theirs: str) -> bytes:
    """What git's built-in union driver makes of the three files (git merge-file --union)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    out = subprocess.run(
        ["git", "merge-file", "--union", "-p", "-L", "ours", "-L", "base", "-L", "theirs", ours, base, theirs],
        capture_output=True,
        env=env,
        timeout=60,
    )
    if out.returncode < 0 or out.returncode > 127:
        raise RuntimeError("git merge-file failed: %s" % out.stderr.decode("utf-8", "replace").strip())
    return out.stdout


def _row_target(line: str) -> str | None:
    """``| [ID](target) | ...`` -> the link target, unquoted."""
    if not line.startswith("| ["):
        return None
    start = line.find("](")
    end = line.find(")", start + 2)
    if start < 0 or end < 0:
        return None
    return unquote(line[start + 2 : end], errors="surrogateescape")


def _session_order(target: str, row: str) -> str:
    """``regen-indexes``' order (log_ids.sort_key); a legacy log's day is its row's Date cell."""
    cells = [c.strip() for c in row.split(" | ")]
    return log_ids.sort_key(target, cells[1] if len(cells) > 1 and len(cells[1]) == 10 else None)


def canonical_index(text: str, sessions: bool) -> str:
    """The union of two indexes with one row per file, in ``regen-indexes``' order."""
    head, rows, seen = [], {}, set()
    empty_note = None
    for line in text.splitlines():
        target = _row_target(line)
        if target is not None:
            rows[target] = max(rows.get(target, line), line)
            continue
        if line.startswith("_No ") and line.endswith("yet._"):
            empty_note = line
            continue
        if line.startswith("|") or (line in seen and line.strip()):
            continue  # the table head: written again below; a repeated header line
        seen.add(line)
        head.append(line)
    while head and not head[-1].strip():
        head.pop()
    out = head + [""]
    if not rows:
        out.append(empty_note or ("_No session logs yet._" if sessions else "_No workstreams yet._"))
    else:
        if sessions:
            out += ["| ID | Date | Operator | Title | Workstreams |", "|---|---|---|---|---|"]
            order = sorted(rows, key=lambda t: _session_order(t, rows[t]), reverse=True)
        else:
            out += ["| Workstream | Title | Owner | Status | Progress |", "|---|---|---|---|---|"]
            order = sorted(rows)
        out += [rows[t] for t in order]
    return "\n".join(out) + "\n"


def canonical_for(path: str, text: str) -> str | None:
    """The canonical form of a merged file we know, or None (then the union stays as it is).
    The commit log is known by its content (core/changelog_path.is_ours), not its name: its
    path is configurable, and a user's changelog that a stale attribute still names is never
    rewritten."""
    path = path.replace(os.sep, "/").lstrip("/")
    if path == SESSIONS_INDEX:
        return canonical_index(text, sessions=True)
    if path == WORKSTREAMS_INDEX:
        return canonical_index(text, sessions=False)
    if changelog_path.is_ours(text):
        return changelog.canonical(text)
    return None


def merge_files(base: str, ours: str, theirs: str, path: str) -> None:
    """Merge into ``ours`` (git's %A). Raises on failure, before ``ours`` is touched."""
    merged = union(ours, base, theirs)
    try:
        text = merged.decode("utf-8")
    except UnicodeDecodeError:
        result = merged  # not ours to reorder: keep the union
    else:
        canonical = canonical_for(path, text)
        result = (canonical if canonical is not None else text).encode("utf-8")
    tmp = "%s.handoff-merge.%d" % (ours, os.getpid())
    with open(tmp, "wb") as f:
        f.write(result)
    os.replace(tmp, ours)
