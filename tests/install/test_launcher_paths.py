"""scripts/handoff finds its bundle however it is spelled: the bundle's .venv python runs the
bundle's handoff_helpers.py (imported from the bundle's scripts directory). (The launcher
skips its `cd && pwd` subshell for a plain absolute path: a fork is ~0.7 ms of a warm
`search`; every other spelling still takes it.)"""

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
    # as the launcher runs it: python -c CODE <scripts dir> <command> ... (CODE imports
    # handoff_helpers from that directory)
    venv_python.write_text('#!/bin/sh\necho "python=$0"\necho "helpers=$3/handoff_helpers.py"\n'
                           'echo "venv=$HANDOFF_VENV"\necho "command=$4"\n')
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
    assert lines["command"] == "whoami"


def test_a_module_in_the_current_directory_never_shadows_ours_or_the_standard_librarys(tmp_path: Path) -> None:
    """The launcher runs ``python -c``, which puts the current directory first on sys.path; it
    puts the scripts directory there instead. A project with a json.py, sqlite3.py or its own
    handoff_helpers.py at its root (the usual cwd) still gets ours."""
    import json
    import sys

    root = tmp_path / "proj"
    (root / "docs" / "sessions").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name in ("json.py", "sqlite3.py", "handoff_helpers.py", "lib.py"):
        (root / name).write_text('raise SystemExit("shadowed by the project\'s %s")\n' % name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "CLAUDE"))}
    env["HANDOFF_PYTHON"] = sys.executable
    out = subprocess.run(["sh", str(LAUNCHER), "search", "--json", "anything"], cwd=root, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "shadowed" not in out.stderr, out.stderr
    assert json.loads(out.stdout)["hits"] == []
