"""A session's telemetry across handoffs, and archiving it (``archive-state``).

Layout: the live part is ``<state dir>/session-<id>.json`` (+ ``.lock``, the hook's flock).
``archive-state`` moves both to ``<state dir>/archive/session-<id>.<LOGID>.<n>.json`` (+
``.lock``), ``n`` = 1, 2, ... so a second handoff of the same session (the session went on
after its first ``/handoff``) archives a second part and never overwrites the first.

Invariants (tests/state/test_handoff_archive.py):
- No count is lost and none lands in an archived part after the move: the move happens under
  the session lock, the record before the lock (a hook that locks after us re-opens the path,
  finds no record and starts a fresh live part; see lib/statefiles.flock_session).
- A session's telemetry is the sum of its archived parts and its live part, read under the
  same lock (`session_telemetry`), so a concurrent archive never makes a part count twice or
  not at all.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ..core import statefiles
from ..core import telemetry_store as store
from ..core.errors import HelperError
from .locking import session_lock
from .telemetry import BadRecord, derive, merge_records, read_live_locked, read_part, set_aside

ARCHIVE_DIR = "archive"


def archive_dir(state_dir: str) -> str:
    return os.path.join(state_dir, ARCHIVE_DIR)


def archived_parts(state_dir: str, session_id: str) -> list:
    """Paths of the session's archived records, oldest part first."""
    prefix = statefiles.session_stem(session_id) + "."
    parts = []
    try:
        entries = os.scandir(archive_dir(state_dir))
    except FileNotFoundError:
        return []
    with entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".json")):
                continue
            middle = name[len(prefix) : -len(".json")]  # <LOGID>.<n>
            log_id, _, n = middle.rpartition(".")
            if log_id and n.isdigit():
                parts.append((int(n), log_id, entry.path))
    return [path for _, _, path in sorted(parts)]


def _archived_records(state_dir: str, session_id: str, warnings: list) -> list:
    records = []
    for path in archived_parts(state_dir, session_id):
        try:
            records.append(read_part(path))
        except FileNotFoundError:
            continue
        except BadRecord as exc:
            set_aside(exc, path, warnings)
    return records


def session_parts(state_dir: str, session_id: str, *, warnings: list) -> list:
    """[record] of every part of the session: archived ones, then the live one (if any). A part
    that cannot be used is moved aside and left out, with a line in ``warnings``."""
    live_path = statefiles.record_path(state_dir, session_id)
    if not os.path.exists(live_path) and not store.pending_spills(state_dir, session_id):
        # Nothing live to race with: an archive only ever moves a live part.
        return _archived_records(state_dir, session_id, warnings)
    with session_lock(statefiles.lock_path(state_dir, session_id)):
        records = _archived_records(state_dir, session_id, warnings)
        live, _ = read_live_locked(state_dir, session_id, warnings=warnings)  # pending spills included
    if live is not None:
        records.append(live)
    return records


def session_telemetry(state_dir: str, session_id: str, *, warnings: list):
    """The session's merged, derived telemetry (lib/telemetry.derive), or None if it has none;
    parts that cannot be used are left out (`session_parts`)."""
    merged = merge_records(session_parts(state_dir, session_id, warnings=warnings))
    return derive(merged) if merged else None


@dataclass
class ArchiveResult:
    moved: list = field(default_factory=list)  # [(from, to)]
    record: dict | None = None  # the part that was moved, if any
    part: int | None = None
    warnings: list = field(default_factory=list)  # a record moved aside instead (state/telemetry.set_aside)


def _free_part_number(directory: str, stem: str, log_id: str) -> int:
    n = 1
    while any(
        os.path.lexists(os.path.join(directory, "%s.%s.%d%s" % (stem, log_id, n, ext))) for ext in (".json", ".lock")
    ):
        n += 1
    return n


def _move_no_clobber(src: str, dst: str) -> None:
    """rename(2) that refuses to replace ``dst`` (link + unlink: atomic, never overwrites)."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise HelperError("%s: already exists; refusing to overwrite an archived part" % dst) from None
    except OSError:  # no hard links here (some FUSE/SMB mounts): the part number is fresh anyway
        if os.path.lexists(dst):
            raise HelperError("%s: already exists; refusing to overwrite an archived part" % dst) from None
        os.rename(src, dst)
        return
    os.unlink(src)


def archive_state(state_dir: str, session_id: str, log_id: str) -> ArchiveResult:
    """Move the live record and its lock into ``archive/`` under the session lock."""
    result = ArchiveResult()
    json_path = statefiles.record_path(state_dir, session_id)
    lock = statefiles.lock_path(state_dir, session_id)
    if not os.path.exists(json_path) and not store.pending_spills(state_dir, session_id):
        return result
    directory = archive_dir(state_dir)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise HelperError("%s: cannot create (%s)" % (directory, exc.strerror or exc)) from None
    stem = statefiles.session_stem(session_id)
    with session_lock(lock):
        record, spills = read_live_locked(state_dir, session_id, warnings=result.warnings)
        if record is None:  # archived by someone else while we waited
            return result
        if spills:
            # Fold pending spills into the part being archived, as the next hook would have:
            # left behind, a spill already counted here would be counted again in the next
            # live part. Persist first, then delete (a crash in between leaves names that
            # folded_spills marks as counted).
            statefiles.write_atomic(json_path, json.dumps(record, sort_keys=True).encode())
            for path in spills:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
        n = _free_part_number(directory, stem, log_id)
        base = os.path.join(directory, "%s.%s.%d" % (stem, log_id, n))
        # The record first, then the lock: a hook that opens the old lock path after this
        # point creates a new lock file and, finding no record, starts a fresh live part.
        _move_no_clobber(json_path, base + ".json")
        result.moved.append((json_path, base + ".json"))
        if os.path.exists(lock):
            _move_no_clobber(lock, base + ".lock")
            result.moved.append((lock, base + ".lock"))
        statefiles.fsync_dir(state_dir)
        statefiles.fsync_dir(directory)
    result.record = record
    result.part = n
    return result


def latest_transcript_path(state_dir: str, session_id: str, *, warnings: list):
    """The transcript path the hook recorded last, from the live part or the newest archived one."""
    for record in reversed(session_parts(state_dir, session_id, warnings=warnings)):
        path = record.get("transcript_path")
        if isinstance(path, str) and path:
            return path
    return None
