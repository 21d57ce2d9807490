"""Reading telemetry records (the helpers' side of lib/core/telemetry_record.py).

- `read_record` reads a live record under the session lock, so it never sees a half-applied
  event (the hook replaces the file atomically anyway; the lock also orders us after any
  in-flight hook).
- `derive` adds what readers want and the hook need not store: per-invariant ``{count, ok}``
  and ``active_min_estimate``.
- `merge_records` adds up the parts of one session (archived by ``/handoff`` and live again
  afterwards: the commit inside ``/handoff`` is itself a tool call).
"""

from __future__ import annotations

import json
import os

from ..core import statefiles
from ..core import telemetry_store as store
from ..core.errors import HelperError
from ..core.telemetry_record import SCHEMA_VERSION, new_record, shape_problem
from .locking import session_lock

COUNTER_FIELDS = (
    "tool_calls_total",
    "failures",
    "interruptions_count",
    "starts",
    "resumes",
    "ends",
)
TABLE_FIELDS = ("tool_calls", "failures_by_tool", "invariants", "events")


class BadRecord(HelperError):
    """A stored record that cannot be used: unreadable, not JSON, or not of the record's shape."""


def parse_record(path: str, raw: bytes) -> dict:
    """A stored telemetry record (live or archived), or a one-line BadRecord naming the file.
    The shape is the hook's own rule (`shape_problem`: types, counts >= 0, timestamps), so a
    record that passes never makes a log fail its schema."""
    try:
        record = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise BadRecord("%s: not valid JSON (%s)" % (path, exc)) from None
    if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
        raise BadRecord("%s: not a schema_version %d telemetry record" % (path, SCHEMA_VERSION))
    problem = shape_problem(record)
    if problem:
        raise BadRecord("%s: %s" % (path, problem))
    return record


def _no_constant(name: str):
    raise ValueError("non-standard JSON constant %s" % name)


def read_part(path: str) -> dict:
    """The record stored at ``path`` (never through a link, a FIFO or past the size cap)."""
    try:
        raw = statefiles.read_regular(path, store.MAX_RECORD_BYTES)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise BadRecord("%s: unreadable (%s)" % (path, exc)) from None
    return parse_record(path, raw)


def set_aside(exc: BadRecord, path: str, warnings: list) -> None:
    """Move a record that cannot be used aside (``*.corrupt-<time>``, as the hook does) with one
    warning: the user cannot fix a counter, so it must not block ``/handoff``; its counts are
    left out of what is read (a live part starts afresh with the next hook event)."""
    target = store.quarantine(path, lambda _message: None, str(exc))
    where = "moved aside to %s" % os.path.basename(target) if target else "already moved aside"
    warnings.append("%s; %s, its telemetry is left out" % (exc, where))


def read_live_locked(state_dir: str, session_id: str, project_dir: str = "", *, warnings: list) -> tuple:
    """(live record with pending spills applied, spill paths now counted in it); the caller
    holds the session lock. The record is None when the session has neither a record nor spills.
    A record that cannot be used is moved aside (`set_aside`, a line in ``warnings``).

    Spills are events a hook could not apply because the lock was busy (lib/core/telemetry_store.py);
    readers apply them to the copy they return, so they see every count before the next hook
    folds them in. A writer (``archive-state``) may persist the result and delete the spills.
    """
    path = statefiles.record_path(state_dir, session_id)
    spills = store.pending_spills(state_dir, session_id)
    try:
        record = read_part(path)
    except FileNotFoundError:
        record = None
    except BadRecord as exc:
        set_aside(exc, path, warnings)
        record = None
    if record is None:
        if not spills:
            return None, []
        record = new_record(session_id, project_dir, statefiles.now_iso())
    problems: list[str] = []
    record, counted = store.fold_spills(record, spills, problems.append)
    return record, counted


def read_record(state_dir: str, session_id: str, project_dir: str = "", *, warnings: list) -> dict | None:
    """The live record of ``session_id`` with pending spills applied, or None when there is none.

    Read under the session lock so no hook is half-way through an update.
    """
    path = statefiles.record_path(state_dir, session_id)
    if not os.path.exists(path) and not store.pending_spills(state_dir, session_id):
        return None
    with session_lock(statefiles.lock_path(state_dir, session_id)):
        record, _ = read_live_locked(state_dir, session_id, project_dir, warnings=warnings)
    if record is not None:
        record.pop("folded_spills", None)
    return record


def latest_session_id(state_dir: str, project_dir: str | None = None) -> str | None:
    """The session whose live record changed last (of ``project_dir`` when given)."""
    candidates = []
    try:
        entries = list(os.scandir(state_dir))
    except FileNotFoundError:
        return None
    for entry in entries:
        if entry.name.startswith("session-") and entry.name.endswith(".json"):
            try:
                candidates.append((entry.stat().st_mtime, entry.path))
            except OSError:
                continue
    for _, path in sorted(candidates, reverse=True):
        try:
            record = json.loads(statefiles.read_regular(path, store.MAX_RECORD_BYTES))
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(record, dict) or not isinstance(record.get("session_id"), str):
            continue
        if project_dir is None or record.get("project_dir") in (None, project_dir):
            return record["session_id"]
    return None


def derive(record: dict) -> dict:
    """A copy of ``record`` with reader-facing fields added (and the id table left out)."""
    hidden = ("subagent_launches", "last_activity_epoch", "folded_spills")
    out = {k: v for k, v in record.items() if k not in hidden}
    out["invariants"] = {
        name: {"count": count, "ok": count == 0} for name, count in sorted(record.get("invariants", {}).items())
    }
    out["active_min_estimate"] = round(float(record.get("active_seconds") or 0.0) / 60.0, 1)
    return out


def _add_tables(into: dict, table: dict) -> None:
    for key, value in table.items():
        if isinstance(value, dict):
            _add_tables(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value


def merge_records(records: list[dict]) -> dict | None:
    """One record for a session whose telemetry is split across several parts.

    Counts add up; ``started_at`` is the earliest part's (with its source), and so is
    ``start_head`` (a later part's is where /handoff left off, not where the session began; the
    earliest part without one means the start is unknown); ``ended_at`` the latest; ids and
    parallel sessions are unioned. Parts are never double counted because
    ``archive-state`` moves a part out of the live path under the lock: a hook event lands in
    exactly one part.
    """
    records = [r for r in records if r]
    if not records:
        return None
    records = sorted(records, key=lambda r: r.get("started_at") or "")
    merged = json.loads(json.dumps(records[0]))
    for part in records[1:]:
        for field in COUNTER_FIELDS:
            merged[field] = merged.get(field, 0) + part.get(field, 0)
        if "start_context_chars" in part:  # absent: no context was due in that part (not 0)
            merged["start_context_chars"] = merged.get("start_context_chars", 0) + part["start_context_chars"]
        for field in TABLE_FIELDS:
            _add_tables(merged.setdefault(field, {}), part.get(field, {}))
        _add_tables(merged.setdefault("mcp", {}), part.get("mcp", {}))
        subs, psubs = merged.setdefault("subagents", {"total": 0, "by_type": {}, "confirmed": 0}), part.get(
            "subagents", {}
        )
        subs["total"] = subs.get("total", 0) + psubs.get("total", 0)
        subs["confirmed"] = subs.get("confirmed", 0) + psubs.get("confirmed", 0)
        _add_tables(subs.setdefault("by_type", {}), psubs.get("by_type", {}))
        merged["active_seconds"] = float(merged.get("active_seconds") or 0) + float(part.get("active_seconds") or 0)
        for field in ("last_seen_at", "last_activity_at"):
            if (part.get(field) or "") > (merged.get(field) or ""):
                merged[field] = part[field]
        if part.get("ended_at") and (part["ended_at"] > (merged.get("ended_at") or "")):
            merged["ended_at"] = part["ended_at"]
            merged["end_reason"] = part.get("end_reason")
        if part.get("transcript_path"):
            merged["transcript_path"] = part["transcript_path"]
        merged["parallel_sessions"] = sorted(
            set(merged.get("parallel_sessions") or []) | set(part.get("parallel_sessions") or [])
        )
    merged.pop("subagent_launches", None)
    merged["parts"] = len(records)
    return merged
