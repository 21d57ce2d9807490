"""Gathering a digest's material: session logs (through the cache), git history and ``gh``.

Logs: docs/sessions is listed once; only logs whose file name carries a candidate UTC day
(weeks.candidate_days) are opened, plus legacy ``CONV-*.md`` logs (their day is only in their
frontmatter). Each log read becomes one `extract` record, cached by size and mtime
(lib/digest/cache.py). A log that cannot be read is one warning and is not counted; a field of
the wrong type is one warning and that figure is not counted for that log (the session still is).

Git: one ``git log --numstat`` over the whole span asked for, split per window by committer
time in Python (exact edges; ``--since/--until`` only narrow the walk). Workstream phases
completed: checklist lines turned ``- [x]`` in commits touching ``workstreams/*.md``.

GitHub: PRs and issues only when the ``gh`` CLI is on PATH and ``gh auth status`` succeeds;
otherwise `github` says why and the figures are "not available" (never 0).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from ..core import isotime, statefiles
from ..core.errors import HelperError
from ..logs import gitstats
from ..logs.workstreams import slug_of
from ..resume.sessionlogs import LEGACY_PREFIX, SESSIONS_DIR, name_key

MAX_LOG_BYTES = 1024 * 1024
USAGE_INTS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "requests")
QUOTED = (("decisions", "Decisions Made"), ("learnings", "Learnings"), ("open_questions", "Open Questions"))
GH_TIMEOUT_S = 30


def _count(value) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _epoch(value) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return isotime.parse_iso(value, "time")
    except (HelperError, OverflowError, ValueError, OSError):
        return None


def _counts(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or _count(v) is None:
            return None
        out[k] = v
    return out


def _body_sections(body: str) -> dict:
    """{section: text} of a log body (its ``# title`` line dropped); HelperError when odd."""
    from ..logs.session_log import split_sections

    lines = body.split("\n")
    while lines and (not lines[0].strip() or lines[0].startswith("# ")):
        lines.pop(0)
    return split_sections("\n".join(lines))


def extract(meta: dict, body: str, name: str) -> dict:
    """The digest's record of one log: figures that are present and well-typed, the rest warned."""
    from ..logs.sections import section_items

    warn: list = []
    record: dict = {"op": None, "at": None, "placed_by": None, "title": "", "warnings": warn}
    op = meta.get("operator")
    key = name_key(name)
    record["op"] = op if isinstance(op, str) and re.fullmatch(r"[A-Z]{2,4}", op) else (key[2] if key else None)
    title = meta.get("title")
    record["title"] = " ".join(title.split()) if isinstance(title, str) else ""
    for field in ("ended_at", "started_at"):
        t = _epoch(meta.get(field))
        if t is not None:
            record["at"], record["placed_by"] = t, field
            break
        if meta.get(field) is not None:
            warn.append(f"{field}: {str(meta.get(field))[:40]!r} is not a timestamp")
    if record["at"] is None:
        day = meta.get("date") if isinstance(meta.get("date"), str) else None
        t = _epoch(day + "T12:00:00Z") if day else None
        if t is None and key is not None:
            t = _epoch("%s-%s-%sT12:00:00Z" % (key[0][:4], key[0][4:6], key[0][6:8]))
        if t is not None:
            record["at"], record["placed_by"] = t, "date"
            warn.append("no ended_at/started_at; placed at noon UTC of its day")
        else:
            warn.append("no ended_at, started_at or date; not placed in any week")

    def number(field: str, value, convert=_count):
        got = convert(value)
        if got is None and value is not None:
            warn.append(f"{field}: {str(value)[:40]!r} is not a count; not counted")
        return got

    record["tool_calls_total"] = number("tool_calls_total", meta.get("tool_calls_total"))
    record["tools"] = number("tool_calls", meta.get("tool_calls"), _counts) or {}
    mcp = meta.get("mcp")
    servers = {}
    if isinstance(mcp, dict):
        for server, tools in mcp.items():
            counted = _counts(tools)
            if isinstance(server, str) and counted is not None:
                servers[server] = sum(counted.values())
            else:
                warn.append(f"mcp.{str(server)[:40]}: not a tool -> count map; not counted")
    elif mcp is not None:
        warn.append("mcp: not a map; not counted")
    record["mcp"] = servers
    sub = meta.get("subagents")
    record["subagents"] = number("subagents.total", sub.get("total")) if isinstance(sub, dict) else None
    if sub is not None and not isinstance(sub, dict):
        warn.append("subagents: not a map; not counted")
    record["failures"] = number("failures", meta.get("failures"))
    record["interruptions"] = number("interruptions_count", meta.get("interruptions_count"))
    record["usage"], record["cost"] = None, None
    usage = meta.get("usage")
    if isinstance(usage, dict):
        tokens = {}
        for k in USAGE_INTS:
            v = usage.get(k)
            if _count(v) is not None:
                tokens[k] = v
            elif v is not None:
                warn.append(f"usage.{k}: {str(v)[:40]!r} is not a count; not counted")
        record["usage"] = tokens
        cost = usage.get("cost_usd")
        if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0 and cost == cost:
            record["cost"] = float(cost)
        elif cost is not None:
            warn.append(f"usage.cost_usd: {str(cost)[:40]!r} is not an amount; not counted")
    elif usage is not None:
        warn.append("usage: not a map; not counted")
    breaches = []
    inv = meta.get("invariants")
    if isinstance(inv, dict):
        for inv_name, value in sorted(inv.items(), key=lambda kv: str(kv[0])):
            count = value.get("count") if isinstance(value, dict) else None
            if type(count) is int and count > 0:
                breaches.append([str(inv_name), count])
    record["breaches"] = breaches
    ws = meta.get("workstreams")
    record["ws"] = [w for w in ws if isinstance(w, str)] if isinstance(ws, list) else []
    try:
        sections = _body_sections(body)
    except HelperError as exc:
        sections = {}
        warn.append("body: %s; nothing quoted" % str(exc).removeprefix("input: body: "))
    for key_name, section in QUOTED:
        record[key_name] = section_items(sections.get(section, ""))
    return record


class LogSource:
    """The session logs of one project, read by candidate day through a `DigestCache`."""

    def __init__(self, root: str, cache, warnings: list):
        self.dir = os.path.join(root, SESSIONS_DIR)
        self.cache = cache
        self.warnings = warnings
        self.parsed = 0
        try:
            self.names = os.listdir(self.dir)
        except (FileNotFoundError, NotADirectoryError):
            self.names = []

    def candidates(self, days: set) -> list:
        out = []
        for name in self.names:
            key = name_key(name)
            if key is not None:
                if key[0][2:] in days:
                    out.append(name)
            elif name.startswith(LEGACY_PREFIX) and name.endswith(".md"):
                out.append(name)
        out.sort()
        return out

    def record(self, name: str) -> dict | None:
        path = os.path.join(self.dir, name)
        rel = SESSIONS_DIR + "/" + name
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError as exc:
            self.warnings.append(f"{rel}: {exc.strerror or exc}; not counted")
            return None
        cached = self.cache.get(name, st.st_size, st.st_mtime_ns)
        if cached is not None:
            return self._checked(rel, cached)
        record = self._read(path, rel)
        self.cache.put(name, st.st_size, st.st_mtime_ns, record)
        return self._checked(rel, record)

    def _checked(self, rel: str, record: dict) -> dict | None:
        if "err" in record:
            self.warnings.append(f"{rel}: {record['err']}; not counted")
            return None
        for w in record.get("warnings") or []:
            self.warnings.append(f"{rel}: {w}")
        return record

    def _read(self, path: str, rel: str) -> dict:
        from ..logs import frontmatter

        self.parsed += 1
        try:
            data = statefiles.read_regular(path, MAX_LOG_BYTES)
        except statefiles.NotRegularFile as exc:
            return {"err": exc.strerror or "not a regular file"}
        except ValueError:
            return {"err": f"over {MAX_LOG_BYTES} bytes"}
        except OSError as exc:
            return {"err": exc.strerror or str(exc)}
        try:
            doc = frontmatter.parse(data.decode("utf-8"), rel)
        except UnicodeDecodeError:
            return {"err": "not UTF-8 text"}
        except frontmatter.FrontmatterError as exc:
            return {"err": str(exc).removeprefix(rel + ": ")}
        return extract(doc.meta, doc.body, os.path.basename(path))


# ---------------------------------------------------------------------------- git


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
        self._phases(root, window, start, end)

    def _phases(self, root: str, window: list, start: float, end: float) -> None:
        out = gitstats.git(
            root, "-c", "core.quotepath=off", "log", "--no-renames", "-p", "-U0", "--format=%x1e%H %ct", *window,
            "HEAD", "--", "workstreams/*.md",
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
                    # slug_of: README.md and INDEX.md (the installed example has checked phases) are not workstreams
                    slug = slug_of(target[len("b/workstreams/") :]) if target.startswith("b/workstreams/") else None
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
        t = _epoch(value)
        return t is not None and window.contains(t)

    return {
        "prs_opened": sum(1 for p in items["prs"] if within(p.get("createdAt"))),
        "prs_merged": sum(1 for p in items["prs"] if within(p.get("mergedAt"))),
        "issues_opened": sum(1 for i in items["issues"] if within(i.get("createdAt"))),
        "issues_closed": sum(1 for i in items["issues"] if within(i.get("closedAt"))),
    }
