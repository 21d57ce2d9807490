"""Finding the project from a helper's point of view, and reading HEAD from disk.

Split from core/project.py so that the hook, which imports `Project` on every tool call, does
not load what only the helper CLI needs (finding the root from ``--root`` or the working
directory, the ``--no-fail`` stand-in) or what only history-keyed caches need (HEAD's sha).
Standard library only, no git process except when ``GIT_DIR``/``GIT_WORK_TREE`` say only git
knows the answer.
"""

import os

from .project import Project, _read_small


def head_commit_sha(git_dir, common_dir):
    """HEAD's commit read from disk as git keeps it (no process): a detached sha, else the
    branch's loose ref, else its ``packed-refs`` line; None when unborn or unreadable. A cache
    key for answers that depend on history (``whoami``'s initials check, /resume's collisions)."""
    if not git_dir:
        return None
    try:
        head = _read_small(os.path.join(git_dir, "HEAD"))
    except (OSError, ValueError):
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head[4:].strip()
    try:
        return _read_small(os.path.join(common_dir or git_dir, ref)) or None
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(common_dir or git_dir, "packed-refs"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.rstrip("\n").endswith(" " + ref):
                    return line.split(" ", 1)[0]
    except OSError:
        pass
    return None


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
