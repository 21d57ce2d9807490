"""Where usage shows: ``usage``, ``telemetry-read``, the session log's ``usage`` (written by
``write-session``, valid against the schema, counted once across re-handoffs) and /resume's
cost line and list of sessions that ended without a /handoff. Real hook, real helper processes."""

from __future__ import annotations

import json
import shutil

from usagekit import FIXTURES

from handoff_fixtures import make_repo, request

SID = "f2737701-062c-4dda-bb05-fd63aa8c6046"
FIXTURE = FIXTURES / "cli-multiblock-subagent-continue" / "projects" / "-tmp-i10probe-run-project"


def with_transcript(tmp_path, session_id=SID, cut_after_first_run=False):
    """A repo whose hook recorded ``session_id``, with that session's CLI-written transcript
    (and its subagent's) where the hook payload says (``<home>/transcripts/<id>.jsonl``)."""
    repo = make_repo(tmp_path)
    tdir = repo.home / "transcripts"
    tdir.mkdir()
    main = tdir / f"{session_id}.jsonl"
    data = (FIXTURE / f"{SID}.jsonl").read_bytes()
    if cut_after_first_run:
        data = data[: data.index(b"\n", data.index(b'"type":"cost-state"')) + 1]
    main.write_bytes(data)
    shutil.copytree(FIXTURE / SID, tdir / session_id)
    repo.hook("SessionStart", session_id)
    repo.tool_calls(session_id, 3)
    return repo, main


def test_telemetry_read_carries_the_sessions_usage(tmp_path):
    repo, _ = with_transcript(tmp_path)
    out = json.loads(repo.helper_ok("telemetry-read", "--session-id", SID).stdout)
    usage = out["usage"]
    assert (usage["input_tokens"], usage["output_tokens"], usage["requests"]) == (1422, 1592, 7)
    assert usage["cost_source"] == "claude-code" and usage["cost_usd"] == 0.081265
    assert out["usage_warnings"] == []


def test_log_gets_usage_valid_and_counted_once_across_handoffs(tmp_path):
    repo, main = with_transcript(tmp_path, cut_after_first_run=True)
    first = repo.write_ok(request(), SID)
    assert repo.log(first["id"]).meta["usage"]["input_tokens"] == 1311
    repo.helper_ok("archive-state", "--session-id", SID, "--log-id", first["id"])
    # the session goes on (--continue appends to the same file) and is handed off again
    full = (FIXTURE / f"{SID}.jsonl").read_bytes()
    main.write_bytes(full)
    repo.tool_calls(SID, 2)
    second = repo.write_ok(request(), SID)
    assert second["id"] == first["id"] and second["action"] == "updated"
    meta = repo.log(second["id"]).meta
    assert meta["usage"]["input_tokens"] == 1422 and meta["usage"]["requests"] == 7  # not 1311 + 1422
    assert meta["usage"]["cost_source"] == "claude-code"
    assert meta["tool_calls_total"] == 5
    repo.helper_ok("validate")


def test_missing_transcript_writes_the_log_without_usage_and_warns(tmp_path):
    repo = make_repo(tmp_path)
    repo.tool_calls("sess-gone", 1)
    out = repo.write_session(request(), "sess-gone")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    result = json.loads(out.stdout)
    assert "usage" not in repo.log(result["id"]).meta
    assert [w for w in result["usage_warnings"] if "transcript missing; usage unknown" in w]
    repo.helper_ok("validate")


def test_usage_command_json_daily_and_table(tmp_path):
    repo, _ = with_transcript(tmp_path)
    data = json.loads(repo.helper_ok("usage", "--json", "--daily").stdout)
    (row,) = data["sessions"]
    assert row["session_id"] == SID and row["input_tokens"] == 1422 and row["cost_source"] == "claude-code"
    assert set(row) >= {"session_id", "input_tokens", "output_tokens", "cache_creation_tokens",
                        "cache_read_tokens", "requests", "by_model", "cost_usd", "cost_source"}
    assert data["totals"]["input_tokens"] == 1422 and data["totals"]["cost_usd"] == 0.081265
    assert data["days"] == [{"date": "2026-11-30", "input_tokens": 1422, "output_tokens": 1592,
                             "cache_creation_tokens": 6141, "cache_read_tokens": 50161, "requests": 7}]
    one = json.loads(repo.helper_ok("usage", "--json", "--session-id", SID).stdout)
    assert one["sessions"] == data["sessions"]
    later = json.loads(repo.helper_ok("usage", "--json", "--since", "2999-01-01").stdout)
    assert later["sessions"] == [] and later["totals"]["requests"] == 0
    table = repo.helper_ok("usage").stdout
    assert SID[:8] in table and "$0.08 (claude-code)" in table


def test_usage_command_bad_input_is_one_line(tmp_path):
    repo, _ = with_transcript(tmp_path)
    out = repo.helper("usage", "--since", "last week")
    assert out.returncode == 1 and out.stderr == "handoff: --since 'last week': expected a date YYYY-MM-DD\n"
    out = repo.helper("usage", "--session-id", "no-such-session")
    assert out.returncode == 1 and out.stderr.startswith("handoff: session no-such-session: no transcript found")
    assert "Traceback" not in out.stderr


def test_write_session_for_a_session_without_telemetry_finds_its_transcript(tmp_path):
    repo = make_repo(tmp_path)
    config = tmp_path / "claude-config"
    shutil.copytree(FIXTURE.parent.parent, config)
    out = repo.write_session(request(), SID, env={"CLAUDE_CONFIG_DIR": str(config)})
    assert out.returncode == 0, out.stderr
    meta = repo.log(json.loads(out.stdout)["id"]).meta
    assert meta["usage"]["input_tokens"] == 1422 and meta["tool_calls_total"] is None


def test_resume_lists_sessions_ended_without_handoff_and_the_cost_line(tmp_path):
    repo, _ = with_transcript(tmp_path)
    repo.hook("SessionEnd", SID, reason="other")
    text = repo.helper_ok("resume", "--operator", "RT").stdout
    assert "Ended without a /handoff" in text
    assert f"  {SID}  3 tool calls  $0.08" in text
    data = json.loads(repo.helper_ok("resume", "--operator", "RT", "--json").stdout)
    assert [s["session_id"] for s in data["unfinished_sessions"]] == [SID]
    repo.write_ok(request(), SID)
    text = repo.helper_ok("resume", "--operator", "RT").stdout
    assert "Ended without a /handoff" not in text
    assert "Cost: last session $0.08; your week: $0.08 over 1 session" in text
