"""Session records on disk: load, quarantine, spill and fold (standard library only).

Used by the hook (scripts/hooks/session_state.py) and by the helpers (lib/telemetry.py).

Invariant: a count is never lost. The normal path applies an event under the session lock. When
the lock stays busy (a hung holder, or a queue longer than the hook may wait), the hook does not
drop the event: it *spills* it, a small file ``session-<stem>.<pid>.<ns>.spill`` written
atomically beside the record, and the next writer folds every pending spill into the record
under the lock. Readers apply pending spills in memory, so they see every count too.

A spill is applied exactly once: the writer records the spill's name in ``folded_spills`` in
the same atomic write that adds its counts, and only then deletes the file; a crash in between
leaves a file whose name says it is already counted (tests/test_hook_concurrency.py).
"""

import os
import time

from . import fastjson, statefiles
from . import telemetry_record as tr

SPILL_SUFFIX = ".spill"
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


def write_spill(state_dir: str, session_id: str, payload: dict, now: float, invariants: dict) -> str:
    path = "%s%d.%d%s" % (_spill_prefix(state_dir, session_id), os.getpid(), time.time_ns(), SPILL_SUFFIX)
    doc = {"payload": slim_payload(payload), "t": now, "invariants": invariants}
    statefiles.write_atomic(path, fastjson.dumps(doc).encode("ascii"))
    return path


def pending_spills(state_dir: str, session_id: str) -> list:
    """Spill files of this session, oldest first (names sort by pid then time; order only
    matters for timestamps, which apply_event orders itself)."""
    prefix = os.path.basename(_spill_prefix(state_dir, session_id))
    try:
        names = os.listdir(state_dir)
    except OSError:
        return []
    return sorted(
        os.path.join(state_dir, n) for n in names if n.startswith(prefix) and n.endswith(SPILL_SUFFIX)
    )


def fold_spills(record: dict, spill_paths: list, log) -> list:
    """Apply the spills not yet counted; return the paths whose counts are now in ``record``.

    Call it under the session lock with the current `pending_spills`: names in
    ``folded_spills`` whose files are gone were deleted after a successful write, so they are
    forgotten here (the list stays as short as the spills on disk).
    """
    present = {os.path.basename(p) for p in spill_paths}
    folded = [n for n in record.get("folded_spills", []) if n in present]
    record["folded_spills"] = folded
    applied = []
    for path in spill_paths:
        name = os.path.basename(path)
        if name in folded:
            applied.append(path)  # counted before a crash kept us from deleting it
            continue
        try:
            with open(path, "rb") as f:
                doc = fastjson.loads(f.read().decode("utf-8", "surrogateescape"))
            t = float(doc["t"])
            tr.apply_event(record, doc["payload"], t, statefiles.now_iso(t), doc.get("invariants") or {})
        except FileNotFoundError:
            continue
        except (ValueError, KeyError, TypeError, tr.BadPayload) as exc:
            log("spill %s unusable (%s); removed" % (name, exc))
            applied.append(path)
            continue
        folded.append(name)
        applied.append(path)
    return applied


def quarantine(path: str, log, reason: str) -> None:
    target = "%s.corrupt-%s" % (path, time.strftime("%Y%m%dT%H%M%S", time.gmtime()))
    if os.path.exists(target):
        target += "-%d" % os.getpid()
    os.replace(path, target)
    log("corrupt record quarantined as %s (%s)" % (os.path.basename(target), reason))


def load_record(path: str, session_id: str, project_dir: str, now_iso: str, log, quarantine_bad: bool = True):
    """The stored record, or a fresh one. A corrupt or foreign file is quarantined (renamed to
    ``*.corrupt-<time>``), never trusted; readers pass ``quarantine_bad=False`` and get an error."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return tr.new_record(session_id, project_dir, now_iso)
    try:
        record = fastjson.loads(raw.decode("utf-8"))
        if not isinstance(record, dict) or record.get("schema_version") != tr.SCHEMA_VERSION:
            raise ValueError("not a schema_version %d record" % tr.SCHEMA_VERSION)
        if record.get("session_id") != session_id:
            raise ValueError("record belongs to session %r" % (record.get("session_id"),))
        for key, value in tr.new_record(session_id, project_dir, now_iso).items():
            record.setdefault(key, value)
        return record
    except (ValueError, UnicodeDecodeError) as exc:
        if not quarantine_bad:
            raise ValueError("%s: %s" % (path, exc)) from None
        quarantine(path, log, str(exc))
        return tr.new_record(session_id, project_dir, now_iso)
