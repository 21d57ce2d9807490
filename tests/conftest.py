"""Shared fixtures: temp git repos with the bundle installed (project-local)."""

from __future__ import annotations

import sys

import pytest

from hookutil import REPO, init_git, install_bundle

# Unit tests import the bundle's modules as the helpers do: `from lib import ...`.
sys.path.insert(0, str(REPO / "scripts"))


@pytest.fixture
def project(tmp_path):
    """A fresh git repo with the bundle's scripts and .claude/ config copied in."""
    return install_bundle(init_git(tmp_path / "proj"))
