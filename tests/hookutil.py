"""Running the telemetry hook exactly as Claude Code does, for tests and benchmarks.

The command comes from the bundle's own ``.claude/settings.json`` and runs through ``sh -c``
with ``CLAUDE_PROJECT_DIR`` set and the project as working directory, like the real CLI
(payload samples: tests/fixtures/payloads/*.json, field ``hook_cwd`` and ``env``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAYLOADS = REPO / "tests" / "fixtures" / "payloads"
SETTINGS = REPO / ".claude" / "settings.json"


def registered_command(event: str, tool_name: str | None = None) -> str | None:
    """The hook command ``.claude/settings.json`` registers for ``event`` (and tool), or None."""
    settings = json.loads(SETTINGS.read_text())
    for group in settings["hooks"].get(event, []):
        matcher = group.get("matcher", "*") or "*"
        if tool_name is not None and matcher != "*" and tool_name not in matcher.split("|"):
            continue
        for hook in group["hooks"]:
            if "session_state.py" in hook["command"]:
                return hook["command"]
    return None


def install_bundle(project: Path, memory_on_start: bool = False) -> Path:
    """Copy the bundle's scripts and config into ``project`` (a project-local install).

    ``memory_on_start`` is off unless asked for: the team memory at SessionStart starts a helper
    (tests/memory/ and tests/e2e/test_e2e_memory.py test it), which these temporary projects,
    without the helpers' packages, would only log as missing."""
    shutil.copytree(REPO / "scripts", project / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".claude").mkdir(exist_ok=True)
    shutil.copy(SETTINGS, project / ".claude" / "settings.json")
    config = json.loads((REPO / ".claude" / "handoff.json").read_text())
    config["memory_on_start"] = memory_on_start
    (project / ".claude" / "handoff.json").write_text(json.dumps(config, indent=2) + "\n")
    return project


def init_git(project: Path) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    return project


def hook_env(project: Path, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env["CLAUDE_PROJECT_DIR"] = str(project)
    env["CLAUDECODE"] = "1"
    if extra:
        env.update(extra)
    return env


def run_hook(
    project: Path,
    payload,
    event: str | None = None,
    env_extra: dict | None = None,
    timeout: float = 10,
    command: str | None = None,
) -> subprocess.CompletedProcess:
    """Feed ``payload`` (dict, str or bytes) to the registered command for its event."""
    if isinstance(payload, dict):
        event = event or payload.get("hook_event_name")
        data = json.dumps(payload).encode()
    elif isinstance(payload, str):
        data = payload.encode()
    else:
        data = payload
    if command is None:
        command = registered_command(event or "PostToolUse") or registered_command("PostToolUse")
    return subprocess.run(
        ["sh", "-c", command],
        input=data,
        capture_output=True,
        cwd=project,
        env=hook_env(project, env_extra),
        timeout=timeout,
    )


def state_dir(project: Path) -> Path:
    """Where the hook and the helpers keep ``project``'s state: ``<git common dir>/handoff/state``
    in a git repository (shared by its worktrees), else ``<project>/.claude/state``
    (lib/core/project.state_dir_for, without the ``$HANDOFF_STATE_DIR`` override: the tests'
    environments drop it)."""
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    from lib.core.project import git_dirs

    common = git_dirs(str(project))[1]
    return Path(common) / "handoff" / "state" if common else project / ".claude" / "state"


def read_state(project: Path, session_id: str) -> dict:
    return json.loads((state_dir(project) / ("session-%s.json" % session_id)).read_text())


def error_log(project: Path) -> str:
    path = state_dir(project) / "hook-errors.log"
    return path.read_text() if path.exists() else ""


def sample(name: str) -> dict:
    """A captured payload file: {"event", "stdin", "env", "hook_cwd"}."""
    return json.loads((PAYLOADS / name).read_text())


def payload(event: str, session_id: str = "s1", **fields) -> dict:
    """A payload shaped like the captured ones (tests/fixtures/payloads/bypass-*.json)."""
    base = {
        "session_id": session_id,
        "transcript_path": "/home/dev/.claude/projects/-p/%s.jsonl" % session_id,
        "cwd": "/home/dev/work/demo",
        "hook_event_name": event,
    }
    if event in ("PreToolUse", "PostToolUse", "PostToolUseFailure"):
        base.update(
            {
                "permission_mode": "default",
                "tool_name": "Bash",
                "tool_input": {"command": "echo hi", "description": "Print hi"},
                "tool_use_id": "toolu_%s" % os.urandom(6).hex(),
            }
        )
    if event == "PostToolUse":
        base["tool_response"] = {"stdout": "hi", "stderr": "", "interrupted": False, "isImage": False}
        base["duration_ms"] = 7
    if event == "SessionStart":
        base["source"] = "startup"
    if event == "SessionEnd":
        base["reason"] = "other"
    base.update(fields)
    return base
