"""scripts/handoff finds its bundle however it is spelled: the bundle's .venv python runs the
bundle's handoff_helpers.py. (The launcher skips its `cd && pwd` subshell for a plain
absolute path: a fork is ~0.7 ms of a warm `search`; every other spelling still takes it.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[2] / "scripts" / "handoff"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "b"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(LAUNCHER, root / "scripts" / "handoff")
    venv_python = root / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text('#!/bin/sh\necho "python=$0"\necho "helpers=$1"\necho "venv=$HANDOFF_VENV"\n')
    venv_python.chmod(0o755)
    return root


@pytest.mark.parametrize("spelling", [
    "{b}/scripts/handoff", "{b}/scripts//handoff", "{b}//scripts/handoff", "{b}/scripts/./handoff",
    "{b}/./scripts/handoff", "{b}/scripts/../scripts/handoff", "scripts/handoff", "./scripts/handoff",
    "../b/scripts/handoff",
])
def test_every_spelling_of_the_launcher_runs_the_bundles_venv(bundle, spelling) -> None:
    path = spelling.format(b=bundle)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    out = subprocess.run(["sh", path, "whoami"], cwd=bundle, env=env, capture_output=True, text=True, check=True)
    lines = dict(line.split("=", 1) for line in out.stdout.splitlines())
    assert os.path.realpath(lines["python"]) == str((bundle / ".venv" / "bin" / "python").resolve()), out.stdout
    assert os.path.realpath(lines["helpers"]) == str((bundle / "scripts" / "handoff_helpers.py").resolve())
    assert os.path.realpath(lines["venv"]) == str((bundle / ".venv").resolve())
