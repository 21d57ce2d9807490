"""The ``handoff`` merge driver in a repository's own git config (never committed).

What `configure` sets, in the repository's config file (shared by all its worktrees):

    [merge "handoff"]
        name = handoff: union, then canonical order (scripts/handoff merge-driver)
        driver = python3 scripts/handoff_helpers.py merge-driver %O %A %B %P || git merge-file --union %A %O %B
        recursive = union

and the `attributes.driver_lines` in ``<git common dir>/info/attributes``. The driver command
ends in ``|| git merge-file --union``: if the helpers cannot run in some checkout (an old commit
without them during a rebase, a plugin directory that moved, no python3), the merge still gets
exactly what the committed ``union`` attribute gives and never a conflict. The merge driver
needs the standard library only, so it runs on ``python3`` without the helpers' venv.

Run by the installer (which records what it set, for uninstall) and, idempotently, by
``/handoff`` (``scripts/handoff merge-driver --configure``: plugin installs and clones that never
ran the installer). Standard library only (the installer imports it before any venv exists).
"""

from __future__ import annotations

import os
import shlex
import subprocess

from . import attributes

SECTION = "merge.handoff"
NAME = "handoff: union, then canonical order (scripts/handoff merge-driver)"
FALLBACK = "git merge-file --union %A %O %B"


class SetupError(Exception):
    """One line for the user."""


def _env() -> dict:
    env = dict(os.environ)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR"):
        env.pop(name, None)
    env["LC_ALL"] = "C"
    return env


def git(root: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, env=_env(), timeout=60)
    except FileNotFoundError:
        raise SetupError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise SetupError("git %s timed out in %s" % (args[0], root)) from None
    if check and out.returncode != 0:
        err = out.stderr.strip().splitlines()
        raise SetupError("git %s failed in %s: %s" % (args[0], root, err[-1] if err else out.returncode))
    return out


def common_dir(root: str) -> str | None:
    """The repository's git common dir (absolute), or None when ``root`` is not in a work tree."""
    out = git(root, "rev-parse", "--path-format=absolute", "--git-common-dir", check=False)
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return out.stdout.strip()


def driver_command(root: str, helpers: str) -> str:
    """The driver's command line: the helpers by a path relative to the work tree when they are
    inside it (a project-local install: each worktree runs its own checkout's copy; git runs the
    driver at the top of the work tree), else by their absolute path (the plugin)."""
    helpers = os.path.abspath(helpers)
    rel = os.path.relpath(helpers, os.path.abspath(root))
    path = rel if not rel.startswith("..") else helpers
    return "python3 %s merge-driver %%O %%A %%B %%P || %s" % (shlex.quote(path), FALLBACK)


def wanted_config(command: str) -> dict:
    return {SECTION + ".name": NAME, SECTION + ".driver": command, SECTION + ".recursive": "union"}


def _get(root: str, key: str) -> str | None:
    out = git(root, "config", "--local", "--get", key, check=False)
    return out.stdout.rstrip("\n") if out.returncode == 0 else None


def _info_attributes(common: str) -> str:
    return os.path.join(common, "info", "attributes")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.handoff-tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    os.replace(tmp, path)


def _ours_not_wanted(text: str, wanted: list) -> list:
    """Lines naming our driver (``<path> merge=handoff``: no one else names it) that ``wanted``
    does not hold: a path that is no longer ours (a commit log moved off a user's file)."""
    return [line for line in text.splitlines() if line.endswith(" merge=handoff") and line not in wanted]


def configure(root: str, command: str, changelog: str) -> dict:
    """Set the driver (config keys and info/attributes lines for ``attributes.paths(changelog)``)
    where they differ, and take out our lines naming any other path; idempotent.

    Returns the record `unconfigure` needs: ``{"config": {key: previous value or None},
    "attributes": add_lines record, "file_created": bool}``, plus ``removed`` (our lines taken
    out) and ``changed`` (whether anything was written)."""
    common = common_dir(root)
    if common is None:
        raise SetupError("%s: not a git work tree" % root)
    record = {"config": {}, "attributes": {"lines": [], "added_newline": False}, "file_created": False}
    for key, value in wanted_config(command).items():
        current = _get(root, key)
        if current != value:
            git(root, "config", "--local", key, value)
            record["config"][key] = current
    path = _info_attributes(common)
    text = _read(path)
    wanted = attributes.driver_lines(changelog)
    removed = _ours_not_wanted(text or "", wanted)
    if removed:
        text = attributes.remove_lines(text, {"lines": removed})
    new, added = attributes.add_lines(text, wanted)
    if added["lines"] or removed:
        _write(path, new)
    if added["lines"]:
        record["attributes"] = added
        record["file_created"] = text is None
    record["removed"] = removed
    record["changed"] = bool(record["config"] or added["lines"] or removed)
    return record


def unconfigure(root: str, record: dict) -> None:
    """Undo `configure`: keys it set go back to their previous value (or away), the lines it
    added to info/attributes are removed. A key the user changed since is left alone."""
    common = common_dir(root)
    if common is None:
        return
    command = _get(root, SECTION + ".driver")
    for key, previous in (record.get("config") or {}).items():
        ours = wanted_config(command or "").get(key)
        if key != SECTION + ".driver" and _get(root, key) != ours:
            continue
        if previous is None:
            git(root, "config", "--local", "--unset", key, check=False)
        else:
            git(root, "config", "--local", key, previous)
    if _get(root, SECTION + ".name") is None and _get(root, SECTION + ".driver") is None:
        git(root, "config", "--local", "--remove-section", SECTION, check=False)
    path = _info_attributes(common)
    text = _read(path)
    if text is not None and (record.get("attributes") or {}).get("lines"):
        new = attributes.remove_lines(text, record["attributes"])
        if record.get("file_created") and not new.strip():
            os.unlink(path)
        elif new != text:
            _write(path, new)


def status(root: str, command: str, changelog: str) -> str:
    """``"configured"`` or ``"missing"``: whether `configure` would change nothing."""
    common = common_dir(root)
    if common is None:
        return "missing"
    if any(_get(root, k) != v for k, v in wanted_config(command).items()):
        return "missing"
    text = _read(_info_attributes(common)) or ""
    wanted = attributes.driver_lines(changelog)
    if _ours_not_wanted(text, wanted) or attributes.add_lines(text, wanted)[1]["lines"]:
        return "missing"
    return "configured"
