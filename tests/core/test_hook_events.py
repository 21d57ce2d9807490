"""What each Claude Code event does to the session record, through the registered hook command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from hookutil import (
    REPO,
    error_log,
    payload,
    read_state,
    registered_command,
    run_hook,
    sample,
    state_dir,
)

SCENARIOS = {"bypass": "Bash", "edit": "Edit", "read": "Read", "write": "Write", "plugin": "Bash"}
CLI_EVENT_ORDER = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]


def feed(project, p, **kw):
    proc = run_hook(project, p, **kw)
    assert proc.returncode == 0
    assert proc.stdout == b""
    return proc


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_real_payloads_are_counted_right(project, scenario):
    """Each captured session, replayed in the CLI's order to the commands settings.json registers."""
    session_id = None
    for event in CLI_EVENT_ORDER:
        name = "%s-%s.json" % (scenario, event)
        if not (REPO / "tests/fixtures/payloads" / name).exists():
            continue
        stdin = sample(name)["stdin"]
        session_id = stdin["session_id"]
        command = registered_command(event, stdin.get("tool_name"))
        if command is None:  # Claude Code would not run our hook for this event / tool
            continue
        feed(project, stdin, command=command)
    record = read_state(project, session_id)
    tool = SCENARIOS[scenario]
    assert record["tool_calls"] == {tool: 1}
    assert record["tool_calls_total"] == 1
    assert record["started_at_source"] == "session_start"
    assert record["ended_at"] is not None and record["end_reason"] == "other"
    assert record["started_at"] <= record["ended_at"]
    assert record["transcript_path"].endswith(session_id + ".jsonl")
    assert record["project_dir"] == str(project)
    assert record["subagents"]["total"] == 0
    assert error_log(project) == ""


def test_plugin_copy_steps_aside_when_project_registers_the_hook(project, tmp_path):
    """Both installs fire for every event (plugin-PostToolUse / plugin-plugin_PostToolUse):
    the tool call must still count once."""
    plugin_root = tmp_path / "plugin"
    plugin_root.mkdir()
    import shutil

    shutil.copytree(REPO / "scripts", plugin_root / "scripts")
    plugin_cmd = 'python3 -S "${CLAUDE_PLUGIN_ROOT}/scripts/hooks/session_state.py"'
    env = {"CLAUDE_PLUGIN_ROOT": str(plugin_root), "CLAUDE_PLUGIN_DATA": str(tmp_path / "data")}
    stdin = sample("plugin-plugin_PostToolUse.json")["stdin"]
    feed(project, stdin)  # project-local copy
    feed(project, stdin, command=plugin_cmd, env_extra=env)  # plugin copy
    assert read_state(project, stdin["session_id"])["tool_calls_total"] == 1


def test_plugin_copy_counts_when_project_has_no_local_install(tmp_path):
    """A bare repo with only the plugin: the plugin copy does the counting, state in the repo."""
    from hookutil import init_git

    bare = init_git(tmp_path / "bare")
    plugin_root = tmp_path / "plugin"
    import shutil

    shutil.copytree(REPO / "scripts", plugin_root / "scripts")
    plugin_cmd = 'python3 -S "${CLAUDE_PLUGIN_ROOT}/scripts/hooks/session_state.py"'
    stdin = sample("plugin-plugin_PostToolUse.json")["stdin"]
    feed(bare, stdin, command=plugin_cmd, env_extra={"CLAUDE_PLUGIN_ROOT": str(plugin_root)})
    assert read_state(bare, stdin["session_id"])["tool_calls"] == {"Bash": 1}
    assert not (plugin_root / ".claude").exists()


def test_continue_keeps_first_start_last_end_and_counts_resumes(project):
    feed(project, payload("SessionStart", source="startup"))
    feed(project, payload("PostToolUse"))
    feed(project, payload("SessionEnd"))
    first = read_state(project, "s1")
    time.sleep(0.01)
    feed(project, payload("SessionStart", source="resume"))
    feed(project, payload("PostToolUse", tool_name="Read"))
    feed(project, payload("SessionEnd", reason="prompt_input_exit"))
    record = read_state(project, "s1")
    assert record["started_at"] == first["started_at"]
    assert record["started_at_source"] == "session_start"
    assert record["ended_at"] > first["ended_at"]
    assert record["end_reason"] == "prompt_input_exit"
    assert (record["starts"], record["resumes"], record["ends"]) == (2, 1, 2)
    assert record["tool_calls"] == {"Bash": 1, "Read": 1}


def test_first_event_is_the_start_when_no_session_start_was_seen(project):
    feed(project, payload("PostToolUse"))
    record = read_state(project, "s1")
    assert record["started_at_source"] == "first_event"
    assert record["ended_at"] is None


def test_mcp_tools_aggregate_per_server_with_breakdown(project):
    for name in [
        "mcp__github__create_issue",
        "mcp__github__create_issue",
        "mcp__github__list_prs",
        "mcp__plugin_acme_db__query",
        "mcp__weird__tool__with__dunders",
    ]:
        feed(project, payload("PostToolUse", tool_name=name))
    record = read_state(project, "s1")
    assert record["tool_calls"] == {
        "mcp__github__*": 3,
        "mcp__plugin_acme_db__*": 1,
        "mcp__weird__*": 1,
    }
    assert record["mcp"] == {
        "github": {"create_issue": 2, "list_prs": 1},
        "plugin_acme_db": {"query": 1},
        "weird": {"tool__with__dunders": 1},
    }
    assert record["tool_calls_total"] == 5


def test_invariants_default_config_counts_notion_calls(project):
    feed(project, payload("PostToolUse", tool_name="Bash"))
    assert read_state(project, "s1")["invariants"] == {"notion_writes": 0}
    feed(project, payload("PostToolUse", tool_name="mcp__notion__notion-create-pages"))
    feed(project, payload("PostToolUse", tool_name="mcp__notionApi__API-post-page"))
    feed(project, payload("PostToolUse", tool_name="mcp__plugin_notion_notion__notion-update-page"))
    feed(project, payload("PostToolUse", tool_name="mcp__github__notion_like"))
    assert read_state(project, "s1")["invariants"] == {"notion_writes": 3}


def test_invariants_come_from_project_config(project):
    (project / ".claude" / "handoff.json").write_text(
        json.dumps({"invariants": {"no_web": ["Web*"], "no_rm": "Bash"}})
    )
    feed(project, payload("PostToolUse", tool_name="WebFetch"))
    feed(project, payload("PostToolUse", tool_name="Read"))
    assert read_state(project, "s1")["invariants"] == {"no_web": 1, "no_rm": 0}


def test_broken_config_falls_back_to_defaults_and_says_so(project):
    (project / ".claude" / "handoff.json").write_text("{not json")
    feed(project, payload("PostToolUse", tool_name="mcp__notion__x"))
    assert read_state(project, "s1")["invariants"] == {"notion_writes": 1}
    assert "handoff.json unreadable" in error_log(project)


def test_failures_and_interruptions(project):
    feed(project, payload("PostToolUseFailure", tool_name="Bash", error="exit 1", is_interrupt=False))
    feed(project, payload("PostToolUseFailure", tool_name="Bash", error="interrupted", is_interrupt=True))
    feed(project, payload("PostToolUseFailure", tool_name="mcp__x__y", error="boom"))
    record = read_state(project, "s1")
    assert record["failures"] == 3
    assert record["interruptions_count"] == 1
    assert record["failures_by_tool"] == {"Bash": 2, "mcp__x__*": 1}
    # a call that ran and failed is a tool call and a failure (probe-bashfail-*.json)
    assert record["tool_calls_total"] == 3
    assert record["tool_calls"] == {"Bash": 2, "mcp__x__*": 1}


@pytest.mark.parametrize("tool", ["Task", "Agent"])
def test_subagent_launch_counts_once_across_all_reporting_events(project, tool):
    tu = "toolu_launch1"
    tool_input = {"description": "d", "prompt": "p", "subagent_type": "Explore"}
    feed(project, payload("PreToolUse", tool_name=tool, tool_use_id=tu, tool_input=tool_input))
    feed(project, payload("SubagentStart", agent_id="agent-1", agent_type="Explore"))
    feed(project, payload("SubagentStop", agent_id="agent-1", agent_type="Explore"))
    feed(
        project,
        payload(
            "PostToolUse",
            tool_name=tool,
            tool_use_id=tu,
            tool_input=tool_input,
            tool_response={"status": "completed", "agentId": "agent-1", "content": []},
        ),
    )
    record = read_state(project, "s1")
    assert record["subagents"]["total"] == 1
    assert record["subagents"]["confirmed"] == 1
    assert record["subagents"]["by_type"] == {"Explore": 1}
    assert record["tool_calls"] == {tool: 1}


def test_subagents_without_post_tool_use_and_parallel_launches(project):
    """PostToolUse does not always fire when an Agent call completes: Pre + SubagentStart/Stop
    must be enough, and two parallel launches must stay two."""
    for tu in ("toolu_a", "toolu_b"):
        pre = payload("PreToolUse", tool_name="Agent", tool_use_id=tu, tool_input={"subagent_type": "Plan"})
        feed(project, pre)
    feed(project, payload("SubagentStart", agent_id="ag-b", agent_type="Plan"))
    feed(project, payload("SubagentStart", agent_id="ag-a", agent_type="Plan"))
    feed(project, payload("SubagentStop", agent_id="ag-a", agent_type="Plan"))
    feed(project, payload("SubagentStop", agent_id="ag-b", agent_type="Plan"))
    # a third one seen only by SubagentStart (no PreToolUse: e.g. launched by the CLI itself)
    feed(project, payload("SubagentStart", agent_id="ag-c", agent_type="general-purpose"))
    record = read_state(project, "s1")
    assert record["subagents"]["total"] == 3
    assert record["subagents"]["by_type"] == {"Plan": 2, "general-purpose": 1}
    assert record["subagents"]["confirmed"] == 3


def test_blocked_launch_is_announced_but_not_confirmed(project):
    pre = payload("PreToolUse", tool_name="Task", tool_use_id="toolu_x", tool_input={"subagent_type": "Explore"})
    feed(project, pre)
    sub = read_state(project, "s1")["subagents"]
    assert sub["total"] == 1 and sub["confirmed"] == 0


def test_stored_subagent_ids_stay_bounded(project):
    from lib.core import telemetry_record as tr

    record = tr.new_record("s", "/p", "2026-01-01T00:00:00.000Z")
    for i in range(tr.MAX_SUBAGENT_IDS + 50):
        tr.apply_event(
            record,
            {"hook_event_name": "SubagentStart", "agent_id": "a%d" % i, "agent_type": "x"},
            0.0,
            "2026-01-01T00:00:00.000Z",
            {},
        )
    assert record["subagents"]["total"] == tr.MAX_SUBAGENT_IDS + 50
    assert len(record["subagent_launches"]) == tr.MAX_SUBAGENT_IDS


def _age_last_scan(project, session_id, seconds):
    """Pretend this session's last parallel scan was ``seconds`` ago (scans are throttled)."""
    path = state_dir(project) / ("session-%s.json" % session_id)
    record = json.loads(path.read_text())
    record["parallel_scanned_epoch"] -= seconds
    path.write_text(json.dumps(record))


def test_parallel_sessions_are_other_recently_active_sessions(project):
    feed(project, payload("PostToolUse", session_id="alpha"))
    feed(project, payload("PostToolUse", session_id="gamma"))
    feed(project, payload("PostToolUse", session_id="beta"))  # sees alpha and gamma
    stale = time.time() - 11 * 60
    os.utime(state_dir(project) / "session-gamma.json", (stale, stale))
    feed(project, payload("PostToolUse", session_id="alpha"))  # scanned < 30 s ago: no new scan
    assert read_state(project, "alpha")["parallel_sessions"] == []
    _age_last_scan(project, "alpha", 31)
    feed(project, payload("PostToolUse", session_id="alpha"))
    assert read_state(project, "alpha")["parallel_sessions"] == ["beta"]  # gamma went quiet 11 min ago
    assert read_state(project, "beta")["parallel_sessions"] == ["alpha", "gamma"]


def test_parallel_scan_is_throttled_per_session(project):
    """Scanning stats every session file; with thousands of old sessions it must not run on
    every tool call."""
    sd = state_dir(project)
    feed(project, payload("PostToolUse", session_id="main"))
    first = read_state(project, "main")["parallel_scanned_epoch"]
    feed(project, payload("PostToolUse", session_id="other"))
    feed(project, payload("PostToolUse", session_id="main"))
    record = read_state(project, "main")
    assert record["parallel_scanned_epoch"] == first
    assert record["parallel_sessions"] == []
    assert (sd / "session-other.json").exists()


def test_active_minutes_skip_gaps_over_15_minutes():
    from lib.core import telemetry_record as tr

    record = tr.new_record("s", "/p", "2026-01-01T00:00:00.000Z")
    t0 = 1_800_000_000.0
    for offset in (0, 60, 120, 120 + 16 * 60, 120 + 16 * 60 + 30):
        tr.apply_event(record, {"hook_event_name": "PostToolUse", "tool_name": "Bash"}, t0 + offset, "x", {})
    assert record["active_seconds"] == 150.0  # 60 + 60 + (gap of 16 min skipped) + 30


def test_unregistered_events_are_ignored_and_logged(project):
    for event in ("Stop", "UserPromptSubmit", "Notification", "SomethingNew"):
        feed(project, payload(event), command=registered_command("PostToolUse"))
    assert not list(state_dir(project).glob("session-*.json"))
    assert error_log(project).count("unhandled event") == 4


def test_record_files_and_dir_are_private(project):
    feed(project, payload("PostToolUse"))
    sd = state_dir(project)
    assert (sd.stat().st_mode & 0o777) == 0o700
    assert (sd / "session-s1.json").stat().st_mode & 0o777 == 0o600
    assert (sd / "session-s1.lock").stat().st_mode & 0o777 == 0o600


def test_state_dir_override(project, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "state"
    feed(project, payload("PostToolUse"), env_extra={"HANDOFF_STATE_DIR": str(elsewhere)})
    assert (elsewhere / "session-s1.json").exists()
    assert not state_dir(project).exists()


def _python39():
    import glob
    import shutil

    found = shutil.which("python3.9")
    if found and subprocess.run([found, "-c", "pass"], capture_output=True).returncode == 0:
        return found
    for candidate in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9"))):
        return candidate
    return None


def test_hook_runs_on_python_3_9(project):
    py39 = _python39()
    if py39 is None:
        if os.environ.get("CI") == "true":
            pytest.fail("python3.9 not found: the hook's 3.9 support cannot be checked")
        pytest.skip("python3.9 not installed")
    command = registered_command("PostToolUse").replace("python3 ", py39 + " ", 1)
    assert command.startswith(py39)
    feed(project, payload("SessionStart"), command=command)
    feed(project, payload("PostToolUse"), command=command)
    assert read_state(project, "s1")["tool_calls_total"] == 1
    assert error_log(project) == ""


def test_hook_imports_only_the_standard_library(project):
    """Third-party imports (yaml, jsonschema, filelock) cost ~5x the interpreter floor."""
    command = registered_command("PostToolUse").replace("python3 ", "python3 -X importtime ", 1)
    proc = run_hook(project, payload("PostToolUse"), command=command)
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.decode().splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
    stdlib = set(sys.stdlib_module_names) | {"lib", "encodings"}
    assert imported, proc.stderr
    assert imported <= stdlib, imported - stdlib
    assert not imported & {"json", "re", "fnmatch", "tempfile", "datetime"}  # the slow ones


def _probe_summary():
    path = REPO / "tests/fixtures/payloads/probe-summary.jsonl"
    return {d["scenario"]: d for d in map(json.loads, path.read_text().splitlines())}


# What the real CLI 2.1.329 fired in each probed session (tests/e2e/FINDINGS.md), and what the
# record must say after our registered hooks saw the events Claude Code would route to them.
PROBED = {
    "basic": {"tool_calls": {"Bash": 1}, "failures": 0, "subagents": 0},
    "bashfail": {"tool_calls": {"Bash": 1}, "failures": 1, "subagents": 0},
    "denied": {"tool_calls": {}, "failures": 0, "subagents": 0},  # denied by permissions: no call
    "block": {"tool_calls": {}, "failures": 0, "subagents": 0},  # blocked by a PreToolUse hook
    "subagent": {"tool_calls": {"Agent": 1, "Bash": 1}, "failures": 0, "subagents": 1},  # background
    "subagentfg": {"tool_calls": {"Agent": 1, "Bash": 1}, "failures": 0, "subagents": 1},
    "task": {"tool_calls": {"Agent": 1, "Bash": 1}, "failures": 0, "subagents": 1},  # model said Task
    "continue": {"tool_calls": {"Bash": 1}, "failures": 0, "subagents": 0, "resumes": 1},
}


@pytest.mark.parametrize("scenario", sorted(PROBED))
def test_probed_cli_sessions_are_counted_right(project, scenario):
    expected = PROBED[scenario]
    session_id = None
    for name in _probe_summary()[scenario]["files"]:
        stdin = sample(name)["stdin"]
        session_id = stdin["session_id"]
        command = registered_command(stdin["hook_event_name"], stdin.get("tool_name"))
        if command is not None:
            feed(project, stdin, command=command)
    record = read_state(project, session_id)
    assert record["tool_calls"] == expected["tool_calls"]
    assert record["tool_calls_total"] == sum(expected["tool_calls"].values())
    assert record["failures"] == expected["failures"]
    assert record["subagents"]["total"] == expected["subagents"]
    assert record["subagents"]["confirmed"] == expected["subagents"]
    assert record["resumes"] == expected.get("resumes", 0)
    assert record["started_at_source"] == "session_start"
    assert record["end_reason"] == "other"
    assert error_log(project) == ""


@pytest.mark.parametrize(
    "settings",
    [
        "{not json",  # Claude Code ignores an invalid settings file, so the project hook never runs
        json.dumps({"permissions": {"allow": ["Bash(python3 scripts/hooks/session_state.py)"]}}),
        json.dumps({"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command":
                    'python3 -S "$CLAUDE_PROJECT_DIR/scripts/hooks/session_state.py"'}]}]}}),  # other event
    ],
    ids=["invalid-json", "path-in-permissions-only", "registered-for-another-event"],
)
def test_plugin_copy_counts_unless_the_project_really_registers_this_event(project, tmp_path, settings):
    import shutil

    (project / ".claude" / "settings.json").write_text(settings)
    plugin_root = tmp_path / "plugin"
    plugin_root.mkdir()
    shutil.copytree(REPO / "scripts", plugin_root / "scripts")
    plugin_cmd = 'python3 -S "${CLAUDE_PLUGIN_ROOT}/scripts/hooks/session_state.py"'
    stdin = sample("plugin-plugin_PostToolUse.json")["stdin"]
    feed(project, stdin, command=plugin_cmd, env_extra={"CLAUDE_PLUGIN_ROOT": str(plugin_root)})
    assert read_state(project, stdin["session_id"])["tool_calls_total"] == 1
