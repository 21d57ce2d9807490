"""Tests of the e2e harness itself: the fake API alone, then the real CLI driven through it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .fake_api import FakeAPI, message_text
from .probe_cli import capture_settings, read_jsonl, write_capture_hook

# -- the fake API on its own (no CLI needed) -------------------------------------------------


def _post(api: FakeAPI, path: str, body: Any) -> tuple[int, str, str]:
    req = urllib.request.Request(
        api.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode()


def _sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_fake_api_scripts_turns_and_answers_side_queries(fake_api: FakeAPI) -> None:
    fake_api.script([{"tool": "Bash", "input": {"command": "true"}, "id": "toolu_x"}, "final words"])
    tools = [{"name": "Bash", "input_schema": {"type": "object"}}]
    msgs = [{"role": "user", "content": "hi"}]

    status, ctype, body = _post(fake_api, "/v1/messages?beta=true", {"messages": msgs, "stream": True})
    assert status == 200  # a side query (no tools) gets short text and uses no turn
    assert next(d for e, d in _sse(body) if e == "content_block_delta")["delta"] == {
        "type": "text_delta",
        "text": "ok",
    }
    assert fake_api.turns_left() == 2

    status, ctype, body = _post(
        fake_api, "/v1/messages?beta=true", {"messages": msgs, "tools": tools, "stream": True}
    )
    assert status == 200 and ctype.startswith("text/event-stream")
    events = _sse(body)
    names = [e for e, _ in events]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    start = next(d for e, d in events if e == "content_block_start")
    assert start["content_block"] == {"type": "tool_use", "id": "toolu_x", "name": "Bash", "input": {}}
    delta = next(d for e, d in events if e == "content_block_delta")
    assert json.loads(delta["delta"]["partial_json"]) == {"command": "true"}
    assert next(d for e, d in events if e == "message_delta")["delta"]["stop_reason"] == "tool_use"

    status, _, body = _post(fake_api, "/v1/messages", {"messages": msgs, "tools": tools})  # not streamed
    assert json.loads(body)["content"] == [{"type": "text", "text": "final words"}]
    status, _, body = _post(fake_api, "/v1/messages", {"messages": msgs, "tools": tools})
    assert json.loads(body)["content"][0]["text"] == "done"  # script exhausted

    assert [r.kind for r in fake_api.requests] == ["side", "main", "main", "main"]
    assert [r.turn_index for r in fake_api.requests] == [None, 0, 1, None]


def test_fake_api_is_robust(fake_api: FakeAPI) -> None:
    status, ctype, body = _post(fake_api, "/v2/nothing", {"x": 1})
    assert status == 404 and ctype == "application/json" and json.loads(body)["type"] == "error"
    with urllib.request.urlopen(fake_api.url + "/", timeout=10) as resp:
        assert resp.status == 200
    head = urllib.request.Request(fake_api.url + "/v1/messages", method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as resp:
        assert resp.status == 200
    status, _, _ = _post(fake_api, "/v1/messages", ["not", "an", "object"])
    assert status == 400
    assert fake_api.requests[0].body == {"x": 1}


def test_fake_api_routes_subagent_requests(fake_api: FakeAPI) -> None:
    fake_api.script(["main answer"], subagents={"SUB-7": ["sub answer"]})
    tools = [{"name": "Bash", "input_schema": {"type": "object"}}]
    sub = {"messages": [{"role": "user", "content": "SUB-7: do it"}], "tools": tools}
    main = {"messages": [{"role": "user", "content": "hello"}], "tools": tools}
    assert json.loads(_post(fake_api, "/v1/messages", sub)[2])["content"][0]["text"] == "sub answer"
    assert json.loads(_post(fake_api, "/v1/messages", main)[2])["content"][0]["text"] == "main answer"
    assert [(r.kind, r.route) for r in fake_api.requests] == [("subagent", "SUB-7"), ("main", None)]


# -- the real CLI -------------------------------------------------------------------------------


def test_scripted_bash_tool_call_runs(run_claude, git_project: Path) -> None:
    turns = [
        {"tool": "Bash", "input": {"command": "echo e2e-hello > made.txt", "description": "make a file"}},
        {"text": "all done"},
    ]
    result, requests, proc = run_claude(git_project, "make a file", turns)

    assert (git_project / "made.txt").read_text() == "e2e-hello\n"
    assert result["subtype"] == "success" and result["is_error"] is False
    assert result["result"] == "all done" and result["num_turns"] == 2
    main = [r for r in requests if r.kind == "main"]
    assert len(main) == 2
    assert "Bash" in main[0].tool_names()
    (tool_result,) = main[1].tool_results()
    assert tool_result["is_error"] is False
    assert proc.returncode == 0


def test_project_hook_receives_post_tool_use(run_claude, git_project: Path, tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    hook = write_capture_hook(tmp_path / "hooks")
    settings = {
        "hooks": capture_settings(hook, capture, events=("SessionStart", "PostToolUse", "SessionEnd"))
    }
    (git_project / ".claude").mkdir()
    (git_project / ".claude" / "settings.json").write_text(json.dumps(settings))

    turns = [
        {
            "tool": "Bash",
            "input": {"command": "echo from-hook-test", "description": "echo"},
            "id": "toolu_e2e_1",
        },
        "finished",
    ]
    result, _, _ = run_claude(git_project, "run echo", turns)

    records = read_jsonl(capture)
    assert [r["event"] for r in records] == ["SessionStart", "PostToolUse", "SessionEnd"]
    post = records[1]["stdin"]
    assert post["hook_event_name"] == "PostToolUse"
    assert post["tool_name"] == "Bash"
    assert post["tool_input"]["command"] == "echo from-hook-test"
    assert post["tool_use_id"] == "toolu_e2e_1"
    assert post["tool_response"]["stdout"] == "from-hook-test"
    assert post["session_id"] == result["session_id"]
    assert records[1]["env"]["CLAUDE_PROJECT_DIR"] == str(git_project)
    assert records[1]["hook_cwd"] == str(git_project)


def test_continue_reuses_home_and_session(run_claude, git_project: Path) -> None:
    first, _, _ = run_claude(git_project, "first", ["FIRST-ANSWER"])
    second, requests, _ = run_claude(git_project, "second", ["SECOND-ANSWER"], extra_args=["--continue"])
    assert second["session_id"] == first["session_id"]
    main = [r for r in requests if r.kind == "main"]
    assert "FIRST-ANSWER" in main[0].text  # the model was shown the first run's conversation
    assert list((run_claude.home / ".claude" / "projects").glob(f"*/{first['session_id']}.jsonl"))


def test_slash_command_preexec_is_shown_to_the_model(run_claude, git_project: Path) -> None:
    commands = git_project / ".claude" / "commands"
    commands.mkdir(parents=True)
    (commands / "show.md").write_text(
        "---\nallowed-tools: Bash(echo:*)\n---\nOUT: !`echo PREEXEC-SHOWN`\nARGS: $ARGUMENTS\n"
    )
    (commands / "nope.md").write_text("---\nallowed-tools: Bash(echo:*)\n---\nOUT: !`touch nope.txt`\n")

    result, requests, _ = run_claude(git_project, "/show a b", ["ok"], extra_args=["--allowedTools", "Read"])
    main = [r for r in requests if r.kind == "main"]
    shown = message_text(main[0].last_message("user"))
    assert "<command-name>/show</command-name>" in shown
    assert "OUT: PREEXEC-SHOWN" in shown and "ARGS: a b" in shown
    assert result["num_turns"] == 1

    # A pre-exec that its allowed-tools does not cover aborts the command: the model is never called.
    result, requests, _ = run_claude(git_project, "/nope", ["never"], extra_args=["--allowedTools", "Read"])
    assert result["num_turns"] == 0
    assert result["is_error"] is False and result["subtype"] == "success"
    assert result["result"].startswith("Shell command permission check failed")
    assert not [r for r in requests if r.kind == "main"]
    assert not (git_project / "nope.txt").exists()


@pytest.mark.parametrize("background", [False, True], ids=["foreground", "background"])
def test_subagent_requests_follow_their_own_script(
    run_claude, git_project: Path, tmp_path: Path, background: bool
) -> None:
    capture = tmp_path / "capture.jsonl"
    hook = write_capture_hook(tmp_path / "hooks")
    events = ("PreToolUse", "PostToolUse", "SubagentStart", "SubagentStop")
    (git_project / ".claude").mkdir()
    (git_project / ".claude" / "settings.json").write_text(
        json.dumps({"hooks": capture_settings(hook, capture, events=events)})
    )
    agent = {
        "description": "harness sub",
        "prompt": "SUB-HARNESS: echo",
        "subagent_type": "general-purpose",
        "run_in_background": background,
    }
    result, requests, _ = run_claude(
        git_project,
        "delegate",
        [{"tool": "Agent", "input": agent}, "MAIN-1", "MAIN-2"],
        subagents={"SUB-HARNESS": [{"tool": "Bash", "input": {"command": "echo in-sub"}}, "SUB-FINAL"]},
    )
    sub = [r for r in requests if r.kind == "subagent"]
    assert len(sub) == 2 and all(r.route == "SUB-HARNESS" for r in sub)
    assert sub[1].tool_results()[0]["content"] == "in-sub"
    assert result["result"] == ("MAIN-2" if background else "MAIN-1")

    records = read_jsonl(capture)
    start = next(r["stdin"] for r in records if r["event"] == "SubagentStart")
    stop = next(r["stdin"] for r in records if r["event"] == "SubagentStop")
    post_agent = next(
        r["stdin"] for r in records if r["event"] == "PostToolUse" and r["stdin"]["tool_name"] == "Agent"
    )
    assert start["agent_id"] == stop["agent_id"] == post_agent["tool_response"]["agentId"]
    assert stop["last_assistant_message"] == "SUB-FINAL"
    in_sub = [
        r["stdin"] for r in records if r["event"] == "PostToolUse" and r["stdin"]["tool_name"] == "Bash"
    ]
    assert in_sub and in_sub[0]["agent_id"] == start["agent_id"]
