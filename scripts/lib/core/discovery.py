"""Finding the project from a helper's point of view (and, re-exported from core/gitrefs.py, HEAD's sha).

Split from core/project.py so that the hook, which imports `Project` on every tool call, does
not load what only the helper CLI needs (finding the root from ``--root`` or the working
directory, the ``--no-fail`` stand-in) or what only history-keyed caches need (HEAD's sha).
Standard library only, no git process except when ``GIT_DIR``/``GIT_WORK_TREE`` say only git
knows the answer.
"""

import os

from .gitrefs import head_commit_sha  # noqa: F401  (re-exported: the history-keyed caches' key)
from .project import Project


def _git_toplevel_by_walking(start: str):
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


def _git_toplevel_by_asking_git():
    import subprocess

    from .errors import HelperError

    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise HelperError("git is not installed; pass --root DIR") from None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def find_root(explicit=None) -> str:
    """``--root``, else ``$CLAUDE_PROJECT_DIR``, else the git top level of the working directory.

    ``$CLAUDE_PROJECT_DIR`` is empty (not unset) in slash-command ``!`` pre-execution, so an
    empty value falls through to git (tests/e2e/FINDINGS.md). With ``GIT_DIR``/``GIT_WORK_TREE``
    set, only git itself knows the answer, so it is asked.
    """
    from .errors import HelperError

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


def discover(explicit_root=None) -> Project:
    """The helper CLI's project: `find_root`, then `Project.at`."""
    return Project.at(find_root(explicit_root))


class Unavailable:
    """Stands in for a `Project` that could not be found, for commands run with ``--no-fail``.

    Those commands are pre-executed by slash commands, where a non-zero exit aborts the whole
    command (tests/e2e/FINDINGS.md); each reports a failure in its own output format. Touching
    any attribute raises the original error inside the command, where that format is chosen.
    """

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error

    def __getattr__(self, name):
        raise self.error
