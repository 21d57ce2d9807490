"""The repository as a plugin (``--plugin-dir``), driven through the real Claude Code CLI.

Scenario 4 of issue 5, plus ``claude plugin validate`` (``--strict``, ``--profile directory``)
on the repository itself, so the manifest, hooks and commands stay acceptable to the real CLI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from hookutil import state_dir

from .fake_api import cli_env, message_text
from .test_install_e2e import (
    HELPERS_ENV,
    LOCAL_LAUNCHER,
    REPO,
    hook_errors,
    identify,
    run_install,
    telemetry,
    work_turns,
)

PLUGIN_LAUNCHER = [str(REPO / "scripts" / "handoff")]


def test_plugin_install_counts_into_the_users_bare_repo(run_claude, git_project: Path) -> None:
    project = identify(git_project)
    repo_state = state_dir(REPO)  # the bundle checkout's own state dir (its git common dir's)
    result, _, _ = run_claude(
        project, "work", work_turns(project, "p"), extra_args=["--plugin-dir", str(REPO)], env_extra=HELPERS_ENV
    )
    session_id = result["session_id"]
    assert (project / "notes-p.txt").read_text() == "edited line p\n"

    # The bare repo got state and nothing else of ours; the plugin directory got nothing.
    assert not (project / "scripts").exists() and not (project / ".claude" / "settings.json").exists()
    assert (state_dir(project) / f"session-{session_id}.json").is_file()
    assert not (repo_state / f"session-{session_id}.json").exists()
    rec = telemetry(PLUGIN_LAUNCHER, project, session_id)
    assert rec["project_dir"] == str(project)
    assert rec["tool_calls"] == {"Bash": 1, "Write": 1, "Read": 1, "Edit": 1}
    assert rec["tool_calls_total"] == 4 and rec["failures"] == 0
    assert rec["started_at_source"] == "session_start"
    assert rec["ended_at"] is not None and (rec["starts"], rec["ends"]) == (1, 1)
    assert hook_errors(project) == ""


def test_plugin_and_project_local_install_together_count_once(run_claude, git_project: Path) -> None:
    """Both hooks fire for every event; the plugin's copy steps aside (session_state.py)."""
    project = identify(git_project)
    run_install(project, "--no-venv")
    result, _, _ = run_claude(
        project, "work", work_turns(project, "b"), extra_args=["--plugin-dir", str(REPO)], env_extra=HELPERS_ENV
    )
    rec = telemetry(LOCAL_LAUNCHER, project, result["session_id"])
    assert rec["tool_calls"] == {"Bash": 1, "Write": 1, "Read": 1, "Edit": 1}
    assert (rec["starts"], rec["ends"]) == (1, 1)
    assert rec["events"]["PostToolUse"] == 4
    assert hook_errors(project) == ""


def test_marketplace_install_then_a_session_and_resume(run_claude, git_project: Path, tmp_path: Path) -> None:
    """`claude plugin marketplace add <dir>` + `claude plugin install handoff@handoff`, as a user
    would (the repo as a local-directory marketplace), then a plain session in a bare repo."""
    market = tmp_path / "marketplace"
    skip = shutil.ignore_patterns(".git", ".venv", ".tools", "__pycache__", ".pytest_cache", ".ruff_cache", "tests")

    def ignore(directory, names):  # .claude/state, never scripts/lib/state (the helpers' package)
        return set(skip(directory, names)) | ({"state"} if os.path.basename(directory) == ".claude" else set())

    shutil.copytree(REPO, market, ignore=ignore)
    env = cli_env(run_claude.api.url, run_claude.home, run_claude.tmpdir)
    run_claude.home.mkdir(parents=True, exist_ok=True)
    for argv in (["plugin", "marketplace", "add", str(market)], ["plugin", "install", "handoff@handoff"]):
        out = subprocess.run([str(run_claude.claude_bin), *argv], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, f"{argv}: {out.stdout}{out.stderr}"
    cached = list((run_claude.home / ".claude" / "plugins" / "cache").glob("handoff/handoff/*/hooks/hooks.json"))
    assert len(cached) == 1

    project = identify(git_project)
    result, _, _ = run_claude(project, "work", work_turns(project, "m"), env_extra=HELPERS_ENV)
    rec = telemetry(PLUGIN_LAUNCHER, project, result["session_id"])
    assert rec["tool_calls"] == {"Bash": 1, "Write": 1, "Read": 1, "Edit": 1}
    assert rec["started_at_source"] == "session_start" and rec["ended_at"] is not None
    assert not (market / ".claude" / "state").exists() and not list(cached[0].parents[1].rglob("session-*.json"))

    seen: dict[str, str] = {}

    def resume_turn(body):
        seen["text"] = message_text([m for m in body["messages"] if m["role"] == "user"][-1])
        return "hello"

    result, _, _ = run_claude(project, "/handoff:resume", [resume_turn], extra_args=["--allowedTools", "Read"],
                              env_extra=HELPERS_ENV)
    assert result["num_turns"] >= 1, result.get("result")
    # The dashboard, pre-executed by the cached plugin's launcher, names the operator.
    assert "<command-name>/handoff:resume</command-name>" in seen["text"] and "!`" not in seen["text"]
    assert re.search(r"\bRT\b", seen["text"]), seen["text"]


def _validate(claude_bin: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [str(claude_bin), "plugin", "validate", str(REPO), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env("http://127.0.0.1:9", home, tmp_path),
    )


def test_claude_plugin_validate_strict_and_directory_profile(claude_bin: Path, tmp_path: Path) -> None:
    for args in (("--strict",), ("--strict", "--profile", "directory")):
        out = _validate(claude_bin, tmp_path, *args)
        assert out.returncode == 0, f"plugin validate {args}:\n{out.stdout}\n{out.stderr}"
        report = json.loads(out.stdout)
        assert report["success"] is True and report["strict"] is True
        assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
        assert sorted(report["provides"]["commands"]) == ["handoff:handoff", "handoff:recall", "handoff:reflect",
                                                          "handoff:report", "handoff:resume"]
        events = {h["event"] for h in report["provides"]["hooks"]}
        assert events == set(json.loads((REPO / "hooks" / "hooks.json").read_text())["hooks"])
        assert all("${CLAUDE_PLUGIN_ROOT}/scripts/hooks/session_state.py" in h["command"]
                   for h in report["provides"]["hooks"])
