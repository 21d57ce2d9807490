"""Fixtures for end-to-end tests that drive the real Claude Code CLI against ``fake_api``.

- ``claude_bin``: path of the pinned CLI (``<repo>/.tools/claude/node_modules/.bin/claude`` or
  ``$HANDOFF_CLAUDE_BIN``). Missing: the test FAILS when ``CI=true``, else it is skipped.
- ``fake_api``: a started ``FakeAPI`` (stopped after the test).
- ``run_claude``: ``run_claude(project_dir, prompt, turns, extra_args=(), env_extra=None,
  timeout=60, subagents=None) -> (result, requests, proc)``. One HOME per test, so a second call
  with ``extra_args=["--continue"]`` continues the first session.
- ``git_project``: a fresh temp git repo (one commit) to run the CLI in.

Every test under tests/e2e/ is marked ``e2e``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .fake_api import CliRun, FakeAPI, Recorded, Turn, find_claude_bin, run_cli
from .probe_cli import make_project

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _missing(msg: str) -> None:
    hint = " (run `make cli` or `bash tests/e2e/install_cli.sh`, or set HANDOFF_CLAUDE_BIN)"
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"CI: the real Claude Code CLI is required for e2e tests: {msg}{hint}", pytrace=False)
    pytest.skip(f"Claude Code CLI not available: {msg}{hint}")


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    path = find_claude_bin()
    if path is None:
        where = os.environ.get("HANDOFF_CLAUDE_BIN") or "<repo>/.tools/claude/node_modules/.bin/claude"
        _missing(f"{where} not found")
    assert path is not None
    try:
        out = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _missing(f"{path} --version failed: {exc!r}")
    if out.returncode != 0:
        _missing(f"{path} --version exited {out.returncode}: {out.stderr.strip()[-500:]}")
    return path


@pytest.fixture
def fake_api() -> Iterable[FakeAPI]:
    api = FakeAPI().start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def git_project(tmp_path: Path) -> Path:
    """A fresh git repo with one commit and no .claude/ settings."""
    return make_project(tmp_path / "project")


class ClaudeRunner:
    """Callable fixture object: runs ``claude -p`` against the test's ``fake_api``.

    ``home`` and ``tmpdir`` stay the same for every call in one test (``--continue`` works);
    ``runs`` keeps every ``CliRun`` (argv, stdout, stderr, result, requests).
    """

    def __init__(self, claude_bin: Path, api: FakeAPI, base: Path) -> None:
        self.claude_bin = claude_bin
        self.api = api
        self.home = base / "home"
        self.tmpdir = base / "tmp"
        self.runs: list[CliRun] = []

    def __call__(
        self,
        project_dir: Path | str,
        prompt: str,
        turns: Iterable[Turn],
        extra_args: Sequence[str] = (),
        env_extra: Mapping[str, str] | None = None,
        timeout: float = 60,
        subagents: Mapping[str, Iterable[Turn]] | None = None,
        expect_json: bool = True,
    ) -> tuple[Any, list[Recorded], subprocess.CompletedProcess[str]]:
        run = run_cli(
            self.claude_bin,
            self.api,
            project_dir,
            prompt,
            turns,
            home=self.home,
            tmpdir=self.tmpdir,
            extra_args=extra_args,
            env_extra=env_extra,
            timeout=timeout,
            subagents=subagents,
        )
        self.runs.append(run)
        if run.timed_out:
            pytest.fail(
                f"claude -p did not finish within {timeout}s and was killed.\n"
                f"argv: {run.argv}\nAPI requests seen: {len(run.requests)}\n"
                f"stdout tail:\n{run.stdout[-2000:]}\nstderr tail:\n{run.stderr[-2000:]}",
                pytrace=False,
            )
        if expect_json and not isinstance(run.result, dict):
            pytest.fail(
                f"claude -p printed no JSON result (exit {run.returncode}).\nargv: {run.argv}\n"
                f"stdout tail:\n{run.stdout[-2000:]}\nstderr tail:\n{run.stderr[-2000:]}",
                pytrace=False,
            )
        proc = subprocess.CompletedProcess(run.argv, run.returncode or 0, run.stdout, run.stderr)
        return run.result, run.requests, proc


@pytest.fixture
def run_claude(claude_bin: Path, fake_api: FakeAPI, tmp_path: Path) -> ClaudeRunner:
    return ClaudeRunner(claude_bin, fake_api, tmp_path / "claude-run")
