"""The hook never blocks the agent: bad input, bad state and hung locks all exit 0, quietly.

Each case asserts exit 0, empty stdout, a bounded run time, a reason in the error log, and
that nothing was written outside the state dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hookutil import REPO, error_log, payload, read_state, run_hook, state_dir

HOOK_BUDGET_S = 4.0  # the registered timeout is 5 s


def snapshot(root: Path, exclude: Path) -> dict:
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == exclude or exclude in Path(dirpath).parents:
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            files[str(p)] = (st.st_size, st.st_mtime_ns)
    return files


def run_quietly(project, data, env_extra=None, timeout=HOOK_BUDGET_S + 6):
    started = time.monotonic()
    proc = run_hook(project, data, event="PostToolUse", env_extra=env_extra, timeout=timeout)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0
    assert proc.stdout == b""
    assert proc.stderr == b""
    assert elapsed < HOOK_BUDGET_S, elapsed
    return proc


def _big_payload(size: int) -> bytes:
    p = payload("PostToolUse", tool_name="Read")
    p["tool_response"] = {"file": {"content": "x" * size}}
    return json.dumps(p).encode()


HOSTILE = {
    "empty": b"",
    "whitespace": b"  \n\t ",
    "not json": b"hello there",
    "binary": bytes(range(256)) * 8,
    "truncated": json.dumps(payload("PostToolUse")).encode()[:-7],
    "json array": b"[1, 2, 3]",
    "json string": b'"PostToolUse"',
    "nan": b'{"hook_event_name": "PostToolUse", "session_id": "s1", "tool_name": "Bash", "x": NaN}',
    "no event": json.dumps({"session_id": "s1", "tool_name": "Bash"}).encode(),
    "event not a string": json.dumps(payload("PostToolUse", hook_event_name=["PostToolUse"])).encode(),
    "unknown event": json.dumps(payload("PermissionRequestV9")).encode(),
    "no tool_name": json.dumps({k: v for k, v in payload("PostToolUse").items() if k != "tool_name"}).encode(),
    "tool_name number": json.dumps(payload("PostToolUse", tool_name=42)).encode(),
    "tool_name empty": json.dumps(payload("PostToolUse", tool_name="")).encode(),
    "session_id number": json.dumps(payload("PostToolUse", session_id=12345)).encode(),
    "session_id empty": json.dumps(payload("PostToolUse", session_id="")).encode(),
    "transcript not a string": json.dumps(payload("PostToolUse", transcript_path={"a": 1})).encode(),
    "tool_use_id object": json.dumps(payload("PostToolUse", tool_use_id={"x": 1})).encode(),
    "subagent without id": json.dumps(payload("SubagentStart", agent_type="x")).encode(),
    "deeply nested": b'{"hook_event_name": "PostToolUse", "x": ' + b"[" * 10**5 + b"]" * 10**5 + b"}",
    "invalid utf-8 inside": (
        b'{"hook_event_name": "PostToolUse", "session_id": "s1", "tool_name": "Bash", "x": "\xff\xfe"}'
    ),
}
RECORDED = {"invalid utf-8 inside"}  # a stray byte inside a tool_response must not cost the count


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_stdin(project, case):
    before = snapshot(project.parent, state_dir(project))
    run_quietly(project, HOSTILE[case])
    assert snapshot(project.parent, state_dir(project)) == before
    if case in RECORDED:
        assert read_state(project, "s1")["tool_calls_total"] == 1
    else:
        assert not list(state_dir(project).glob("session-*.json"))
        assert error_log(project).strip(), "the reason must be logged"


def test_payload_of_50_mb_is_counted(project):
    data = _big_payload(50 * 1024 * 1024)
    assert len(data) > 50 * 1024 * 1024
    run_quietly(project, data)
    assert read_state(project, "s1")["tool_calls"] == {"Read": 1}


def test_payload_over_the_cap_is_dropped_and_logged(project):
    run_quietly(project, _big_payload(65 * 1024 * 1024))
    assert "payload over" in error_log(project)
    assert not list(state_dir(project).glob("session-*.json"))


@pytest.mark.parametrize(
    "session_id",
    ["../../escape", "/etc/passwd", "a/b", "..", ".", "x" * 129, "nul\u0000byte", "sp ace", "é", "~tilde", "-"],
)
def test_session_id_never_names_a_path_outside_the_state_dir(project, session_id):
    before = snapshot(project.parent, state_dir(project))
    run_quietly(project, json.dumps(payload("PostToolUse", session_id=session_id)).encode())
    run_quietly(project, json.dumps(payload("PostToolUse", session_id=session_id)).encode())
    assert snapshot(project.parent, state_dir(project)) == before
    records = list(state_dir(project).glob("session-*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["session_id"] == session_id
    assert record["tool_calls_total"] == 2  # the mapped name is stable: every event lands in one record
    if session_id == "-":
        assert records[0].name == "session--.json"  # a valid id keeps its own name
    else:
        assert records[0].name.startswith("session-~")


def test_missing_state_dir_is_created(project, tmp_path):
    target = tmp_path / "does" / "not" / "exist"
    run_quietly(project, json.dumps(payload("PostToolUse")).encode(), env_extra={"HANDOFF_STATE_DIR": str(target)})
    assert json.loads((target / "session-s1.json").read_text())["tool_calls_total"] == 1


def test_state_dir_path_is_a_file(project, tmp_path):
    """An unwritable state dir (even for root, as CI runs): its path is a regular file."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a dir")
    before = snapshot(tmp_path, tmp_path / "none")
    run_quietly(project, json.dumps(payload("PostToolUse")).encode(), env_extra={"HANDOFF_STATE_DIR": str(blocker)})
    assert blocker.read_text() == "not a dir"
    assert snapshot(tmp_path, tmp_path / "none") == before


def test_corrupt_record_is_quarantined_and_a_fresh_one_started(project):
    sd = state_dir(project)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    (sd / "session-s1.json").write_bytes(b'{"schema_version": 1, "tool_calls_tot')
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    quarantined = list(sd.glob("session-s1.json.corrupt-*"))
    assert len(quarantined) == 1
    assert quarantined[0].read_bytes() == b'{"schema_version": 1, "tool_calls_tot'
    assert read_state(project, "s1")["tool_calls_total"] == 1
    assert "quarantined" in error_log(project)


@pytest.mark.parametrize(
    "content",
    [
        b"[]",
        b'{"schema_version": 99}',
        b'{"schema_version": 1, "session_id": "someone-else"}',
        b'{"schema_version": 1, "session_id": "s1", "tool_calls": [], "tool_calls_total": "x"}',
        b"\x00\x01\x02",
    ],
)
def test_foreign_or_wrong_shape_records_are_quarantined(project, content):
    sd = state_dir(project)
    sd.mkdir(parents=True)
    (sd / "session-s1.json").write_bytes(content)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert read_state(project, "s1")["tool_calls_total"] == 1
    assert len(list(sd.glob("session-s1.json.corrupt-*"))) == 1


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_hung_lock_holder_costs_at_most_the_budget_and_loses_no_count(project):
    """A holder that never lets go: the hook gives up after the 1.5 s budget (inside the 5 s
    hook timeout), spills the event and logs it; the next writer folds the spill in."""
    sd = state_dir(project)
    sd.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(sd / "session-s1.lock"), "30"], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline() == b"locked\n"
        started = time.monotonic()
        run_quietly(project, json.dumps(payload("PostToolUse", tool_name="Read")).encode())
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert 1.4 <= elapsed < 3.5, elapsed
    assert "lock busy" in error_log(project) and "spilled" in error_log(project)
    assert not (sd / "session-s1.json").exists()
    spills = list(sd.glob("session-s1.*.spill"))
    assert len(spills) == 1
    # the next event after the holder died folds the spill: nothing was lost
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    record = read_state(project, "s1")
    assert record["tool_calls"] == {"Read": 1, "Bash": 1}
    assert not list(sd.glob("session-s1.*.spill"))
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert read_state(project, "s1")["folded_spills"] == []  # forgotten once the file is gone


def test_a_spill_counted_before_a_crash_is_not_counted_again(project):
    """Crash between the record write and the spill's deletion: its name in folded_spills
    keeps it from being applied twice."""
    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core import telemetry_store

    sd = state_dir(project)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    spill = telemetry_store.write_spill(str(sd), "s1", payload("PostToolUse", tool_name="Read"), time.time(), {})
    record = read_state(project, "s1")
    record["tool_calls"]["Read"] = 1
    record["tool_calls_total"] += 1
    record["folded_spills"] = [os.path.basename(spill)]
    (sd / "session-s1.json").write_text(json.dumps(record))  # as written just before the crash
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    record = read_state(project, "s1")
    assert record["tool_calls"] == {"Bash": 2, "Read": 1}
    assert not os.path.exists(spill)


def test_error_log_stays_bounded(project):
    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core import statefiles

    sd = state_dir(project)
    sd.mkdir(parents=True)
    for i in range(3000):
        statefiles.append_error_log(str(sd), "line %d %s" % (i, "x" * 200))
    total = sum(p.stat().st_size for p in sd.glob("hook-errors.log*"))
    assert total <= 2 * statefiles.ERROR_LOG_MAX_BYTES
    assert "line 2999" in (sd / "hook-errors.log").read_text()


# --- regressions found by an adversarial review -------------------------------------------


def _spill(project, name_payload, t=None, invariants=None):
    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core import telemetry_store

    state_dir(project).mkdir(parents=True, exist_ok=True)
    return telemetry_store.write_spill(
        str(state_dir(project)), "s1", name_payload, time.time() if t is None else t, invariants or {}
    )


@pytest.mark.parametrize(
    "content",
    [b'{"t": 1, "payload": []}', b'{"t": 1, "payload": {"hook_event_name": "PostToolUse"}, "invariants": []}',
     b"not json", b'{"payload": {}}'],
)
def test_a_malformed_spill_is_dropped_never_the_record(project, content):
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    bad = Path(_spill(project, payload("PostToolUse")))
    bad.write_bytes(content)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    record = read_state(project, "s1")
    assert record["tool_calls_total"] == 2
    assert not list(state_dir(project).glob("session-s1.json.corrupt-*"))
    assert not bad.exists()
    assert "unusable" in error_log(project)


def test_spills_fold_in_time_order_whatever_the_pids(project):
    """A launch spilled by PreToolUse must fold before the SubagentStart that confirms it."""
    pre = payload("PreToolUse", tool_name="Agent", tool_use_id="toolu_9", tool_input={"subagent_type": "Plan"})
    start = payload("SubagentStart", agent_id="ag-9", agent_type="Plan")
    t = time.time()
    first = Path(_spill(project, pre, t))
    second = Path(_spill(project, start, t + 0.001))
    # make the earlier spill carry the larger pid, as after a pid wrap
    first.rename(first.with_name(first.name.rsplit(".", 2)[0] + ".99999.spill"))
    second.rename(second.with_name(second.name.rsplit(".", 2)[0] + ".100.spill"))
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    sub = read_state(project, "s1")["subagents"]
    assert (sub["total"], sub["confirmed"]) == (1, 1)


def _mkfifo(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


@pytest.mark.parametrize("where", ["hook-errors.log", "session-s1.json", "config"])
def test_a_fifo_planted_in_place_of_a_file_never_hangs_the_hook(project, where):
    if where == "config":
        (project / ".claude" / "handoff.json").unlink()
        _mkfifo(project / ".claude" / "handoff.json")
    else:
        _mkfifo(state_dir(project) / where)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    run_quietly(project, b"not json")  # the error-log path too
    assert read_state(project, "s1")["tool_calls_total"] == 1
    if where == "session-s1.json":  # the FIFO is set aside, never read, and counting goes on
        assert len(list(state_dir(project).glob("session-s1.json.corrupt-*"))) == 1


@pytest.mark.parametrize(
    "record",
    [
        {"parallel_sessions": [[1]]},
        {"parallel_sessions": [1]},
        {"subagents": {"total": "x"}},
        {"mcp": {"srv": 3}},
        {"subagent_launches": [["a"]]},
        {"tool_calls": {"Bash": "1"}},
        # values of the right type that no log could hold (issue 20 item 5)
        {"tool_calls": {"Bash": -1}},
        {"tool_calls_total": -3},
        {"failures": True},
        {"started_at": "garbage"},
        {"last_seen_at": "2026-02-30T10:00:00.000Z"},
        {"active_seconds": -1.0},
        {"parallel_sessions": ["x", "x"]},
    ],
)
def test_records_of_the_wrong_shape_are_quarantined_up_front(project, record):
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    path = state_dir(project) / "session-s1.json"
    stored = json.loads(path.read_text())
    stored.update(record)
    path.write_text(json.dumps(stored))
    run_quietly(project, json.dumps(payload("PostToolUse", session_id="other")).encode())  # an active peer
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert read_state(project, "s1")["tool_calls_total"] == 1
    assert len(list(state_dir(project).glob("session-s1.json.corrupt-*"))) == 1
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert read_state(project, "s1")["tool_calls_total"] == 2


def test_record_path_taken_by_a_directory_is_quarantined(project):
    (state_dir(project) / "session-s1.json").mkdir(parents=True)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert read_state(project, "s1")["tool_calls_total"] == 1
    assert len(list(state_dir(project).glob("session-s1.json.corrupt-*"))) == 1


def test_deeply_nested_tool_response_is_still_counted(project):
    deep = b'{"hook_event_name": "PostToolUse", "session_id": "s1", "tool_name": "Read", "tool_response": '
    deep += b"[" * 5000 + b"]" * 5000 + b"}"
    run_quietly(project, deep)
    assert read_state(project, "s1")["tool_calls"] == {"Read": 1}


def test_orphaned_spill_temp_files_are_swept(project):
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    sd = state_dir(project)
    orphan = sd / ".session-s1.00000000000000000001.123.spill.123.1.tmp"
    orphan.write_text("{")
    os.utime(orphan, (time.time() - 120, time.time() - 120))
    record = read_state(project, "s1")
    record["parallel_scanned_epoch"] -= 31  # upkeep (scan + sweep) runs every 30 s per session
    (sd / "session-s1.json").write_text(json.dumps(record))
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert not orphan.exists()


def test_clock_stepping_back_neither_freezes_activity_nor_moves_the_start():
    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core import telemetry_record as tr

    record = tr.new_record("s", "/p", "2026-01-01T00:10:00.000Z")
    ev = {"hook_event_name": "PostToolUse", "tool_name": "Bash"}
    t0 = 1_800_000_600.0
    tr.apply_event(record, ev, t0, "2026-01-01T00:10:00.000Z", {})
    tr.apply_event(record, ev, t0 - 600, "2026-01-01T00:00:00.000Z", {})  # clock set back 10 min
    tr.apply_event(record, ev, t0 - 540, "2026-01-01T00:01:00.000Z", {})
    assert record["active_seconds"] == 60.0
    assert record["started_at"] == "2026-01-01T00:10:00.000Z"


@pytest.mark.parametrize("dot_git", [b"gitdir: foo\0bar\n", b"\xff\xfe garbage", b"gitdir: /nowhere/at/all\n"])
def test_a_corrupt_dot_git_file_still_counts(project, dot_git):
    """The hook reads ``.git`` to find the git common dir (core/project.py): a NUL byte, bytes
    that are not UTF-8 or a dangling gitdir must read as "not a repository", never lose the event."""
    import shutil

    shutil.rmtree(project / ".git")
    (project / ".git").write_bytes(dot_git)
    run_quietly(project, json.dumps(payload("PostToolUse")).encode())
    assert read_state(project, "s1")["tool_calls_total"] == 1
