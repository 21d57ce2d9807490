"""Where session logs live and how a new one gets its id, race-free.

- Ids are ``<OP>-<YYMMDD>-<NN>``. Allocation gives the highest number of the operator's day
  plus one: it lists the directory's names and keeps those starting ``<OP>-<YYMMDD>-`` (no file
  is opened or stat-ed, no other day's or operator's file is looked at), so a gap (01 and 15
  exist) never brings an old number back: a reused id would overwrite the archived transcript
  ``<LOGID>.jsonl``. A number comes back only when the day's highest log itself was deleted.
- Race-free: every allocation and every write of a log happens under one lock per operator
  (`operator_lock`, in the state dir), and the log appears under its final name by an atomic
  rename before the lock is released. Two concurrent writers therefore never pick the same
  number, and no placeholder file ever exists at a log's path.
- A reader never sees a partial log and a crash leaves none behind: `write_log_atomic` writes
  ``.<name>.<pid>.<ns>.tmp`` beside the log, fsyncs, renames, fsyncs the directory. A writer
  killed before the rename leaves only that hidden temp file, swept by the next write of the
  same log (which is the next write: the killed writer's number is still the next free one).
- One log per session: ``<state dir>/session-logs/<stem>.id`` maps a session id to its log id,
  so a retried ``/handoff`` updates the log in place; if the map is lost, the operator's logs of
  the last two days are searched for the session id.
"""

from __future__ import annotations

import os
import time

from ..core import statefiles
from ..core.errors import HelperError
from . import frontmatter
from .log_ids import parse_log_id

SESSIONS_DIR = os.path.join("docs", "sessions")
LOCKS_DIR = "locks"
MAP_DIR = "session-logs"
FAULT_ENV = "HANDOFF_FAULT_PAUSE"  # tests only: "mid-write" or "before-rename" pauses the writer


def sessions_dir(root: str) -> str:
    return os.path.join(root, SESSIONS_DIR)


def log_path(root: str, log_id) -> str:
    return os.path.join(sessions_dir(root), "%s.md" % log_id)


def relpath(root: str, path: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def operator_logs(root: str, operator: str, days) -> dict:
    """{day: [(LogId, path)] by number} of the operator's logs of ``days``: one listing of the
    directory, names only (nothing is opened or stat-ed)."""
    found: dict = {day: [] for day in days}
    try:
        names = os.listdir(sessions_dir(root))
    except (FileNotFoundError, NotADirectoryError):
        return found
    head = operator + "-"
    for name in names:
        if not (name.startswith(head) and name.endswith(".md")):
            continue
        log_id = parse_log_id(name[:-3])
        if log_id is not None and log_id.operator == operator and log_id.day in found:
            found[log_id.day].append((log_id, os.path.join(sessions_dir(root), name)))
    for logs in found.values():
        logs.sort()
    return found


def day_logs(root: str, operator: str, day: str) -> list:
    """[(LogId, path)] of the operator's logs of ``day``, by number. Reads names only."""
    return operator_logs(root, operator, [day])[day]


def seq_after(logs: list) -> int:
    """The number after the highest of ``logs`` (a `day_logs` list); 1 for none."""
    return logs[-1][0].seq + 1 if logs else 1


def latest_log(root: str, operator: str):
    """(LogId, path) of the operator's newest log by (day, number), or None. Reads names only."""
    prefix = operator + "-"
    best = None
    try:
        entries = os.scandir(sessions_dir(root))
    except FileNotFoundError:
        return None
    with entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".md")):
                continue
            log_id = parse_log_id(name[:-3])
            if log_id is not None and log_id.operator == operator and (best is None or log_id > best[0]):
                best = (log_id, entry.path)
    return best


def operator_lock_path(state_dir: str, operator: str) -> str:
    return os.path.join(state_dir, LOCKS_DIR, "logs-%s.lock" % operator)


def ensure_state_subdir(state_dir: str, name: str) -> str:
    path = os.path.join(state_dir, name)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise HelperError("%s: cannot create (%s)" % (path, exc.strerror or exc)) from None
    return path


def _map_path(state_dir: str, session_id: str) -> str:
    return os.path.join(state_dir, MAP_DIR, statefiles.session_stem(session_id) + ".id")


def remember_session_log(state_dir: str, session_id: str, log_id: str) -> None:
    ensure_state_subdir(state_dir, MAP_DIR)
    statefiles.write_atomic(_map_path(state_dir, session_id), (log_id + "\n").encode("ascii"))


def _log_session_id(path: str):
    try:
        return frontmatter.load(path).meta.get("session_id")
    except frontmatter.FrontmatterError:
        return None


def find_session_log(root: str, state_dir: str, session_id: str, operator: str, days: list, logs=None):
    """LogId of the log already written for ``session_id``, or None.

    The state-dir map first (any day); else the operator's logs of ``days`` whose frontmatter
    names the session (``logs``: an `operator_logs` listing of those days, if the caller has
    one). A mapped log that is gone or names another session is ignored; a log that cannot be
    read is skipped.
    """
    try:
        with open(_map_path(state_dir, session_id), encoding="ascii") as f:
            mapped = parse_log_id(f.read().strip())
    except (OSError, UnicodeDecodeError):
        mapped = None
    if mapped is not None:
        path = log_path(root, mapped)
        if os.path.exists(path) and _log_session_id(path) == session_id:
            return mapped
    if logs is None:
        logs = operator_logs(root, operator, days)
    for day in days:
        for log_id, path in logs.get(day, ()):
            if _log_session_id(path) == session_id:
                return log_id
    return None


def _fault(point: str) -> None:
    if os.environ.get(FAULT_ENV) == point:
        import sys

        sys.stderr.write("handoff: paused at %s\n" % point)
        sys.stderr.flush()
        time.sleep(3600)


def write_log_atomic(path: str, data: bytes) -> None:
    """Put ``data`` at ``path`` (mode 0666 less umask) by temp file + fsync + rename + dir fsync.

    Call it holding the operator lock: no other writer can then own a temp file of ``path``,
    so every one found is a killed writer's orphan and is removed, whatever its age.
    """
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    statefiles.sweep_orphans(path, time.time(), max_age_s=-1.0)

    def halves():  # two chunks, so a test can stop a writer half-way (HANDOFF_FAULT_PAUSE)
        half = len(data) // 2
        yield data[:half]
        _fault("mid-write")
        yield data[half:]

    statefiles.write_atomic(path, halves(), mode=0o666, before_rename=lambda: _fault("before-rename"))
