"""``write-session``: from the model's draft (a `WriteRequest`) to ``docs/sessions/<id>.md``.

Steps: resolve the operator; gather the session's telemetry (archived parts + live part, see
lib/state/archive.py); pick the git window (`resolve_window`); collect git stats; then, under
the operator's lock (lib/logs/log_alloc.py), find this session's log or allocate the next id, build
the frontmatter, validate it against the schema (nothing is written when it fails) and write
the file atomically.

The session's commits are counted by ancestry from the commit the session started on
(`resolve_window`, lib/logs/gitstats.py); the clock only when no start commit was recorded (a
warning and ``commits_by: clock`` in the log say so) or when the request gives ``since``, which
must lie between 1970-01-01 and now (a future one would make ``started_at`` later than ``ended_at``).

Nothing is written that the readers would not read back: the rendered file is parsed again
before the write and must give back exactly the frontmatter and the body that were meant
(e.g. a frontmatter over frontmatter.MAX_FRONTMATTER_BYTES is refused here, not by the next
reader, which would also make a retry allocate a second log instead of updating this one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..core import isotime
from ..core.errors import HelperError
from ..state import archive
from ..state.locking import session_lock
from ..usage.session import session_usage
from . import changed_files, frontmatter, gitstats, log_alloc
from . import operator as operator_mod
from .log_ids import LogId, day_of
from .session_log import (
    LIFECYCLE_FIELDS,
    SCHEMA_VERSION,
    TELEMETRY_FIELDS,
    WriteRequest,
    ordered_meta,
    render_body,
    section_problems,
)
from .validation import check_session_meta

MAX_PROBLEMS_SHOWN = 5


@dataclass
class WriteResult:
    log_id: str
    path: str  # relative to the project root
    action: str  # "created" | "updated"
    window: gitstats.Window
    commit_shas: list = field(default_factory=list)  # the session's commits, oldest first
    warnings: list = field(default_factory=list)
    usage_warnings: list = field(default_factory=list)  # the transcript's problems (lib/usage)

    def to_json(self) -> dict:
        return {
            "usage_warnings": self.usage_warnings,
            "id": self.log_id,
            "path": self.path,
            "action": self.action,
            **self.window.to_json(),
            "commits": len(self.commit_shas),
            "warnings": self.warnings,
        }


def parse_time(value, what: str) -> float:
    """isotime.parse_iso, with a date outside what an epoch can hold as one more HelperError."""
    try:
        return isotime.parse_iso(value, what)
    except (OverflowError, ValueError, OSError):
        raise HelperError(f"{what}: {value!r} is out of range") from None


def check_since(value: str, epoch: float, now: float) -> float:
    """``epoch`` when the requested ``since`` is usable as the start of this session."""
    if epoch < 0:
        raise HelperError(f"since: {value!r} is before 1970-01-01; give the session's start (ISO 8601, UTC)")
    if epoch > now:
        raise HelperError(
            f"since: {value!r} is in the future (now is {isotime.iso_z(now)}); "
            "it is the start of the session's git window"
        )
    return epoch


def _start_commit(root: str, value, what: str, notes: list):
    """``value`` when it names a commit of this repository; else None, with a note why."""
    if not isinstance(value, str) or not value:
        return None
    if gitstats.is_commit(root, value):
        return value
    notes.append(f"the start commit {value[:12]} recorded by {what} is not in this repository")
    return None


def resolve_window(root: str, explicit, telemetry, existing_meta, operator, exclude_path) -> gitstats.Window:
    """Where the session's commits are counted from (lib/logs/gitstats.py); first match wins:

    the request's or command line's ``since`` (the clock, as asked); the start commit the hook
    recorded (telemetry ``start_head``); the ``start_commit`` of this session's existing log (a
    retry); then, no start commit being known, the clock from the telemetry's or the existing
    log's ``started_at``, with a warning; the previous ``/handoff`` commit (the last commit
    touching the operator's logs) by ancestry; all of HEAD; nothing (no commits)."""
    if explicit:
        since = parse_time(explicit, "since")
        return gitstats.Window(gitstats.CLOCK, "argument", since=since, started=since)
    notes: list = []
    started = None
    if telemetry and telemetry.get("started_at"):
        started = parse_time(telemetry["started_at"], "telemetry started_at")
    start = _start_commit(root, (telemetry or {}).get("start_head"), "the session's telemetry", notes)
    if start:
        return gitstats.Window(gitstats.ANCESTRY, "telemetry", start_commit=start, started=started)
    start = _start_commit(root, (existing_meta or {}).get("start_commit"), "the session's log", notes)
    if start:
        return gitstats.Window(gitstats.ANCESTRY, "existing_log", start_commit=start, started=started)
    source = "telemetry" if started is not None else None
    if started is None and existing_meta and isinstance(existing_meta.get("started_at"), str):
        try:
            started, source = parse_time(existing_meta["started_at"], "started_at"), "existing_log"
        except HelperError:
            pass
    if started is not None:
        notes.append("no start commit recorded for this session (it began before handoff recorded one)")
        warning = "; ".join(notes) + f": its commits are the ones committed since {isotime.iso_z(started)} by the clock"
        return gitstats.Window(gitstats.CLOCK, source, since=started, started=started, warning=warning)
    warning = "; ".join(notes) or None
    previous = gitstats.last_handoff_commit(root, operator, exclude_path)
    if previous is not None:
        return gitstats.Window(gitstats.ANCESTRY, "previous_handoff", start_commit=previous[0],
                               started=previous[1] + 1, warning=warning)
    first = gitstats.first_commit_epoch(root)
    if first is not None:
        return gitstats.Window(gitstats.ANCESTRY, "first_commit", started=first, warning=warning)
    return gitstats.Window(gitstats.ANCESTRY, "none", warning=warning)


def _telemetry_fields(telemetry) -> dict:
    if not telemetry:
        return dict.fromkeys(("active_min_estimate",) + TELEMETRY_FIELDS)
    subagents = telemetry.get("subagents")
    if isinstance(subagents, dict):
        subagents = {k: subagents[k] for k in ("total", "confirmed", "by_type") if k in subagents}
    return {
        "active_min_estimate": telemetry.get("active_min_estimate"),
        "tool_calls_total": telemetry.get("tool_calls_total"),
        "tool_calls": telemetry.get("tool_calls"),
        "mcp": telemetry.get("mcp"),
        "subagents": subagents,
        "failures": telemetry.get("failures"),
        "interruptions_count": telemetry.get("interruptions_count"),
        "parallel_sessions": telemetry.get("parallel_sessions"),
        "invariants": telemetry.get("invariants"),
    }


def build_meta(
    log_id: LogId,
    request: WriteRequest,
    session_id,
    started_at: float,
    ended_at: float,
    stats: gitstats.GitStats,
    telemetry,
    handoff_write_min,
    patch_ids: dict | None = None,
) -> dict:
    meta = {
        "schema_version": SCHEMA_VERSION,
        "id": str(log_id),
        "type": "session",
        "operator": log_id.operator,
        "title": request.title,
        "date": log_id.iso_date,
        "session_id": session_id,
        "started_at": isotime.iso_z(started_at),
        "ended_at": isotime.iso_z(ended_at),
        "branch": stats.branch,
        "head_commit": stats.head_commit,
        "start_commit": stats.start_commit,
        "commits_by": stats.commits_by,
        "commits": stats.commits,
        "files_changed": stats.files_changed,
        "insertions": stats.insertions,
        "deletions": stats.deletions,
        "first_commit_at": stats.first_commit_at,
        "last_commit_at": stats.last_commit_at,
        "commit_shas": stats.commit_shas,
        # pr-summary (issue 19): the commits' patch ids, so a rebased or cherry-picked copy
        # maps to this session even where the original commits are gone (a fresh clone).
        "patch_ids": list(dict.fromkeys(patch_ids[s] for s in stats.commit_shas if s in (patch_ids or {}))),
        "handoff_write_min": handoff_write_min,
        "workstreams": list(request.workstreams),
        "confidence": request.confidence,
        "summary": request.summary,
        "resume_prompt": request.resume_prompt,
    }
    meta.update(_telemetry_fields(telemetry))
    for name in LIFECYCLE_FIELDS:  # optional: only a log that supersedes or resolves something
        if getattr(request, name):
            meta[name] = list(getattr(request, name))
    return ordered_meta(meta)


def invariant_warnings(meta: dict) -> list:
    warnings = []
    for name, value in sorted((meta.get("invariants") or {}).items()):
        count = value.get("count") if isinstance(value, dict) else None
        if count:
            warnings.append(f"invariant {name}: count {count} (must stay 0); recorded in the log")
    return warnings


def _existing_meta(root: str, log_id):
    if log_id is None:
        return None
    try:
        return frontmatter.load(log_alloc.log_path(root, log_id)).meta
    except frontmatter.FrontmatterError:
        return None


def rendered_log(log_id, meta: dict, body: str) -> bytes:
    """The file's bytes; HelperError when a reader would not get ``meta`` and ``body`` back."""
    text = frontmatter.dumps(meta, body)
    try:
        doc = frontmatter.parse(text, str(log_id))
    except frontmatter.FrontmatterError as exc:
        raise HelperError(f"{exc}; nothing written (shorten the summary or the resume prompt)") from None
    if doc.meta != meta:
        fields = [k for k in meta if doc.meta.get(k) != meta[k]] or sorted(set(doc.meta) ^ set(meta))
        raise HelperError(f"{log_id}: {', '.join(map(str, fields))} would not read back as written; nothing written")
    if doc.body != body:
        raise HelperError(f"{log_id}: the body would not read back as written; nothing written")
    return text.encode("utf-8")


def session_usage_of(project, session_id, telemetry) -> tuple:
    """(usage for the frontmatter, or None; warnings): the whole transcript of the session
    (lib/usage/session.py), so a re-handed-off or --continue'd session is counted once."""
    if not session_id:
        return None, []
    path = telemetry.get("transcript_path") if telemetry else None
    result = session_usage(project.state_dir, session_id, path if isinstance(path, str) else None,
                           project.config_path)
    return result.usage, result.warnings


def write_session(project, request: WriteRequest, env_session_id=None, ids=None) -> WriteResult:
    """Write (or update) this session's log in ``project`` (a core.project.Project).

    ``ids``: where else ids are taken (injected by the command: store/id_registry.RepoIds,
    every worktree and ref of the repository, plus a bounded fetch first); None: this
    worktree's ``docs/sessions/`` only, under the state dir's operator lock."""
    root, state_dir = project.root, project.state_dir
    now = isotime.now()
    op = operator_mod.resolve(root, state_dir).initials
    gitstats.ensure_repo(root)
    session_id = request.session_id or env_session_id or None
    telemetry_warnings: list = []  # a record the user cannot fix is moved aside, never a refusal
    telemetry = archive.session_telemetry(state_dir, session_id, warnings=telemetry_warnings) if session_id else None
    if telemetry_warnings:
        telemetry_warnings.append("the log is written without %s telemetry" % ("that part's" if telemetry else "its"))
    usage, usage_warnings = session_usage_of(project, session_id, telemetry)
    today = isotime.utc_date(now)
    days = [day_of(today), day_of(isotime.utc_date(now - 86400))]

    # A first look for this session's log (outside the lock) only to choose the git window;
    # the decision to update or create is taken again under the lock.
    existing = log_alloc.find_session_log(root, state_dir, session_id, op, days) if session_id else None
    exclude = f"{gitstats.SESSIONS_DIR}/{existing}.md".replace(os.sep, "/") if existing else None
    window = resolve_window(root, request.since, telemetry, _existing_meta(root, existing), op, exclude)
    if request.since:
        check_since(request.since, window.since, now)
    stats = gitstats.collect(root, window)
    patch_ids = gitstats.patch_ids(root, stats.commit_shas)  # pr-summary (issue 19)
    started_at = window.started if window.started is not None else now
    if telemetry and telemetry.get("started_at"):
        started_at = parse_time(telemetry["started_at"], "telemetry started_at")
    handoff_write_min = None
    if request.handoff_started_at:
        handoff_write_min = isotime.minutes_between(parse_time(request.handoff_started_at, "handoff_started_at"), now)

    if ids is not None and existing is None:
        ids.prepare()  # e.g. fetch the remote, so its ids count (before the lock: it may take seconds)
    if ids is not None:
        lock = ids.lock_path(op)
        try:
            os.makedirs(os.path.dirname(lock), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise HelperError(f"{os.path.dirname(lock)}: cannot create ({exc.strerror or exc})") from None
    else:
        log_alloc.ensure_state_subdir(state_dir, log_alloc.LOCKS_DIR)
        lock = log_alloc.operator_lock_path(state_dir, op)
    with session_lock(lock):
        logs = log_alloc.operator_logs(root, op, days)  # one listing, taken under the lock
        existing = log_alloc.find_session_log(root, state_dir, session_id, op, days, logs) if session_id else None
        if existing is not None:
            log_id, action = existing, "updated"
        else:
            seq = log_alloc.seq_after(logs[days[0]])
            if ids is not None:  # other worktrees' and branches' logs of the day count too
                seq = max(seq, ids.highest_seq(op, days[0]) + 1)
            log_id, action = LogId(day=days[0], seq=seq, operator=op), "created"
        meta = build_meta(log_id, request, session_id, started_at, now, stats, telemetry, handoff_write_min,
                          patch_ids)
        if usage is not None:
            meta["usage"] = usage
        # The files the session changed (logs/changed_files.py): what teammates' collisions read.
        changed = changed_files.log_fields(root, stats.touched_paths, project.changelog_relpath())
        meta = ordered_meta({**meta, **changed})
        problems = check_session_meta(meta)
        if problems:
            shown = "; ".join(f"{f}: {m}" for f, m in problems[:MAX_PROBLEMS_SHOWN])
            more = f" (+{len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
            raise HelperError(f"{log_id}: frontmatter fails the schema, nothing written: {shown}{more}")
        body = render_body(request)
        body_problems = section_problems(body)
        if body_problems:  # parse_request should make this impossible
            raise HelperError(f"{log_id}: body: {body_problems[0]}; nothing written")
        data = rendered_log(log_id, meta, body)
        path = log_alloc.log_path(root, log_id)
        try:
            log_alloc.write_log_atomic(path, data)
        except OSError as exc:
            raise HelperError(f"{path}: cannot write ({exc.strerror or exc})") from None
        if session_id:
            log_alloc.remember_session_log(state_dir, session_id, str(log_id))
    return WriteResult(
        log_id=str(log_id),
        path=log_alloc.relpath(root, path),
        action=action,
        window=window,
        commit_shas=stats.commit_shas,
        warnings=([window.warning] if window.warning else []) + telemetry_warnings + invariant_warnings(meta)
        + (list(ids.warnings) if ids is not None else []),
        usage_warnings=usage_warnings,
    )
