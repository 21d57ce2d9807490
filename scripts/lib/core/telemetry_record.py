"""The per-session telemetry record and how one hook event changes it (pure functions).

Standard library only (the hook imports it). No I/O here: the hook reads the payload and the
record, calls `apply_event` under the session lock, and writes the result.

Record shape (``schema_version: 1``), one JSON object per session in
``<state dir>/session-<id>.json``:

- ``session_id``, ``project_dir``, ``transcript_path`` (latest seen);
- ``started_at`` / ``started_at_source``: the earliest event seen; the source is
  ``session_start`` when that earliest event was a SessionStart, else ``first_event`` (a hook
  installed mid-session, or a record restarted after ``archive-state``);
- ``start_head``: the commit HEAD pointed at when the session started (read by the hook from
  disk on a SessionStart that is the record's first event, core/gitrefs.py); None when unknown
  (no such SessionStart, outside git, an unborn branch, an unreadable ref). The session's commits
  are counted from it by ancestry (lib/logs/gitstats.py);
- ``start_context_chars``: characters of context the SessionStart hook injected (the team's
  memory); absent when none was due, 0 when it was due but nothing came;
- ``last_seen_at``, ``ended_at`` / ``end_reason`` (the last SessionEnd), ``starts``, ``resumes``
  (SessionStart with ``source: resume``: ``--continue`` keeps the session id), ``ends``;
- ``tool_calls_total``, ``tool_calls`` {canonical name: n}, ``mcp`` {server: {tool: n}}: calls
  that ran, whether they succeeded (PostToolUse) or failed (PostToolUseFailure);
- ``subagents`` {total, by_type, confirmed} and the bounded ``subagent_launches`` id table;
- ``failures``, ``failures_by_tool``, ``interruptions_count`` (PostToolUseFailure, a subset
  of the calls above);
- ``invariants`` {name: n}: counters that must stay zero (patterns from .claude/handoff.json);
- ``parallel_sessions``: other sessions active in the same state dir (filled by the hook);
- ``active_seconds`` / ``last_activity_at``: tool activity, gaps over 15 min not counted;
- ``events`` {event name: n}: every event applied, for audits.

Invariant: a count is never lost and never doubled. Each event is applied exactly once under
the session lock (the hook), and a subagent launch reported by several events counts once.
"""

from .globmatch import glob_match

SCHEMA_VERSION = 1
ACTIVE_GAP_S = 15 * 60
# Racing hooks apply events a few milliseconds out of order; a larger step back is the clock
# being set back (NTP, suspend), which must neither freeze activity nor move the start.
CLOCK_STEP_S = 5.0
MAX_SUBAGENT_IDS = 256
MAX_PARALLEL_IDS = 64
SUBAGENT_TOOLS = ("Task", "Agent")  # Task was renamed Agent in Claude Code 2.1.63; both occur

HANDLED_EVENTS = frozenset(
    (
        "SessionStart",
        "SessionEnd",
        "PostToolUse",
        "PostToolUseFailure",
        "PreToolUse",
        "SubagentStart",
        "SubagentStop",
    )
)


class BadPayload(ValueError):
    """The payload lacks a field this event needs, or has it with the wrong type."""


def new_record(session_id: str, project_dir: str, now_iso: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "session_id": session_id,
        "project_dir": project_dir,
        "transcript_path": None,
        "started_at": now_iso,
        "started_at_source": "first_event",
        "started_epoch": None,
        "start_head": None,
        "last_seen_at": now_iso,
        "ended_at": None,
        "end_reason": None,
        "starts": 0,
        "resumes": 0,
        "ends": 0,
        "tool_calls_total": 0,
        "tool_calls": {},
        "mcp": {},
        "subagents": {"total": 0, "by_type": {}, "confirmed": 0},
        "subagent_launches": [],
        "failures": 0,
        "failures_by_tool": {},
        "interruptions_count": 0,
        "invariants": {},
        "parallel_sessions": [],
        "parallel_scanned_epoch": None,
        "active_seconds": 0.0,
        "last_activity_at": None,
        "last_activity_epoch": None,
        "events": {},
    }


def split_mcp(tool_name: str):
    """``mcp__<server>__<tool>`` -> (server, tool); anything else -> None.

    Plugin-provided servers are ``mcp__plugin_<plugin>_<server>__<tool>``; their server part is
    ``plugin_<plugin>_<server>`` (the whole segment, so two plugins never merge).
    """
    if not tool_name.startswith("mcp__"):
        return None
    rest = tool_name[5:]
    sep = rest.find("__")
    if sep <= 0 or sep + 2 >= len(rest):
        return None
    return rest[:sep], rest[sep + 2 :]


def canonical_tool(tool_name: str) -> str:
    """The key a tool is counted under: MCP tools aggregate per server as ``mcp__<server>__*``."""
    parts = split_mcp(tool_name)
    if parts is None:
        return tool_name
    return "mcp__%s__*" % parts[0]


def _bump(table: dict, key: str, by: int = 1) -> None:
    table[key] = table.get(key, 0) + by


def _str_field(payload: dict, name: str, required: bool = False):
    value = payload.get(name)
    if value is None:
        if required:
            raise BadPayload("missing field %r" % name)
        return None
    if not isinstance(value, str):
        raise BadPayload("field %r is %s, not a string" % (name, type(value).__name__))
    return value


def _note_activity(record: dict, now_epoch: float, now_iso: str) -> None:
    last = record.get("last_activity_epoch")
    if isinstance(last, (int, float)):
        gap = now_epoch - last
        if 0 < gap <= ACTIVE_GAP_S:
            record["active_seconds"] = round(record.get("active_seconds", 0.0) + gap, 3)
        if -CLOCK_STEP_S <= gap < 0:  # applied out of order by racing hooks: keep the latest
            return
    record["last_activity_epoch"] = now_epoch
    record["last_activity_at"] = now_iso


def _count_invariants(record: dict, tool_name: str, invariants: dict) -> None:
    for name, patterns in invariants.items():
        if any(glob_match(p, tool_name) for p in patterns):
            _bump(record["invariants"], name)


def _launch(record: dict, tool_use_id, agent_id, agent_type, confirmed: bool) -> None:
    """Record a subagent launch seen by one event; a launch counts once however many report it.

    Ids: PreToolUse/PostToolUse of ``Task``/``Agent`` carry the ``tool_use_id``;
    SubagentStart/SubagentStop carry ``agent_id`` only; PostToolUse's ``tool_response.agentId``
    links the two. A SubagentStart whose agent id is unknown attaches to the oldest launch that
    PreToolUse announced but nothing confirmed yet (same type first): that is the launch it
    starts. ``confirmed`` counts launches seen after the PreToolUse (a PreToolUse blocked by
    another hook announces a launch that never happens).
    """
    launches = record["subagent_launches"]  # rows: [tool_use_id, agent_id, type, confirmed]
    row = None
    for r in launches:
        if (tool_use_id and r[0] == tool_use_id) or (agent_id and r[1] == agent_id):
            row = r
            break
    if row is None and agent_id and not tool_use_id:
        pending = [r for r in launches if r[1] is None and not r[3]]
        same_type = [r for r in pending if r[2] == agent_type]
        row = (same_type or pending or [None])[0]
    subagents = record["subagents"]
    if row is None:
        row = [tool_use_id, agent_id, agent_type or "unknown", False]
        launches.append(row)
        subagents["total"] += 1
        _bump(subagents["by_type"], row[2])
        if len(launches) > MAX_SUBAGENT_IDS:
            del launches[: len(launches) - MAX_SUBAGENT_IDS]
    if tool_use_id and not row[0]:
        row[0] = tool_use_id
    if agent_id and not row[1]:
        row[1] = agent_id
    if agent_type and row[2] == "unknown":
        subagents["by_type"]["unknown"] -= 1
        if not subagents["by_type"]["unknown"]:
            del subagents["by_type"]["unknown"]
        row[2] = agent_type
        _bump(subagents["by_type"], agent_type)
    if confirmed and not row[3]:
        row[3] = True
        subagents["confirmed"] += 1


def _subagent_type_from_input(payload: dict):
    tool_input = payload.get("tool_input")
    if isinstance(tool_input, dict):
        value = tool_input.get("subagent_type")
        if isinstance(value, str) and value:
            return value
    return None


def _agent_id_from_response(payload: dict):
    response = payload.get("tool_response")
    if isinstance(response, dict):
        for key in ("agentId", "agent_id"):
            value = response.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def check_payload(payload: dict) -> tuple:
    """The fields `apply_event` uses, checked: (event, transcript_path, tool_name, tool_use_id,
    agent_id, agent_type), the ones an event does not carry as None. Raises `BadPayload` for an
    event this hook does not handle or whose fields are unusable. Reads nothing else."""
    event = payload.get("hook_event_name")
    if event not in HANDLED_EVENTS:
        raise BadPayload("unhandled event %r" % (event,))
    transcript = _str_field(payload, "transcript_path")
    tool_name = tool_use_id = agent_id = agent_type = None
    if event in ("PostToolUse", "PostToolUseFailure", "PreToolUse"):
        tool_name = _str_field(payload, "tool_name", required=True)
        if not tool_name:
            raise BadPayload("empty tool_name")
        tool_use_id = _str_field(payload, "tool_use_id")
    if event in ("SubagentStart", "SubagentStop"):
        agent_id = _str_field(payload, "agent_id", required=True)
        agent_type = _str_field(payload, "agent_type")
    return event, transcript, tool_name, tool_use_id, agent_id, agent_type


def apply_event(
    record: dict,
    payload: dict,
    now_epoch: float,
    now_iso: str,
    invariants: dict,
    head=None,
    context_chars=None,
) -> dict:
    """Apply one hook payload to ``record`` (mutated and returned).

    ``invariants`` is {name: [glob, ...]} from the config; every configured name is present in
    the record (count 0 until a tool matches), so readers need no config. ``head``: the commit
    HEAD pointed at when the hook ran (SessionStart only; None when unknown): it becomes
    ``start_head`` when this SessionStart is where the record starts (not a ``--continue`` or a
    compaction of a session already recorded, nor a hook installed mid-session).
    ``context_chars``: how many characters of context this SessionStart injected (the team's
    memory, lib/core/session_start_context.py): ``start_context_chars``, shown by /handoff.
    Raises `BadPayload` for an event this hook handles but whose fields are unusable; the
    caller leaves the record untouched and logs the reason.
    """
    # Every field is checked before the first mutation: a BadPayload leaves the record as it was.
    event, transcript, tool_name, tool_use_id, agent_id, agent_type = check_payload(payload)

    for name in invariants:
        record["invariants"].setdefault(name, 0)
    _bump(record["events"], event)
    if transcript:
        record["transcript_path"] = transcript
    if now_iso > record["last_seen_at"]:
        record["last_seen_at"] = now_iso
    started = record.get("started_epoch")
    if started is None:
        record["started_epoch"] = now_epoch
    elif started - CLOCK_STEP_S <= now_epoch < started:  # a racing hook applied an earlier event later
        record["started_epoch"] = now_epoch
        record["started_at"] = now_iso
        record["started_at_source"] = "session_start" if event == "SessionStart" else "first_event"

    if event == "SessionStart":
        record["starts"] += 1
        if payload.get("source") == "resume":
            record["resumes"] += 1
        if context_chars is not None:
            record["start_context_chars"] = record.get("start_context_chars", 0) + context_chars
        if record["starts"] == 1 and _only_event_so_far(record):
            record["started_at_source"] = "session_start"
            if head is not None and record.get("start_head") is None:
                record["start_head"] = head
    elif event == "SessionEnd":
        record["ends"] += 1
        if record["ended_at"] is None or now_iso >= record["ended_at"]:
            record["ended_at"] = now_iso
            reason = payload.get("reason")
            record["end_reason"] = reason if isinstance(reason, str) else None
    elif event == "PostToolUse":
        _count_tool_call(record, tool_name, invariants, now_epoch, now_iso)
        if tool_name in SUBAGENT_TOOLS:
            _launch(
                record,
                tool_use_id,
                _agent_id_from_response(payload),
                _subagent_type_from_input(payload),
                confirmed=True,
            )
    elif event == "PostToolUseFailure":
        # The tool ran and failed (Bash exiting 1, an interrupted call): a tool call that is
        # also a failure. A call denied by permissions or blocked by a PreToolUse hook fires
        # neither PostToolUse nor this (tests/e2e/FINDINGS.md), so it is never counted as a call.
        _count_tool_call(record, tool_name, invariants, now_epoch, now_iso)
        record["failures"] += 1
        _bump(record["failures_by_tool"], canonical_tool(tool_name))
        if payload.get("is_interrupt") is True:
            record["interruptions_count"] += 1
    elif event == "PreToolUse":
        # Registered with matcher Task|Agent: a launch announced before it runs. Other tools
        # (a user who widened the matcher) are not counted here: PostToolUse counts them.
        if tool_name in SUBAGENT_TOOLS:
            _launch(
                record,
                tool_use_id,
                None,
                _subagent_type_from_input(payload),
                confirmed=False,
            )
    else:  # SubagentStart / SubagentStop
        _launch(record, None, agent_id, agent_type, confirmed=True)
    return record


def _count_tool_call(record: dict, tool_name: str, invariants: dict, now_epoch: float, now_iso: str) -> None:
    record["tool_calls_total"] += 1
    _bump(record["tool_calls"], canonical_tool(tool_name))
    parts = split_mcp(tool_name)
    if parts is not None:
        _bump(record["mcp"].setdefault(parts[0], {}), parts[1])
    _count_invariants(record, tool_name, invariants)
    _note_activity(record, now_epoch, now_iso)


def _only_event_so_far(record: dict) -> bool:
    return sum(record["events"].values()) == 1


def add_parallel_sessions(record: dict, other_ids) -> None:
    """Add ``other_ids`` to ``parallel_sessions`` in the order first seen, keeping the newest
    `MAX_PARALLEL_IDS` (a long session's list stays bounded and recent)."""
    current = list(record.get("parallel_sessions") or [])
    known = set(current)
    for other in other_ids:
        if other not in known and other != record.get("session_id"):
            current.append(other)
            known.add(other)
    record["parallel_sessions"] = current[-MAX_PARALLEL_IDS:]


_NUMBER = (int, float)
_FIELD_TYPES = {
    "session_id": str,
    "project_dir": str,
    "transcript_path": (str, type(None)),
    "started_at": str,
    "started_at_source": str,
    "started_epoch": _NUMBER + (type(None),),
    "start_head": (str, type(None)),
    "start_context_chars": int,
    "last_seen_at": str,
    "ended_at": (str, type(None)),
    "end_reason": (str, type(None)),
    "starts": int,
    "resumes": int,
    "ends": int,
    "tool_calls_total": int,
    "tool_calls": dict,
    "mcp": dict,
    "subagents": dict,
    "subagent_launches": list,
    "failures": int,
    "failures_by_tool": dict,
    "interruptions_count": int,
    "invariants": dict,
    "parallel_sessions": list,
    "parallel_scanned_epoch": _NUMBER + (type(None),),
    "active_seconds": _NUMBER,
    "last_activity_at": (str, type(None)),
    "last_activity_epoch": _NUMBER + (type(None),),
    "events": dict,
    "folded_spills": list,
}


def is_count(value) -> bool:
    return type(value) is int and value >= 0  # type(): a bool is no count


def _counts(table) -> bool:
    return all(isinstance(k, str) and is_count(v) for k, v in table.items())


_COUNTERS = ("starts", "resumes", "ends", "tool_calls_total", "failures", "interruptions_count", "start_context_chars")
_TIMESTAMPS = ("started_at", "last_seen_at", "ended_at", "last_activity_at")
_DIGITS = frozenset("0123456789")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_timestamp(value: str) -> bool:
    """``YYYY-MM-DDTHH:MM:SS[.fff]Z`` as `now_iso` writes it, a real date from 1970 on; a
    check by hand, without ``datetime`` (2 ms to import, on every hook call)."""
    if len(value) < 20 or value[-1] != "Z" or value[4] != "-" or value[7] != "-" or value[10] != "T":
        return False
    if value[13] != ":" or value[16] != ":" or not _DIGITS.issuperset(value[:4] + value[5:7] + value[8:10]
                                                                        + value[11:13] + value[14:16] + value[17:19]):
        return False
    fraction = value[19:-1]
    if fraction and (fraction[0] != "." or len(fraction) < 2 or not _DIGITS.issuperset(fraction[1:])):
        return False
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    if year < 1970 or not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month - 1]:
        return False
    if month == 2 and day == 29 and (year % 4 or (year % 100 == 0 and year % 400)):
        return False
    return int(value[11:13]) <= 23 and int(value[14:16]) <= 59 and int(value[17:19]) <= 59


def shape_problem(record: dict):
    """None when ``record`` has the shape `apply_event` relies on, else what is wrong.

    A stored record is checked whole before use, so a wrong shape is quarantined up front
    instead of failing half-way through an update; the helpers check it with the same rule
    (lib/state/telemetry.py), so a record that passes gives a log that passes the schema.
    """
    for key, types in _FIELD_TYPES.items():
        if key in record and not isinstance(record[key], types):
            return "field %r has type %s" % (key, type(record[key]).__name__)
    for key in ("tool_calls", "failures_by_tool", "invariants", "events"):
        if key in record and not _counts(record[key]):
            return "field %r is not a table of counts" % key
    mcp = record.get("mcp", {})
    if not all(isinstance(v, dict) and _counts(v) for v in mcp.values()):
        return "field 'mcp' is not {server: {tool: count}}"
    for key in _COUNTERS:
        if key in record and not is_count(record[key]):
            return "field %r is not a count (%r)" % (key, record[key])
    for key in _TIMESTAMPS:
        if isinstance(record.get(key), str) and not is_timestamp(record[key]):
            return "field %r is not a UTC timestamp (%r)" % (key, record[key][:40])
    active = record.get("active_seconds", 0)
    if not 0 <= active < float("inf"):  # NaN fails both comparisons
        return "field 'active_seconds' is not a duration (%r)" % (active,)
    sub = record.get("subagents", {"total": 0, "by_type": {}, "confirmed": 0})
    if not (is_count(sub.get("total")) and is_count(sub.get("confirmed")) and isinstance(sub.get("by_type"), dict)
            and _counts(sub["by_type"])):
        return "field 'subagents' is not {total, by_type, confirmed}"
    for row in record.get("subagent_launches", []):
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[2], str) and isinstance(row[3], bool)):
            return "field 'subagent_launches' has a malformed row"
    parallel = record.get("parallel_sessions", [])
    if not all(isinstance(x, str) and x for x in parallel) or len(set(parallel)) != len(parallel):
        return "field 'parallel_sessions' is not a list of distinct ids"
    if not all(isinstance(x, str) for x in record.get("folded_spills", [])):
        return "field 'folded_spills' is not a list of names"
    return None
