"""Gathering a digest's material: session logs (from the catalog), git history and ``gh``.

Logs: one catalog query (lib/catalog/store.py, current for every log on disk) for the logs
whose day lies in the windows' candidate days (weeks.candidate_days), plus those whose day is
unknown (a legacy ``CONV-*.md`` log without ``date`` or ``ended_at``). A log's figures are
`catalog.records.figures` of its stored frontmatter; its quoted items are the items of its
decisions, learnings and questions columns (logs/sections.py). A log whose frontmatter could not
be read is one warning and is not counted; a field of the wrong type is one warning and that
figure is not counted for that log (the session still is).

Git: one ``git log --numstat`` over the whole span asked for, split per window by committer
time in Python (exact edges; ``--since/--until`` only narrow the walk). Workstream phases
completed: checklist lines turned ``- [x]`` in commits touching ``workstreams/<slug>.md``
(README.md and INDEX.md there are not workstreams).

GitHub: PRs and issues only when the ``gh`` CLI is on PATH and ``gh auth status`` succeeds;
otherwise `github` says why and the figures are "not available" (never 0).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from ..core import isotime
from ..core.errors import HelperError
from ..logs import gitstats
from ..logs import workstreams as ws_format

# (digest key, catalog search column) of the items a digest quotes
QUOTED = (("decisions", "decisions"), ("learnings", "learnings"), ("open_questions", "questions"))
GH_TIMEOUT_S = 30


def session_logs(project, days: set, warnings: list) -> list:
    """[(log id, record)] of the logs whose day is in ``days`` (``YYYY-MM-DD``) or unknown, by
    path: record = `records.figures` plus ``op`` (the log's operator) and the texts of its
    `QUOTED` sections (their items are taken only for the window quoted: report.quotes)."""
    from ..catalog import records, store

    # By sort_key (log_ids.sort_key: "YYYYMMDD-..." for a log with a day, "-..." without one),
    # so that the index docs_order is used: the rows of the days only are read, not every log
    # (sorted here: ORDER BY path would walk the (root, path) index over every log instead).
    query = (
        "SELECT d.id, d.path, d.operator, d.day, d.frontmatter, d.warning, %s FROM docs d"
        " JOIN docs_fts f ON f.rowid = d.docid WHERE d.root = ? AND d.kind = 'log'"
        " AND (d.sort_key < '0' OR d.sort_key >= ? AND d.sort_key < ?)" % ", ".join("f." + c for _, c in QUOTED)
    )
    args = (project.root, min(days).replace("-", ""), max(days).replace("-", "") + "~")
    rows = store.ask(project, warnings, lambda conn: conn.execute(query, args).fetchall())
    out = []
    for log_id, path, operator, day, frontmatter, warning, *quoted in sorted(rows, key=lambda row: row[1]):
        if day is not None and day not in days:
            continue
        meta = records.meta_of(frontmatter)
        if meta is None:
            warnings.append("%s: %s; not counted" % (path, warning or "frontmatter unreadable"))
            continue
        if warning:
            warnings.append("%s: %s" % (path, warning))
        record = records.figures(meta, day)
        warnings += ["%s: %s" % (path, w) for w in record.pop("warnings")]
        record["op"] = operator
        record.update(zip((key for key, _ in QUOTED), quoted))
        out.append((log_id, record))
    return out


# ---------------------------------------------------------------------------- git


def _workstream_slug(path: str) -> str | None:
    """``workstreams/auth.md`` -> ``auth``; None for any other path (README.md, INDEX.md too)."""
    directory, _, name = path.rpartition("/")
    return ws_format.slug_of(name) if directory == ws_format.WORKSTREAMS_DIR else None


class GitHistory:
    """Commits on HEAD between two instants: [(epoch, {paths}, insertions, deletions)]."""

    def __init__(self, root: str, start: float, end: float):
        try:
            gitstats.ensure_repo(root)
        except HelperError:
            raise HelperError(f"{root}: not a git repository (digest reads its history)") from None
        self.has_commits = gitstats.head_commit(root) is not None
        self.commits: list = []
        self.phases: list = []  # [(epoch, workstream slug, phase text, short sha)]
        if not self.has_commits:
            return
        window = ["--since=" + isotime.git_date(start - 1), "--until=" + isotime.git_date(end + 1)]
        out = gitstats.git(
            root, "-c", "core.quotepath=off", "log", "--no-renames", "--numstat", "--format=%x1e%H %ct", *window,
            "HEAD", "--",
        )
        for chunk in out.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
            lines = chunk.split("\n")
            head = lines[0].split(" ")
            if len(head) != 2 or not head[1].isdigit():
                continue
            t = float(head[1])
            if not start <= t < end:
                continue
            paths, ins, dels = set(), 0, 0
            for line in lines[1:]:
                parts = line.split("\t", 2)
                if len(parts) != 3:
                    continue
                paths.add(parts[2])
                ins += int(parts[0]) if parts[0].isdigit() else 0
                dels += int(parts[1]) if parts[1].isdigit() else 0
            self.commits.append((t, paths, ins, dels))
        if any(_workstream_slug(path) for _, paths, _, _ in self.commits for path in paths):
            self._phases(root, window, start, end)  # else no checklist of a workstream changed

    def _phases(self, root: str, window: list, start: float, end: float) -> None:
        out = gitstats.git(
            root, "-c", "core.quotepath=off", "log", "--no-renames", "-p", "-U0", "--format=%x1e%H %ct", *window,
            "HEAD", "--", ws_format.WORKSTREAMS_DIR + "/*.md",
        )
        checked = re.compile(r"^([+-])\s{0,3}[-*+] \[([ xX])\] (.*)$")
        for chunk in out.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
            lines = chunk.split("\n")
            head = lines[0].split(" ")
            if len(head) != 2 or not head[1].isdigit() or not start <= float(head[1]) < end:
                continue
            slug, before, after = None, {}, {}
            for line in lines[1:]:
                if line.startswith("+++ "):
                    target = line[4:].strip()
                    slug = _workstream_slug(target[2:]) if target.startswith("b/") else None
                    continue
                if line.startswith("--- ") or slug is None:
                    continue
                m = checked.match(line)
                if m:
                    side = after if m.group(1) == "+" else before
                    side.setdefault(slug, set()).add((m.group(3).strip(), m.group(2) != " "))
            for ws, items in sorted(after.items()):
                was_done = {text for text, done in before.get(ws, ()) if done}
                for text, done in sorted(items):
                    if done and text not in was_done:
                        self.phases.append((float(head[1]), ws, text, head[0][:12]))

    def in_window(self, window) -> list:
        return [c for c in self.commits if window.contains(c[0])]


# ---------------------------------------------------------------------------- GitHub


def github_items(root: str) -> tuple:
    """({"prs": [...], "issues": [...]}, None) from ``gh``, or (None, why it is not available)."""
    gh = shutil.which("gh")
    if gh is None:
        return None, "gh is not installed"
    try:
        status = subprocess.run([gh, "auth", "status"], cwd=root, capture_output=True, timeout=GH_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"gh auth status failed ({exc.__class__.__name__})"
    if status.returncode != 0:
        return None, "gh is not authenticated (gh auth login)"
    found = {}
    for kind, fields in (("pr", "number,createdAt,mergedAt"), ("issue", "number,createdAt,closedAt")):
        argv = [gh, kind, "list", "--state", "all", "--limit", "1000", "--json", fields]
        try:
            out = subprocess.run(argv, cwd=root, capture_output=True, timeout=GH_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"gh {kind} list failed ({exc.__class__.__name__})"
        if out.returncode != 0:
            err = out.stderr.decode("utf-8", "replace").strip().splitlines()
            return None, f"gh {kind} list failed: {err[-1][:120] if err else 'exit %d' % out.returncode}"
        try:
            items = json.loads(out.stdout)
        except ValueError:
            return None, f"gh {kind} list: not JSON"
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return None, f"gh {kind} list: not a list of objects"
        found[kind] = items
    return {"prs": found["pr"], "issues": found["issue"]}, None


def github_counts(items: dict, window) -> dict:
    def within(value) -> bool:
        t = isotime.epoch_or_none(value)
        return t is not None and window.contains(t)

    return {
        "prs_opened": sum(1 for p in items["prs"] if within(p.get("createdAt"))),
        "prs_merged": sum(1 for p in items["prs"] if within(p.get("mergedAt"))),
        "issues_opened": sum(1 for i in items["issues"] if within(i.get("createdAt"))),
        "issues_closed": sum(1 for i in items["issues"] if within(i.get("closedAt"))),
    }
