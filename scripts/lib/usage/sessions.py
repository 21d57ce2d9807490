"""The sessions handoff knows of: telemetry records in the state dir (live and archived).

Each gives the session id, its transcript path (the hooks' ``transcript_path``, kept in the
record: lib/core/telemetry_record.py), when it started and ended, and its tool calls. Read
without the session lock: this is a listing for reports, and a record is replaced atomically
by the hook, so a read sees an old or a new one, never a mix. Unreadable records are skipped
with a warning naming the file.
"""

from __future__ import annotations

import json
import os

# lib/state/archive.py ARCHIVE_DIR; not imported: that module pulls filelock, which costs a
# cold `usage` run 20 ms (tests/usage/test_cost.py pins the two names equal).
ARCHIVE_DIR = "archive"

MAX_RECORD_BYTES = 4 << 20


class KnownSession:
    __slots__ = ("session_id", "transcript_path", "started_at", "ended_at", "tool_calls_total", "project_dir")

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.transcript_path = None
        self.started_at = None
        self.ended_at = None
        self.tool_calls_total = 0
        self.project_dir = None

    def fold(self, record: dict) -> None:
        """Add one part (archived or live) of the session."""
        if isinstance(record.get("transcript_path"), str):
            self.transcript_path = record["transcript_path"]
        if isinstance(record.get("project_dir"), str):
            self.project_dir = record["project_dir"]
        started, ended = record.get("started_at"), record.get("ended_at")
        if isinstance(started, str) and (self.started_at is None or started < self.started_at):
            self.started_at = started
        if isinstance(ended, str) and (self.ended_at is None or ended > self.ended_at):
            self.ended_at = ended
        calls = record.get("tool_calls_total")
        if type(calls) is int and calls >= 0:
            self.tool_calls_total += calls


def _records(directory: str, warnings: list):
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith("session-") and entry.name.endswith(".json")):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            with open(entry.path, "rb") as fh:
                record = json.loads(fh.read(MAX_RECORD_BYTES + 1))
        except (OSError, ValueError) as exc:
            warnings.append("%s: unreadable telemetry record (%s); skipped" % (entry.path, exc))
            continue
        if isinstance(record, dict) and isinstance(record.get("session_id"), str) and record["session_id"]:
            yield record


def known_sessions(state_dir: str, warnings: list) -> dict:
    """{session id: KnownSession} from the live and archived records."""
    sessions: dict = {}
    for directory in (os.path.join(state_dir, ARCHIVE_DIR), state_dir):
        for record in _records(directory, warnings):
            sid = record["session_id"]
            sessions.setdefault(sid, KnownSession(sid)).fold(record)
    return sessions
