"""``/resume`` in the real Claude Code CLI (offline, against tests/e2e/fake_api.py).

A ``!`` pre-exec that the command's ``allowed-tools`` does not permit, or that fails, aborts the
command silently (``num_turns: 0``), so these tests check that the dashboard really reaches the
model, with and without an argument, and that a hostile argument cannot run anything else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.fake_api import FakeAPI, find_claude_bin, message_text, run_cli

from hookutil import REPO, install_bundle
from logtree import NOW, team

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def claude_bin() -> Path:
    path = find_claude_bin()
    if path is None:
        hint = "run `make cli` or set HANDOFF_CLAUDE_BIN"
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail("CI: the real Claude Code CLI is required (%s)" % hint, pytrace=False)
        pytest.skip("Claude Code CLI not available (%s)" % hint)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    install_bundle(root)
    (root / ".claude" / "commands").mkdir()
    shutil.copy(REPO / ".claude" / "commands" / "resume.md", root / ".claude" / "commands" / "resume.md")
    team(root)
    return root


def run(claude_bin: Path, project: Path, tmp_path: Path, prompt: str):
    env = {"HANDOFF_PYTHON": sys.executable, "HANDOFF_OPERATOR": "RT", "HANDOFF_NOW": NOW}
    with FakeAPI() as api:
        cli = run_cli(
            claude_bin, api, project, prompt, ["DONE"], home=tmp_path / "home", tmpdir=tmp_path / "tmp",
            extra_args=["--allowedTools", "Read"], env_extra=env, timeout=90,
        )
    assert not cli.timed_out and isinstance(cli.result, dict), cli.stderr[-2000:]
    main = [r for r in cli.requests if r.kind == "main"]
    shown = message_text(main[0].last_message("user")) if main else ""
    return cli.result, shown


def test_dashboard_reaches_the_model(claude_bin: Path, project: Path, tmp_path: Path) -> None:
    result, shown = run(claude_bin, project, tmp_path, "/resume")
    assert result["num_turns"] == 1, result
    assert "<command-name>/resume</command-name>" in shown
    assert "/resume \u2014 RT" in shown
    assert "Continue with P3: write the benchmark." in shown
    assert 'Peer activity \u2014 auth: last seen AB-261121-01 ("Token refresh", 2h ago)' in shown
    assert "Greet the operator" in shown


def test_argument_names_another_operator(claude_bin: Path, project: Path, tmp_path: Path) -> None:
    result, shown = run(claude_bin, project, tmp_path, "/resume ab")
    assert result["num_turns"] == 1, result
    assert "/resume \u2014 AB" in shown and 'Last session: AB-261121-01 "Token refresh"' in shown


def test_bad_argument_is_shown_not_fatal(claude_bin: Path, project: Path, tmp_path: Path) -> None:
    result, shown = run(claude_bin, project, tmp_path, "/resume who knows")
    assert result["num_turns"] == 1, result
    assert "handoff: /resume argument 'who knows': expected operator initials" in shown


@pytest.mark.parametrize(
    "argument",
    ["x'; touch PWNED; echo '", "$(touch PWNED)", "`touch PWNED`", "x' && touch PWNED && echo '"],
)
def test_hostile_argument_runs_nothing(claude_bin: Path, project: Path, tmp_path: Path, argument: str) -> None:
    result, shown = run(claude_bin, project, tmp_path, "/resume " + argument)
    assert not (project / "PWNED").exists()
    # either the CLI refused the pre-exec (the model is never called) or the text stayed an argument
    assert result["num_turns"] == 0 or "expected operator initials" in shown, (result, shown[-500:])
