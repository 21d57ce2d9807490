"""Finding the project (the user's repository) that helpers work on."""

from __future__ import annotations

import os
import subprocess

from .errors import HelperError


def find_root(explicit: str | None = None) -> str:
    """``--root``, else ``$CLAUDE_PROJECT_DIR``, else the git top level of the working directory.

    ``$CLAUDE_PROJECT_DIR`` is empty (not unset) in slash-command ``!`` pre-execution, so an
    empty value falls through to git (tests/e2e/FINDINGS.md).
    """
    if explicit:
        if not os.path.isdir(explicit):
            raise HelperError("--root %s: not a directory" % explicit)
        return os.path.abspath(explicit)
    env_dir = os.environ.get("CLAUDE_PROJECT_DIR")
    if env_dir and os.path.isdir(env_dir):
        return os.path.abspath(env_dir)
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise HelperError("git is not installed; pass --root DIR") from None
    if out.returncode != 0 or not out.stdout.strip():
        raise HelperError("%s is not inside a git repository; pass --root DIR" % os.getcwd())
    return out.stdout.strip()
