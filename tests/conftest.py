"""Shared fixtures: temp git repos with the bundle installed (project-local)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hookutil import REPO, init_git, install_bundle

# Unit tests import the bundle's modules as the helpers do: `from lib import ...`.
sys.path.insert(0, str(REPO / "scripts"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def project(tmp_path):
    """A fresh git repo with the bundle's scripts and .claude/ config copied in."""
    return install_bundle(init_git(tmp_path / "proj"))
