"""Shared helpers for the usage tests: the fixtures, ccusage, and running our reader on them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hookutil import REPO

FIXTURES = REPO / "tests" / "fixtures" / "usage"
CCUSAGE = REPO / ".tools" / "ccusage" / "node_modules" / ".bin" / "ccusage"
TOKENS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
CCUSAGE_TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def ccusage_bin() -> Path:
    """The pinned ccusage; missing: FAIL under CI=true (`make test` installs it), else skip."""
    if not (CCUSAGE.exists() and os.access(CCUSAGE, os.X_OK)):
        msg = f"ccusage not installed at {CCUSAGE} (run `make ccusage`)"
        if in_ci():
            pytest.fail("CI: " + msg, pytrace=False)
        pytest.skip(msg)
    return CCUSAGE


def ccusage_sessions(config_dir: Path, *extra: str) -> dict:
    """``ccusage session --json --offline`` on ``config_dir``: {session id: row}."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["CLAUDE_CONFIG_DIR"] = str(config_dir)
    out = subprocess.run(
        [str(ccusage_bin()), "session", "--json", "--offline", *extra],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return {row["period"]: row for row in json.loads(out.stdout)["session"]}


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/usage/<name> (a CLI config dir: projects/<slug>/...)."""
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def main_transcript(config_dir: Path, session_id: str) -> Path:
    (path,) = config_dir.glob(f"projects/*/{session_id}.jsonl")
    return path


def last_cost_state(path: Path) -> dict | None:
    found = None
    for line in path.read_text().splitlines():
        if '"type":"cost-state"' in line:
            found = json.loads(line)
    return found
