"""A count is never lost: hundreds of real hook processes racing, SIGKILLs, and filelock peers.

The failure modes pinned here are the real ones: a lost update (two hooks read the same
record and the second write drops the first's count), a torn write (a reader or the next hook
sees half a record), and a lock that does not exclude a helper using ``filelock``.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from hookutil import REPO, error_log, hook_env, payload, read_state, registered_command, run_hook, state_dir

BARRIER_EXEC = REPO / "tests" / "helpers" / "barrier_exec.py"
TOOLS = ["Bash", "Read", "Edit", "Write", "Grep", "mcp__github__create_issue", "mcp__notion__search"]


def race(project, tmp_path, jobs):
    """Run every (session_id, tool_name) in ``jobs`` as its own hook process, released together."""
    command = registered_command("PostToolUse")
    barrier = tmp_path / "barrier"
    barrier.write_text("")
    payload_dir = tmp_path / "payloads"
    payload_dir.mkdir()
    out = open(tmp_path / "stdout", "wb")  # noqa: SIM115 - shared by 500 children, closed below
    barrier_fd = os.open(barrier, os.O_RDWR)
    fcntl.flock(barrier_fd, fcntl.LOCK_EX)
    ready_r, ready_w = os.pipe()
    children = []
    try:
        for i, (session_id, tool) in enumerate(jobs):
            p = payload_dir / ("%d.json" % i)
            p.write_text(json.dumps(payload("PostToolUse", session_id=session_id, tool_name=tool)))
            children.append(
                subprocess.Popen(
                    ["python3", "-S", str(BARRIER_EXEC), str(barrier), str(ready_w), str(p), command],
                    pass_fds=(ready_w,),
                    stdout=out,
                    stderr=out,
                    cwd=project,
                    env=hook_env(project),
                )
            )
        os.close(ready_w)
        ready_w = None
        seen = 0
        while seen < len(jobs):
            chunk = os.read(ready_r, 4096)
            assert chunk, "a child died before the barrier"
            seen += len(chunk)
        time.sleep(0.2)  # let the last ready child reach its flock
    finally:
        if ready_w is not None:
            os.close(ready_w)
        os.close(ready_r)
        fcntl.flock(barrier_fd, fcntl.LOCK_UN)  # release them all at once
        os.close(barrier_fd)
    codes = [c.wait(timeout=120) for c in children]
    out.close()
    assert codes == [0] * len(jobs)
    assert (tmp_path / "stdout").read_bytes() == b""
    return {sid: telemetry_read(project, sid) for sid in {sid for sid, _ in jobs}}


def telemetry_read(project, session_id):
    """The record as readers see it (pending spills included): telemetry-read, the real CLI."""
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), str(REPO / "scripts" / "handoff_helpers.py"),
         "telemetry-read", "--root", str(project), "--session-id", session_id],
        capture_output=True, text=True, env=hook_env(project),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_500_hooks_on_one_session_lose_no_count(project, tmp_path):
    rng = random.Random(500)
    jobs = [("race", rng.choice(TOOLS)) for _ in range(500)]
    record = race(project, tmp_path, jobs)["race"]
    expected = Counter(tool for _, tool in jobs)
    assert record["tool_calls_total"] == 500
    assert record["tool_calls"]["Bash"] == expected["Bash"]
    assert record["tool_calls"]["mcp__github__*"] == expected["mcp__github__create_issue"]
    assert record["mcp"]["notion"]["search"] == expected["mcp__notion__search"]
    assert record["invariants"]["notion_writes"] == {"count": expected["mcp__notion__search"], "ok": False}
    for tool in ("Read", "Edit", "Write", "Grep"):
        assert record["tool_calls"][tool] == expected[tool]
    # Under this load some hooks may wait past their budget: they spill, never drop.
    assert "dropped" not in error_log(project)


def test_racing_sessions_do_not_bleed_into_each_other(project, tmp_path):
    sessions = {"alpha": "Bash", "beta": "Read", "gamma": "Edit", "delta": "mcp__db__query"}
    jobs = [(sid, tool) for sid, tool in sessions.items() for _ in range(130)]
    random.Random(4).shuffle(jobs)
    records = race(project, tmp_path, jobs)
    for sid, tool in sessions.items():
        record = records[sid]
        key = "mcp__db__*" if tool.startswith("mcp__") else tool
        assert record["tool_calls"] == {key: 130}, sid
        assert record["tool_calls_total"] == 130
        assert set(record["parallel_sessions"]) <= set(sessions) - {sid}
    assert "dropped" not in error_log(project)


def test_sigkill_at_random_moments_never_corrupts_and_orphans_get_swept(project, tmp_path):
    command = registered_command("PostToolUse")
    data = json.dumps(payload("PostToolUse", session_id="chaos")).encode()
    rng = random.Random(9)
    completed = started = 0
    sd = state_dir(project)
    for _round in range(4):
        procs = []
        for _ in range(40):
            p = subprocess.Popen(
                ["sh", "-c", command],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                cwd=project,
                env=hook_env(project),
                start_new_session=True,
            )
            p.stdin.write(data)
            p.stdin.close()
            procs.append(p)
            started += 1
        for p in rng.sample(procs, 25):
            time.sleep(rng.uniform(0, 0.02))
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in procs:
            if p.wait(timeout=30) == 0:
                completed += 1
        record = read_state(project, "chaos")  # always parses: never a torn write
        assert completed <= record["tool_calls_total"] <= started
    assert 0 < completed < started  # the kills really landed

    # Orphans: temp files a killed writer left behind. Old ones go on the next event; young
    # ones may belong to a live writer and stay.
    old = sd / ".session-chaos.json.99999.1.tmp"
    young = sd / ".session-chaos.json.99999.2.tmp"
    old.write_text("{")
    young.write_text("{")
    for orphan in sd.glob(".session-chaos.json.*.tmp"):
        if orphan != young:
            os.utime(orphan, (time.time() - 120, time.time() - 120))
    record = read_state(project, "chaos")
    before = record["tool_calls_total"]
    record["parallel_scanned_epoch"] -= 31  # upkeep (scan + sweep) runs every 30 s per session
    (sd / "session-chaos.json").write_text(json.dumps(record))
    assert run_hook(project, data).returncode == 0
    assert sorted(sd.glob(".session-chaos.json.*.tmp")) == [young]
    assert read_state(project, "chaos")["tool_calls_total"] == before + 1
    assert (sd / "session-chaos.lock").exists()  # lock files are never swept


FILELOCK_RMW = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from lib.core import statefiles
from lib.state.locking import session_lock
state_dir, session = sys.argv[2], sys.argv[3]
with session_lock(statefiles.lock_path(state_dir, session)):
    print("locked", flush=True)
    path = statefiles.record_path(state_dir, session)
    record = json.load(open(path))
    time.sleep(1.0)   # hooks that ran now would be overwritten if the lock did not exclude them
    record["helper_marker"] = True
    statefiles.write_atomic(path, json.dumps(record).encode())
"""


def test_filelock_helpers_and_hooks_exclude_each_other(project):
    """A helper's read-modify-write under filelock.FileLock loses none of the hooks' counts."""
    assert run_hook(project, payload("PostToolUse", session_id="mix")).returncode == 0
    helper = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "python"),
            "-c",
            FILELOCK_RMW,
            str(REPO / "scripts"),
            str(state_dir(project)),
            "mix",
        ],
        stdout=subprocess.PIPE,
    )
    assert helper.stdout.readline() == b"locked\n"
    command = registered_command("PostToolUse")
    data = json.dumps(payload("PostToolUse", session_id="mix")).encode()
    hooks = []
    for _ in range(20):
        p = subprocess.Popen(["sh", "-c", command], stdin=subprocess.PIPE, cwd=project, env=hook_env(project))
        p.stdin.write(data)
        p.stdin.close()
        hooks.append(p)
    assert helper.wait(timeout=30) == 0
    assert [h.wait(timeout=30) for h in hooks] == [0] * 20
    record = read_state(project, "mix")
    assert record["helper_marker"] is True
    assert record["tool_calls_total"] == 21


def test_hook_lock_excludes_filelock(project):
    """The reverse direction: while the hook's flock is held, FileLock cannot get in."""
    sys.path.insert(0, str(REPO / "scripts"))
    from filelock import FileLock, Timeout

    from lib.core import statefiles

    sd = state_dir(project)
    sd.mkdir(parents=True)
    fd = statefiles.flock_session(str(sd / "session-x.lock"))
    try:
        lock = FileLock(str(sd / "session-x.lock"), timeout=0.3, thread_local=False)
        try:
            lock.acquire()
            raise AssertionError("FileLock acquired a lock the hook holds")
        except Timeout:
            pass
    finally:
        os.close(fd)
    with FileLock(str(sd / "session-x.lock"), timeout=1, thread_local=False):
        pass


MOVE_WHILE_LOCKED = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from lib.core import statefiles
sd = sys.argv[2]
fd = statefiles.flock_session(os.path.join(sd, "session-mv.lock"))
print("locked", flush=True)
time.sleep(0.8)
os.makedirs(os.path.join(sd, "archive"), exist_ok=True)
for ext in (".json", ".lock"):
    os.replace(os.path.join(sd, "session-mv" + ext), os.path.join(sd, "archive", "session-mv" + ext))
os.close(fd)
"""


def test_waiting_hook_follows_the_path_when_the_lock_file_is_moved(project):
    """archive-state moves .json and .lock away under the lock; a hook waiting on the old inode
    must not write through it: its count goes to a fresh live record, none into the archive."""
    assert run_hook(project, payload("PostToolUse", session_id="mv")).returncode == 0
    sd = state_dir(project)
    mover = subprocess.Popen(
        [sys.executable, "-c", MOVE_WHILE_LOCKED, str(REPO / "scripts"), str(sd)], stdout=subprocess.PIPE
    )
    assert mover.stdout.readline() == b"locked\n"
    waiting = run_hook(project, payload("PostToolUse", session_id="mv", tool_name="Read"))
    assert waiting.returncode == 0
    assert mover.wait(timeout=10) == 0
    archived = json.loads((sd / "archive" / "session-mv.json").read_text())
    live = read_state(project, "mv")
    assert archived["tool_calls"] == {"Bash": 1}
    assert live["tool_calls"] == {"Read": 1}
    assert live["started_at_source"] == "first_event"
