"""The project (the user's repository) every helper and the hook works on: one `Project` value.

Each entry point builds it once: the helper CLI from ``--root`` / ``$CLAUDE_PROJECT_DIR`` / the
working directory (`core/discovery.py` `discover`), the hook from ``$CLAUDE_PROJECT_DIR`` (`Project.at`, which never
raises: a corrupt ``.git`` reads as "not a repository"). Modules take
the value, never a ``root`` string to derive paths from again, so "where is the state dir" and
"which git repository is this" have one answer per run.

Standard library only and no child process (the hook imports it on every tool call, and a
``git`` start is most of ``/resume``'s warm budget): the git directories are read from disk the
way git reads them (``.git`` is a directory, or a file ``gitdir: <path>`` in a worktree or a
submodule; a worktree's git dir holds ``commondir`` naming the shared one).
"""

import os

# HelperError (core/errors.py) is imported where it is raised: the hook never raises it, and
# importing it on every tool call would cost ~0.15 ms (tests/bench/bench_hook.py).
CONFIG_RELPATH = os.path.join(".claude", "handoff.json")
MAX_CONFIG_BYTES = 1 << 20
# The repo, not Notion, is the canonical store; this counter makes that claim falsifiable.
# Used when the project has no .claude/handoff.json (e.g. a plugin install).
DEFAULT_INVARIANTS = {"notion_writes": ["mcp__notion*__*", "mcp__plugin_*notion*__*"]}


class Project:
    """``root``: the work tree's top; ``git_dir``: this work tree's git dir (None outside git);
    ``git_common_dir``: the dir shared by every worktree of the repository (objects, refs,
    hooks; equal to ``git_dir`` in a main checkout); ``state_dir``: where telemetry, caches and
    locks live (never committed)."""

    __slots__ = ("root", "git_dir", "git_common_dir", "state_dir", "_config")

    def __init__(self, root: str, git_dir, git_common_dir, state_dir: str):
        self.root = root
        self.git_dir = git_dir
        self.git_common_dir = git_common_dir
        self.state_dir = state_dir
        self._config = None

    @classmethod
    def at(cls, root: str) -> "Project":
        """The project whose work tree is ``root`` (already resolved)."""
        root = os.path.abspath(root)
        git_dir, common_dir = git_dirs(root)
        return cls(root, git_dir, common_dir, state_dir_for(root, common_dir or ""))

    @property
    def config_path(self) -> str:
        return os.path.join(self.root, CONFIG_RELPATH)

    @property
    def worktree_tag(self) -> str:
        """"" in the main worktree (or outside git); else the linked worktree's name (the
        basename of its git dir, ``.git/worktrees/<name>``, unique in the repository). Per
        worktree files in the shared state dir (a cache keyed to one work tree) carry it."""
        if not self.git_dir or self.git_dir == self.git_common_dir:
            return ""
        return os.path.basename(self.git_dir)

    def per_worktree_name(self, name: str) -> str:
        """``resume-cache.json`` -> ``resume-cache.<worktree>.json`` in a linked worktree."""
        tag = self.worktree_tag
        if not tag:
            return name
        stem, dot, ext = name.rpartition(".")
        return "%s.%s.%s" % (stem, tag, ext) if dot else "%s.%s" % (name, tag)

    def config(self, log=None) -> dict:
        """``.claude/handoff.json``, read once per run (JSON, so the hook needs no YAML); the
        defaults when it is absent or unreadable. ``log(reason)`` hears what was ignored and why:
        the hook sends it to its error log, helpers may print it as a warning."""
        if self._config is None:
            self._config = load_config(self.config_path, log or (lambda reason: None))
        return self._config

    def path(self, *parts: str) -> str:
        """A path inside the work tree."""
        return os.path.join(self.root, *parts)

    def __repr__(self) -> str:
        return "Project(root=%r, git_common_dir=%r, state_dir=%r)" % (self.root, self.git_common_dir, self.state_dir)


def load_config(path: str, log) -> dict:
    """The config at ``path`` with ``invariants`` normalized to ``{name: [glob, ...]}``."""
    from . import fastjson, statefiles

    try:
        config = fastjson.loads(statefiles.read_regular(path, MAX_CONFIG_BYTES).decode("utf-8"))
        if not isinstance(config, dict):
            raise ValueError("top level is not an object")
    except FileNotFoundError:
        return {"invariants": DEFAULT_INVARIANTS}
    except (OSError, ValueError, RecursionError) as exc:
        log("config %s unreadable (%s); using defaults" % (CONFIG_RELPATH, exc))
        return {"invariants": DEFAULT_INVARIANTS}
    invariants = {}
    raw = config.get("invariants", {})
    if isinstance(raw, dict):
        for name, patterns in raw.items():
            if isinstance(patterns, str):
                patterns = [patterns]
            if isinstance(patterns, list) and all(isinstance(p, str) for p in patterns):
                invariants[name] = patterns
            else:
                log("config invariant %r ignored: patterns must be strings" % (name,))
    else:
        log("config 'invariants' ignored: not an object")
    config["invariants"] = invariants
    return config


def _read_small(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        return fh.read(64 * 1024).strip()


def git_dirs(root: str) -> tuple:
    """``(git_dir, git_common_dir)`` for the work tree at ``root``, or ``(None, None)``.

    Reads what git reads: ``.git`` as a directory, else the ``gitdir:`` line of a ``.git`` file
    (relative paths are relative to the work tree), then that dir's ``commondir`` file if any
    (relative to the git dir). ``$GIT_DIR`` / ``$GIT_COMMON_DIR`` win when set, as they do for git.
    """
    env_git_dir = os.environ.get("GIT_DIR")
    if env_git_dir:
        git_dir = os.path.abspath(env_git_dir)
    else:
        dot_git = os.path.join(root, ".git")
        if os.path.isdir(dot_git):
            git_dir = dot_git
        elif os.path.isfile(dot_git):
            try:
                line = _read_small(dot_git)
            except (OSError, ValueError):  # ValueError: a NUL byte in the path it names
                return None, None
            if not line.startswith("gitdir:"):
                return None, None
            git_dir = os.path.normpath(os.path.join(root, line[len("gitdir:"):].strip()))
            if "\0" in git_dir:  # a corrupt .git file: not a repository we can read
                return None, None
            if not os.path.isdir(git_dir):  # dangling (a moved or deleted worktree admin dir): the
                return None, None  # state must not land wherever it points (tests/core/test_hook_hostile.py)
        else:
            return None, None
    env_common = os.environ.get("GIT_COMMON_DIR")
    if env_common:
        return git_dir, os.path.abspath(env_common)
    try:
        common = _read_small(os.path.join(git_dir, "commondir"))
    except (OSError, ValueError):
        return git_dir, git_dir
    if not common or "\0" in common:
        return git_dir, git_dir
    return git_dir, os.path.normpath(os.path.join(git_dir, common))


# ---------------------------------------------------------------------------- the state dir

STATE_DIR_ENV = "HANDOFF_STATE_DIR"
LEGACY_STATE_RELPATH = os.path.join(".claude", "state")
COMMON_STATE_RELPATH = os.path.join("handoff", "state")


def state_dir_for(project_dir: str, git_common_dir=None) -> str:
    """``$HANDOFF_STATE_DIR`` if set and non-empty; else ``<git common dir>/handoff/state`` in a
    git repository (shared by every worktree, never committed, survives ``git clean -fdx``);
    else ``<project>/.claude/state``. ``git_common_dir`` as `project.git_dirs` reads it (the
    hook passes the one it already has; without it, it is read here, still without git)."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return os.path.abspath(override)
    if git_common_dir is None:
        git_common_dir = git_dirs(os.path.abspath(project_dir))[1]
    if git_common_dir:
        return os.path.join(git_common_dir, COMMON_STATE_RELPATH)
    return legacy_state_dir(project_dir)


MIGRATED_MARKER = "MOVED-TO"


def legacy_state_to_migrate(project):
    """``<root>/.claude/state`` when it is not this project's state dir and may hold state to
    move into it (lib/core/state_migration.py); None otherwise. No system call."""
    if not project.git_common_dir or os.environ.get(STATE_DIR_ENV):
        return None
    old = legacy_state_dir(project.root)
    return None if old == project.state_dir else old


def legacy_state_pending(project) -> bool:
    """The hook's per-event check: O exists (as a real dir) and is not marked moved. One
    ``lstat`` when there is no O (fresh installs), two once it is moved."""
    old = legacy_state_to_migrate(project)
    if old is None:
        return False
    try:
        if os.lstat(old).st_mode & 0o170000 != 0o040000:  # S_IFMT, S_IFDIR (no stat import: the hook)
            return False
        os.lstat(os.path.join(old, MIGRATED_MARKER))
        return False
    except FileNotFoundError as exc:
        return exc.filename != old
    except OSError:
        return False


def legacy_state_dir(project_dir: str) -> str:
    """Where state lived before it moved under the git common dir (still used outside git)."""
    return os.path.join(os.path.abspath(project_dir), LEGACY_STATE_RELPATH)
