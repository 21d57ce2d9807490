"""SessionStart context (``"resume_on_start": true``), through the real hook command.

The command registered in .claude/settings.json runs with ``sh -c`` in a temp git repo holding a
copy of the bundle's scripts/ (tests/hookutil.py), a SessionStart payload on stdin, as Claude
Code runs it. ``PYTHONPROFILEIMPORTTIME`` (same as ``-X importtime``; honoured under ``-S``)
makes the hook list every module it imports on stderr, so the tests can see that yaml is never
imported by the hook, and that with the option off not even the helper module is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hookutil
from hookutil import error_log, install_bundle, payload, state_dir
from logtree import NOW, team, write_log, write_ws


def run_hook(project: Path, data: dict, env_extra: dict, timeout: float = 10) -> subprocess.CompletedProcess:
    """The registered SessionStart command (hookutil.run_hook), output decoded."""
    proc = hookutil.run_hook(project, data, env_extra=env_extra, timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def _project(tmp_path: Path, on: bool = True) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    install_bundle(project)
    config = json.loads((project / ".claude" / "handoff.json").read_text())
    config["resume_on_start"] = on
    (project / ".claude" / "handoff.json").write_text(json.dumps(config))
    team(project)
    return project


def _env(**extra) -> dict:
    env = {"HANDOFF_PYTHON": sys.executable, "HANDOFF_OPERATOR": "RT", "HANDOFF_NOW": NOW,
           "PYTHONPROFILEIMPORTTIME": "1"}
    env.update(extra)
    return env


def _imported(stderr: str) -> set:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize("source", ["startup", "clear"])
def test_context_added_on_startup_and_clear(tmp_path: Path, source: str) -> None:
    project = _project(tmp_path)
    proc = run_hook(project, payload("SessionStart", source=source), env_extra=_env())
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    context = out["hookSpecificOutput"]["additionalContext"]
    lines = context.splitlines()
    assert 0 < len(lines) <= 40
    assert lines[0] == 'handoff /resume (RT): last session RT-261120-01 "Title of RT-261120-01" (26h ago).'
    assert "  Continue with P3: write the benchmark." in lines
    assert "  resume-dash (active, 2/3): P3 bench" in lines
    imported = _imported(proc.stderr)
    assert "lib.core.fastjson" in imported and "lib.core.session_start_context" in imported  # the probe works
    assert not any(name == "yaml" or name.startswith("yaml.") for name in imported)
    assert error_log(project) == ""
    # the session's telemetry was recorded as usual
    assert (state_dir(project) / "session-s1.json").exists()


def test_context_is_capped_at_40_lines(tmp_path: Path) -> None:
    project = _project(tmp_path)
    write_log(project, "RT-261121-01", resume_prompt="\n".join("step %d" % i for i in range(200)))
    for i in range(50):
        write_ws(project, "w-%02d" % i, "RT")
    proc = run_hook(project, payload("SessionStart"), env_extra=_env())
    context = json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]
    assert len(context.splitlines()) <= 40 and "step 0" in context


@pytest.mark.parametrize("on, source", [(False, "startup"), (False, "clear"), (True, "resume"), (True, "compact")])
def test_no_context_and_no_yaml(tmp_path: Path, on: bool, source: str) -> None:
    project = _project(tmp_path, on=on)
    proc = run_hook(project, payload("SessionStart", source=source), env_extra=_env())
    assert proc.returncode == 0
    assert proc.stdout == ""
    imported = _imported(proc.stderr)
    assert "lib.core.fastjson" in imported  # the probe works
    assert not any(name == "yaml" or name.startswith("yaml.") for name in imported)
    assert "lib.core.session_start_context" not in imported and "subprocess" not in imported
    assert error_log(project) == ""


def test_other_events_never_add_context(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = run_hook(project, payload("PostToolUse"), env_extra=_env())
    assert proc.returncode == 0 and proc.stdout == ""
    assert "lib.core.session_start_context" not in _imported(proc.stderr)


def test_failure_is_logged_not_shown(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = run_hook(project, payload("SessionStart"), env_extra=_env(HANDOFF_PYTHON="/bin/false"))
    assert proc.returncode == 0 and proc.stdout == ""
    log = error_log(project)
    assert "resume --compact --no-memory exited 1" in log and log.count("\n") == 1


def test_helper_error_is_logged_with_its_message(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = run_hook(project, payload("SessionStart"), env_extra=_env(HANDOFF_OPERATOR="not-initials"))
    assert proc.returncode == 0 and proc.stdout == ""
    assert "HANDOFF_OPERATOR" in error_log(project)


def test_slow_helper_is_cut_off_within_the_hook_budget(tmp_path: Path) -> None:
    project = _project(tmp_path)
    slow = tmp_path / "slow-python"
    slow.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")  # a grandchild holds the pipes too
    slow.chmod(0o755)
    t0 = time.monotonic()
    proc = run_hook(project, payload("SessionStart"), env_extra=_env(HANDOFF_PYTHON=str(slow)), timeout=20)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0 and proc.stdout == ""
    assert elapsed < 5, elapsed  # the hook's timeout in settings.json
    assert "took over 3.0 s" in error_log(project)


def test_compact_subcommand_directly(tmp_path: Path) -> None:
    """What the hook runs: the launcher next to scripts/lib, from the project dir."""
    project = _project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env.update(_env(CLAUDE_PROJECT_DIR=str(project)))
    proc = subprocess.run(["sh", str(project / "scripts" / "handoff"), "resume", "--compact"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.startswith("handoff /resume (RT): last session RT-261120-01")


def test_plugin_install_uses_the_plugin_venv(tmp_path: Path) -> None:
    """With $CLAUDE_PLUGIN_DATA/venv in place the launcher is given --data, as the commands do."""
    project = _project(tmp_path)
    data = tmp_path / "plugin-data"
    (data / "venv" / "bin").mkdir(parents=True)
    marker = tmp_path / "venv-python-ran"
    python = data / "venv" / "bin" / "python"
    python.write_text('#!/bin/sh\ntouch "%s"\nexec "%s" "$@"\n' % (marker, sys.executable))
    python.chmod(0o755)
    env = _env(CLAUDE_PLUGIN_DATA=str(data))
    del env["HANDOFF_PYTHON"]
    proc = run_hook(project, payload("SessionStart"), env_extra=env)
    assert proc.returncode == 0, error_log(project)
    assert "RT-261120-01" in json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]
    assert marker.exists()
