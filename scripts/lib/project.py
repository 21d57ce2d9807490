"""Finding the project (the user's repository) that helpers work on."""

from __future__ import annotations

import os

from .errors import HelperError


def _git_toplevel_by_walking(start: str) -> str | None:
    """The nearest directory at or above ``start`` holding a ``.git`` entry (a dir, or the file
    a worktree or submodule has): what ``git rev-parse --show-toplevel`` answers, without
    starting git (a process start is most of ``/resume``'s warm budget)."""
    current = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _git_toplevel_by_asking_git() -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise HelperError("git is not installed; pass --root DIR") from None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def find_root(explicit: str | None = None) -> str:
    """``--root``, else ``$CLAUDE_PROJECT_DIR``, else the git top level of the working directory.

    ``$CLAUDE_PROJECT_DIR`` is empty (not unset) in slash-command ``!`` pre-execution, so an
    empty value falls through to git (tests/e2e/FINDINGS.md). With ``GIT_DIR``/``GIT_WORK_TREE``
    set, only git itself knows the answer, so it is asked.
    """
    if explicit:
        if not os.path.isdir(explicit):
            raise HelperError("--root %s: not a directory" % explicit)
        return os.path.abspath(explicit)
    env_dir = os.environ.get("CLAUDE_PROJECT_DIR")
    if env_dir and os.path.isdir(env_dir):
        return os.path.abspath(env_dir)
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        top = _git_toplevel_by_asking_git()
    else:
        top = _git_toplevel_by_walking(os.getcwd())
    if not top:
        raise HelperError("%s is not inside a git repository; pass --root DIR" % os.getcwd())
    return top
