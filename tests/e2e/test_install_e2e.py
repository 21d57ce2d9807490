"""Project-local install (scripts/install.py) driven through the real Claude Code CLI.

Scenarios 1, 2, 3 and 7 of issue 5. Every assertion is on what our code recorded (the telemetry
record as ``telemetry-read`` prints it, the user's own hook log, the settings file), with the
CLI's own output used only to prove a precondition (e.g. that a tool really was denied).

The helpers at the top are shared with the other e2e modules of the installs
(test_plugin_e2e.py, test_commands_e2e.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hookutil import state_dir

from .fake_api import message_text

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "scripts" / "install.py"
# The interpreter running the tests has the helpers' packages (make setup); the helpers in the
# temp repos use it through the launcher, nothing is pip-installed at test time.
HELPERS_ENV = {"HANDOFF_PYTHON": sys.executable, "GIT_CONFIG_NOSYSTEM": "1"}


# -- shared helpers ------------------------------------------------------------------------------


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], check=True, capture_output=True, text=True
    ).stdout


def identify(project: Path) -> Path:
    """The repo's operator is "Roman Tester" (initials RT), so commits and whoami work."""
    git(project, "config", "user.name", "Roman Tester")
    git(project, "config", "user.email", "rt@example.com")
    return project


def run_install(target: Path, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, str(INSTALL), *args, str(target)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, f"install.py {args} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
    return out


def helper(launcher: list[str], project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a helper subcommand through a launcher argv, as a user would, outside the CLI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env.update(HELPERS_ENV)
    out = subprocess.run(
        [*launcher, *args, "--root", str(project)], capture_output=True, text=True, cwd=project, env=env, timeout=60
    )
    if check:
        assert out.returncode == 0, f"{args}: exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def telemetry(launcher: list[str], project: Path, session_id: str) -> dict[str, Any]:
    return json.loads(helper(launcher, project, "telemetry-read", "--session-id", session_id).stdout)


def bash(command: str, description: str = "e2e step") -> dict[str, Any]:
    return {"tool": "Bash", "input": {"command": command, "description": description}}


def work_turns(project: Path, tag: str) -> list[Any]:
    """One Bash, Write, Read and Edit call each (in that order), then a final answer."""
    notes = str(project / f"notes-{tag}.txt")
    return [
        bash(f"echo work-{tag}"),
        {"tool": "Write", "input": {"file_path": notes, "content": f"first line {tag}\n"}},
        {"tool": "Read", "input": {"file_path": notes}},
        {"tool": "Edit", "input": {"file_path": notes, "old_string": "first", "new_string": "edited"}},
        f"finished {tag}",
    ]


def tool_results(requests) -> list[dict[str, Any]]:
    """Every tool_result the model was sent, in order (one per main request at most here)."""
    out = []
    for req in requests:
        if req.kind == "main":
            out.extend(req.tool_results())
    return out


def hook_errors(project: Path) -> str:
    path = state_dir(project) / "hook-errors.log"
    return path.read_text() if path.exists() else ""


LOCAL_LAUNCHER = ["scripts/handoff"]


# -- scenarios 1 and 2: counts, SessionStart/SessionEnd, --continue -------------------------------


def test_project_local_install_counts_a_session_and_its_continuation(run_claude, git_project: Path) -> None:
    project = identify(git_project)
    run_install(project, "--no-venv")
    assert (project / "scripts" / "handoff").exists() and (project / ".claude" / "settings.json").exists()

    result, requests, _ = run_claude(project, "do some work", work_turns(project, "a"), env_extra=HELPERS_ENV)
    session_id = result["session_id"]
    assert (project / "notes-a.txt").read_text() == "edited line a\n"  # the tools really ran
    assert all(not r.get("is_error") for r in tool_results(requests))

    rec = telemetry(LOCAL_LAUNCHER, project, session_id)
    assert rec["session_id"] == session_id and rec["project_dir"] == str(project)
    assert rec["tool_calls"] == {"Bash": 1, "Write": 1, "Read": 1, "Edit": 1}
    assert rec["tool_calls_total"] == 4 and rec["failures"] == 0
    assert rec["started_at_source"] == "session_start"
    assert rec["ended_at"] is not None and rec["end_reason"] == "other"
    assert (rec["starts"], rec["resumes"], rec["ends"]) == (1, 0, 1)
    assert rec["ended_at"] >= rec["started_at"]
    assert rec["transcript_path"] and rec["transcript_path"].endswith(f"{session_id}.jsonl")
    first = rec

    # Scenario 2: --continue keeps the session id, so the same record goes on counting.
    turns = [bash("echo again"), {"tool": "Read", "input": {"file_path": str(project / "notes-a.txt")}}, "more"]
    result2, _, _ = run_claude(project, "continue", turns, extra_args=["--continue"], env_extra=HELPERS_ENV)
    assert result2["session_id"] == session_id
    rec = telemetry(LOCAL_LAUNCHER, project, session_id)
    assert rec["tool_calls"] == {"Bash": 2, "Write": 1, "Read": 2, "Edit": 1}
    assert rec["tool_calls_total"] == 6
    assert (rec["starts"], rec["resumes"], rec["ends"]) == (2, 1, 2)
    assert rec["started_at"] == first["started_at"] and rec["started_at_source"] == "session_start"
    assert rec["ended_at"] >= first["ended_at"]
    records = sorted(p.name for p in state_dir(project).glob("session-*.json"))
    assert records == [f"session-{session_id}.json"]  # one record, not one per run
    assert hook_errors(project) == ""


# -- scenario 3: denied and blocked tools are not tool calls ---------------------------------------

BLOCKER = """import json, sys
payload = json.load(sys.stdin)
if "BLOCKME" in json.dumps(payload.get("tool_input")):
    print("blocked by the user's policy hook", file=sys.stderr)
    sys.exit(2)
"""


def test_denied_and_blocked_calls_are_not_counted(run_claude, git_project: Path) -> None:
    project = identify(git_project)
    (project / ".claude").mkdir()
    (project / ".claude" / "block.py").write_text(BLOCKER)
    user_settings = {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": "Bash",
                    "hooks": [{"type": "command", "command": 'python3 "$CLAUDE_PROJECT_DIR/.claude/block.py"'}],
                }
            ]
        }
    }
    (project / ".claude" / "settings.json").write_text(json.dumps(user_settings, indent=2) + "\n")
    run_install(project, "--no-venv")

    denied_file = project / "denied.txt"
    turns = [
        bash("echo allowed"),
        bash("echo BLOCKME"),  # the user's PreToolUse hook exits 2
        {"tool": "Write", "input": {"file_path": str(denied_file), "content": "x\n"}},  # not in allowedTools
        bash("echo failing; exit 3"),  # runs and fails: a call and a failure
        "done with denials",
    ]
    result, requests, _ = run_claude(
        project, "try things", turns, extra_args=["--allowedTools", "Bash Read"], env_extra=HELPERS_ENV
    )
    # Preconditions, from the CLI: one call blocked, one denied, one failed.
    results = tool_results(requests)
    assert [bool(r.get("is_error")) for r in results] == [False, True, True, True]
    assert "blocked by the user's policy hook" in json.dumps(results[1])
    assert not denied_file.exists()
    assert sorted(d["tool_name"] for d in result["permission_denials"]) == ["Bash", "Write"]

    rec = telemetry(LOCAL_LAUNCHER, project, result["session_id"])
    assert rec["tool_calls"] == {"Bash": 2}  # "echo allowed" and the failing one; no phantom calls
    assert rec["tool_calls_total"] == 2
    assert rec["failures"] == 1 and rec["failures_by_tool"] == {"Bash": 1}
    assert rec["interruptions_count"] == 0
    assert rec["events"].get("PostToolUse") == 1 and rec["events"].get("PostToolUseFailure") == 1
    assert hook_errors(project) == ""


# -- scenario 7: the installer on a repo that has its own hooks -------------------------------------

USER_LOGGER = """import json, os, sys
payload = json.load(sys.stdin)
with open(os.path.join(os.environ["CLAUDE_PROJECT_DIR"], "user-hook.log"), "a") as f:
    f.write("%s %s\\n" % (payload["hook_event_name"], payload.get("tool_name", "-")))
"""


def test_installer_keeps_the_users_hooks_and_both_fire(run_claude, git_project: Path) -> None:
    project = identify(git_project)
    (project / ".claude").mkdir()
    (project / ".claude" / "logger.py").write_text(USER_LOGGER)
    logger = {"type": "command", "command": 'python3 "$CLAUDE_PROJECT_DIR/.claude/logger.py"'}
    user_settings = {
        "permissions": {"allow": ["Bash(echo:*)"]},
        "hooks": {
            "PostToolUse": [{"matcher": "*", "hooks": [logger]}],
            "SessionStart": [{"hooks": [logger]}],
        },
    }
    original = json.dumps(user_settings, indent=2) + "\n"
    (project / ".claude" / "settings.json").write_text(original)
    (project / ".gitignore").write_text("node_modules/\n")

    run_install(project, "--no-venv")
    merged = json.loads((project / ".claude" / "settings.json").read_text())
    assert merged["permissions"] == user_settings["permissions"]
    assert merged["hooks"]["PostToolUse"][0] == {"matcher": "*", "hooks": [logger]}  # theirs, first
    settings_after_first = (project / ".claude" / "settings.json").read_bytes()
    run_install(project, "--no-venv")
    assert (project / ".claude" / "settings.json").read_bytes() == settings_after_first  # idempotent

    result, _, _ = run_claude(project, "work", work_turns(project, "u"), env_extra=HELPERS_ENV)
    user_log = (project / "user-hook.log").read_text().splitlines()
    assert user_log == ["SessionStart -", *(f"PostToolUse {t}" for t in ("Bash", "Write", "Read", "Edit"))]
    rec = telemetry(LOCAL_LAUNCHER, project, result["session_id"])
    assert rec["tool_calls"] == {"Bash": 1, "Write": 1, "Read": 1, "Edit": 1}
    assert rec["started_at_source"] == "session_start" and rec["ended_at"] is not None

    # Uninstall: exactly the user's settings again, and only their hook fires.
    run_install(project, "--uninstall")
    assert (project / ".claude" / "settings.json").read_text() == original
    assert (project / ".gitignore").read_text() == "node_modules/\n"
    assert not (project / "scripts").exists() and not (project / ".claude" / "commands").exists()
    (project / "user-hook.log").unlink()
    result, requests, _ = run_claude(project, "after", [bash("echo after"), "ok"], env_extra=HELPERS_ENV)
    assert "after" in message_text(requests[-1].last_message("user"))
    assert (project / "user-hook.log").read_text().splitlines() == ["SessionStart -", "PostToolUse Bash"]
    assert not (state_dir(project) / f"session-{result['session_id']}.json").exists()
