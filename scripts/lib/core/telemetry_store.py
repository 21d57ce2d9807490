"""Session records on disk: load, quarantine, spill and fold (standard library only).

Used by the hook (scripts/hooks/session_state.py) and by the helpers (lib/state/telemetry.py).

Invariant: a count is never lost. The normal path applies an event under the session lock. When
the lock stays busy (a hung holder, or a queue longer than the hook may wait), the hook does not
drop the event: it *spills* it, a small file ``session-<stem>.<time ns>.<pid>.spill`` written
atomically beside the record, and the next writer folds every pending spill into the record
under the lock. Readers apply pending spills in memory, so they see every count too.

A spill is applied exactly once: the writer records the spill's name in ``folded_spills`` in
the same atomic write that adds its counts, and only then deletes the file; a crash in between
leaves a file whose name says it is already counted (tests/core/test_hook_concurrency.py).
"""

import os
import time

from . import fastjson, statefiles
from . import telemetry_record as tr

SPILL_SUFFIX = ".spill"
MAX_SPILL_BYTES = 1 << 20
MAX_RECORD_BYTES = 16 << 20
# The fields apply_event reads; a spill never stores a 50 MB tool_response.
_SLIM_FIELDS = (
    "hook_event_name",
    "session_id",
    "transcript_path",
    "tool_name",
    "tool_use_id",
    "is_interrupt",
    "source",
    "reason",
    "agent_id",
    "agent_type",
)


def slim_payload(payload: dict) -> dict:
    slim = {k: payload[k] for k in _SLIM_FIELDS if k in payload}
    tool_input = payload.get("tool_input")
    if isinstance(tool_input, dict) and "subagent_type" in tool_input:
        slim["tool_input"] = {"subagent_type": tool_input["subagent_type"]}
    response = payload.get("tool_response")
    if isinstance(response, dict):
        kept = {k: response[k] for k in ("agentId", "agent_id") if k in response}
        if kept:
            slim["tool_response"] = kept
    return slim


def _spill_prefix(state_dir: str, session_id: str) -> str:
    return os.path.join(state_dir, statefiles.session_stem(session_id) + ".")


def spill_marker(state_dir: str, session_id: str) -> str:
    """``<stem>.spilled`` exists while the session may have spills: writers stat it instead of
    listing the state dir on every event (a dir with thousands of sessions made that slow)."""
    return os.path.join(state_dir, statefiles.session_stem(session_id) + ".spilled")


def take_spill_marker(state_dir: str, session_id: str) -> bool:
    """Under the session lock: True (and the marker removed) when spills may be pending.

    Order matters: the marker goes *before* the caller lists the spills, and a spiller creates
    it *after* its spill is written, so a spill written after our listing always leaves a
    marker for the next writer.
    """
    try:
        os.unlink(spill_marker(state_dir, session_id))
        return True
    except FileNotFoundError:
        return False


def write_spill(state_dir: str, session_id: str, payload: dict, now: float, invariants: dict, head=None,
                context_chars=None) -> str:
    # Time first, zero-padded: names sort in event order (pids wrap, so they cannot lead).
    path = "%s%020d.%d%s" % (_spill_prefix(state_dir, session_id), time.time_ns(), os.getpid(), SPILL_SUFFIX)
    doc = {"payload": slim_payload(payload), "t": now, "invariants": invariants}
    if head is not None:  # the commit a SessionStart found HEAD at (telemetry_record.apply_event)
        doc["head"] = head
    if context_chars is not None:  # what a SessionStart injected (telemetry_record.apply_event)
        doc["context_chars"] = context_chars
    statefiles.write_atomic(path, fastjson.dumps(doc).encode("ascii"))
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    os.close(os.open(spill_marker(state_dir, session_id), flags, 0o600))
    return path


def pending_spills(state_dir: str, session_id: str) -> list:
    """Spill files of this session, oldest first (their names start with the time).

    Order matters: a subagent launch spilled by PreToolUse must be folded before the
    SubagentStart that confirms it, or the two would count as two launches."""
    prefix = os.path.basename(_spill_prefix(state_dir, session_id))
    try:
        names = os.listdir(state_dir)
    except OSError:
        return []
    return sorted(
        os.path.join(state_dir, n) for n in names if n.startswith(prefix) and n.endswith(SPILL_SUFFIX)
    )


def _spill_problem(doc) -> object:
    if not isinstance(doc, dict):
        return "not an object"
    if not isinstance(doc.get("payload"), dict):
        return "payload is not an object"
    if not isinstance(doc.get("t"), (int, float)):
        return "t is not a number"
    invariants = doc.get("invariants", {})
    if not isinstance(invariants, dict) or not all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in invariants.values()
    ):
        return "invariants is not {name: [pattern, ...]}"
    if not isinstance(doc.get("head", ""), str):
        return "head is not a string"
    if not tr.is_count(doc.get("context_chars", 0)):
        return "context_chars is not a count"
    return None


def fold_spills(record: dict, spill_paths: list, log):
    """Apply the spills not yet counted. Returns (record, paths whose counts are in it).

    Call it under the session lock with the current `pending_spills`: names in
    ``folded_spills`` whose files are gone were deleted after a successful write, so they are
    forgotten here (the list stays as short as the spills on disk). Each spill is applied to a
    copy, so an unusable one (logged and removed) never leaves the record half-updated.
    """
    present = {os.path.basename(p) for p in spill_paths}
    record["folded_spills"] = [n for n in record.get("folded_spills", []) if n in present]
    applied = []
    for path in spill_paths:
        name = os.path.basename(path)
        if name in record["folded_spills"]:
            applied.append(path)  # counted before a crash kept us from deleting it
            continue
        try:
            doc = fastjson.loads(statefiles.read_regular(path, MAX_SPILL_BYTES).decode("utf-8", "surrogateescape"))
            problem = _spill_problem(doc)
            if problem:
                raise ValueError(problem)
            trial = fastjson.loads(fastjson.dumps(record))
            t = float(doc["t"])
            tr.apply_event(trial, doc["payload"], t, statefiles.now_iso(t), doc.get("invariants") or {},
                           doc.get("head"), doc.get("context_chars"))
        except FileNotFoundError:
            continue
        except Exception as exc:  # noqa: BLE001 - any unusable spill is dropped, never the record
            log("spill %s unusable (%s: %s); removed" % (name, type(exc).__name__, exc))
            applied.append(path)
            continue
        record = trial
        record["folded_spills"].append(name)
        applied.append(path)
    return record, applied


def quarantine(path: str, log, reason: str):
    """Rename a record that is not one to ``<path>.corrupt-<time>``; the new path, or None when
    another process moved it first."""
    target = "%s.corrupt-%s" % (path, time.strftime("%Y%m%dT%H%M%S", time.gmtime()))
    if os.path.lexists(target):
        target += "-%d-%d" % (os.getpid(), time.monotonic_ns())
    try:
        os.replace(path, target)
    except FileNotFoundError:  # another writer quarantined it first
        return None
    log("corrupt record quarantined as %s (%s)" % (os.path.basename(target), reason))
    return target


def load_record(path: str, session_id: str, project_dir: str, now_iso: str, log, quarantine_bad: bool = True):
    """The stored record, or a fresh one. A corrupt or foreign file is quarantined (renamed to
    ``*.corrupt-<time>``), never trusted; readers pass ``quarantine_bad=False`` and get an error."""
    try:
        raw = statefiles.read_regular(path, MAX_RECORD_BYTES)
    except FileNotFoundError:
        return tr.new_record(session_id, project_dir, now_iso)
    except (statefiles.NotRegularFile, IsADirectoryError, ValueError) as exc:
        if not quarantine_bad:
            raise ValueError("%s: %s" % (path, exc)) from None
        quarantine(path, log, str(exc))
        return tr.new_record(session_id, project_dir, now_iso)
    try:
        record = fastjson.loads(raw.decode("utf-8"))
        if not isinstance(record, dict) or record.get("schema_version") != tr.SCHEMA_VERSION:
            raise ValueError("not a schema_version %d record" % tr.SCHEMA_VERSION)
        if record.get("session_id") != session_id:
            raise ValueError("record belongs to session %r" % (record.get("session_id"),))
        problem = tr.shape_problem(record)
        if problem:
            raise ValueError(problem)
        for key, value in tr.new_record(session_id, project_dir, now_iso).items():
            record.setdefault(key, value)
        return record
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        if not quarantine_bad:
            raise ValueError("%s: %s" % (path, exc)) from None
        quarantine(path, log, str(exc))
        return tr.new_record(session_id, project_dir, now_iso)
