"""telemetry-read: the record as readers see it, through the real helper CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from hookutil import REPO, payload, run_hook, state_dir

HELPERS = REPO / "scripts" / "handoff_helpers.py"


def telemetry_read(project, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, str(HELPERS), "telemetry-read", "--root", str(project), *args],
        capture_output=True,
        text=True,
        env=env,
    )


def test_prints_the_record_with_derived_fields(project):
    run_hook(project, payload("SessionStart"))
    run_hook(project, payload("PostToolUse", tool_name="mcp__notion__search"))
    run_hook(project, payload("PostToolUse", tool_name="Bash"))
    proc = telemetry_read(project, "--session-id", "s1")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["tool_calls"] == {"Bash": 1, "mcp__notion__*": 1}
    assert record["invariants"] == {"notion_writes": {"count": 1, "ok": False}}
    assert isinstance(record["active_min_estimate"], float)
    assert "subagent_launches" not in record and "folded_spills" not in record


def test_default_session_is_the_env_one_else_the_latest(project):
    run_hook(project, payload("PostToolUse", session_id="older"))
    time.sleep(0.05)
    run_hook(project, payload("PostToolUse", session_id="newer"))
    assert json.loads(telemetry_read(project).stdout)["session_id"] == "newer"
    chosen = telemetry_read(project, env_extra={"CLAUDE_CODE_SESSION_ID": "older"})
    assert json.loads(chosen.stdout)["session_id"] == "older"


def test_unknown_session_is_a_one_line_error(project):
    run_hook(project, payload("PostToolUse"))
    proc = telemetry_read(project, "--session-id", "nope")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("handoff: unknown session 'nope'") and proc.stderr.count("\n") == 1


def test_no_fail_reports_the_error_as_json(project):
    proc = telemetry_read(project, "--no-fail")
    assert proc.returncode == 0
    assert "no telemetry recorded yet" in json.loads(proc.stdout)["error"]


def test_pending_spills_are_counted_by_readers(project):
    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core import telemetry_store

    run_hook(project, payload("PostToolUse"))
    sd = str(state_dir(project))
    telemetry_store.write_spill(sd, "s1", payload("PostToolUse", tool_name="Read"), time.time(), {})
    telemetry_store.write_spill(sd, "only-spilled", payload("PostToolUse"), time.time(), {})
    record = json.loads(telemetry_read(project, "--session-id", "s1").stdout)
    assert record["tool_calls"] == {"Bash": 1, "Read": 1}
    spilled = telemetry_read(project, "--session-id", "only-spilled")
    assert spilled.returncode == 0, spilled.stderr
    assert json.loads(spilled.stdout)["tool_calls_total"] == 1


def test_corrupt_record_is_a_one_line_error_not_a_traceback(project):
    sd = state_dir(project)
    sd.mkdir(parents=True)
    (sd / "session-bad.json").write_text("{nope")
    proc = telemetry_read(project, "--session-id", "bad")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "session-bad.json: not valid JSON" in proc.stderr


def test_archive_folds_pending_spills_into_the_archived_part(project, tmp_path):
    """A spill left in the live dir after archiving would be counted again by the next live
    part: archive-state folds it into the part it archives."""
    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core import telemetry_store

    run_hook(project, payload("PostToolUse"))
    read_call = payload("PostToolUse", tool_name="Read")
    telemetry_store.write_spill(str(state_dir(project)), "s1", read_call, time.time(), {})
    transcript = tmp_path / "t.jsonl"
    transcript.write_text('{"type": "user"}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env["TRANSCRIPTS_DIR"] = str(tmp_path / "transcripts")
    proc = subprocess.run(
        [sys.executable, str(HELPERS), "archive-state", "--root", str(project), "--session-id", "s1",
         "--log-id", "RT-261121-01", "--transcript", str(transcript)],
        capture_output=True, text=True, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    archived = json.loads(next((state_dir(project) / "archive").glob("session-s1.*.json")).read_text())
    assert archived["tool_calls"] == {"Bash": 1, "Read": 1}
    assert not list(state_dir(project).glob("session-s1.*.spill"))
    run_hook(project, payload("PostToolUse", tool_name="Edit"))
    live = json.loads(telemetry_read(project, "--session-id", "s1").stdout)
    assert live["tool_calls"] == {"Edit": 1}
