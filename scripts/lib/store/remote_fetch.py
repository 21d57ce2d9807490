"""Before allocating an id, bring the remote's logs in: a short, quiet, bounded ``git fetch``.

Two clones of one operator allocate on the same day: without the remote's refs, each sees only
its own logs. So ``write-session`` (creating a log) fetches first, and the remote-tracking refs
count in store/id_registry.py. The fetch must never hold up or break ``/handoff``:

- bounded: ``$HANDOFF_FETCH_TIMEOUT`` seconds (default `DEFAULT_TIMEOUT_S`; ``0`` turns it off);
  past it, git's whole process group is killed (store/gitproc.py) and allocation goes on;
- quiet: no output; an unreachable remote is one warning line, never an error;
- never prompts (``GIT_TERMINAL_PROMPT=0``, ssh in batch mode);
- skipped without a remote (nothing to ask) or in a repository without commits.

Which remote: the upstream of the current branch (``branch.<b>.remote``), else ``origin``, else
the only one. Detached HEAD: ``origin`` or the only one.
"""

from __future__ import annotations

import os

from . import gitproc

TIMEOUT_ENV = "HANDOFF_FETCH_TIMEOUT"
DEFAULT_TIMEOUT_S = 4.0


def timeout_s() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        value = DEFAULT_TIMEOUT_S
    return max(0.0, min(value, 60.0))


def current_branch(git_dir) -> str | None:
    """The checked-out branch from ``<git dir>/HEAD`` (no git process), None when detached."""
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as f:
            head = f.read(4096).strip()
    except (OSError, TypeError, UnicodeDecodeError):
        return None
    return head[len("ref: refs/heads/"):] if head.startswith("ref: refs/heads/") else None


def _config_from_file(common_dir: str):
    """``(remotes, {branch: remote})`` from ``<common>/config``, or None when git must be asked
    (the file has ``[include]``s, or cannot be read). Saves a process on every ``/handoff``."""
    import re

    try:
        with open(os.path.join(common_dir, "config"), encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 20)
    except OSError:
        return None
    if re.search(r"^\s*\[\s*include", text, re.MULTILINE | re.IGNORECASE):
        return None
    remotes, upstream, section = [], {}, None
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r'^\[\s*(remote|branch)\s+"((?:[^"\\]|\\.)*)"\s*\]', line, re.IGNORECASE)
        if m:
            section = (m.group(1).lower(), m.group(2))
            continue
        if line.startswith("["):
            section = None
            continue
        key, _, value = line.partition("=")
        key = key.strip().lower()
        if section and section[0] == "remote" and key == "url" and section[1] not in remotes:
            remotes.append(section[1])
        elif section and section[0] == "branch" and key == "remote":
            upstream[section[1]] = value.split("#")[0].split(";")[0].strip().strip('"')
    return remotes, upstream


def _config_from_git(root: str):
    out = gitproc.run(root, ["config", "--get-regexp", r"^(remote\..*\.url|branch\..*\.remote)$"],
                      check=False).stdout.decode("utf-8", "replace")
    remotes, upstream = [], {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if key.startswith("remote.") and key.endswith(".url"):
            remotes.append(key[len("remote."):-len(".url")])
        elif key.startswith("branch.") and key.endswith(".remote"):
            upstream[key[len("branch."):-len(".remote")]] = value
    return remotes, upstream


def choose_remote(project) -> str | None:
    found = _config_from_file(project.git_common_dir) if project.git_common_dir else None
    remotes, upstream = found if found is not None else _config_from_git(project.root)
    if not remotes:
        return None
    branch = current_branch(project.git_dir)
    if branch and upstream.get(branch) in remotes:
        return upstream[branch]
    if "origin" in remotes:
        return "origin"
    return remotes[0] if len(remotes) == 1 else None


class Fetcher:
    """`fetch()` -> None, or one warning line when the remote could not be asked in time."""

    def __init__(self, project, timeout: float | None = None):
        self.project = project
        self.timeout = timeout_s() if timeout is None else timeout
        self.outcome = "not run"

    def fetch(self) -> str | None:
        if not self.project.git_common_dir or self.timeout <= 0:
            self.outcome = "skipped: off"
            return None
        remote = choose_remote(self.project)
        if remote is None:
            self.outcome = "skipped: no remote"
            return None
        args = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-auto-gc", remote]
        try:
            proc = gitproc.run(self.project.root, args, timeout=self.timeout, check=False)
        except gitproc.GitTimeout:
            self.outcome = "timeout"
            return ("fetch %s: no answer within %.0f s; ids of other clones not checked (offline?)"
                    % (remote, self.timeout))
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            self.outcome = "failed"
            return "fetch %s failed (%s); ids of other clones not checked" % (
                remote, (lines[-1] if lines else "exit %d" % proc.returncode)[:200])
        self.outcome = "fetched %s" % remote
        return None
