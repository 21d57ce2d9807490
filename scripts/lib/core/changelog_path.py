"""Which file is handoff's commit log (the one rule every reader and writer asks).

handoff only ever writes a file it owns: a project's own ``CHANGELOG.md`` (Keep a Changelog,
release notes, an empty placeholder) is the user's and is never opened for writing, never named
by our merge attributes (git's ``union`` driver corrupts a curated changelog), never rewritten
by ``renumber``. The rule, first match wins:

1. ``"changelog": "<path>"`` in ``.claude/handoff.json`` (relative to the project root);
2. ``CHANGELOG.md`` when it is already ours (`is_ours`: a repository that used handoff before
   this rule keeps its file);
3. ``docs/sessions/CHANGELOG.md`` (our own directory, so a user's ``CHANGELOG.md`` can come and
   go without ever meeting ours).

Why a file of our own and not a delimited block inside the user's file: the commit log merges by
construction only as a whole file under ``union`` (store/attributes.py); a block inside a file
that must keep git's normal text merge cannot get that, so two clones' entries would conflict.

``changelog`` refuses to write an existing file at the chosen path that is not ours (a configured
path, or a file of the user's under ``docs/sessions/``). Standard library only: the installer
and the merge driver run it on a bare ``python3``.
"""

from __future__ import annotations

import os
import re

CONFIG_KEY = "changelog"
LEGACY = "CHANGELOG.md"
OWN = "docs/sessions/CHANGELOG.md"
# The first words of logs/changelog.py's MARKER line (v2); logs/changelog.py imports it.
MARKER_PREFIX = "<!-- handoff changelog v2"
MAX_BYTES = 64 << 20
# A path we can name in .gitattributes without quoting and that cannot escape the work tree.
_SAFE_PATH_RE = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\Z")
# v1 (no marker): `# Changelog`, `## <day>` headings over `- <subject> (`<hash>`)` entries.
_V1_DAY_HEADING_RE = re.compile(r"##[ \t]+[0-9]{4}-[0-9]{2}-[0-9]{2}[ \t]*\Z")
_V1_ENTRY_RE = re.compile(r"- .*\(`[0-9a-f]{7,64}`\)[ \t]*\Z")


def is_ours(text: str) -> bool:
    """Whether ``text`` is handoff's commit log: it has the v2 marker line, or it is a v1 file
    (first line ``# Changelog``, every other heading a ``## YYYY-MM-DD`` day, at least one
    hashed entry under one). An empty file, Keep a Changelog (``## [Unreleased]``) or release
    notes (``## v1.2``) are not."""
    lines = text.splitlines()
    if any(line.startswith(MARKER_PREFIX) for line in lines):
        return True
    body = [line.rstrip() for line in lines if line.strip()]
    if not body or body[0] != "# Changelog":
        return False
    in_day, hashed = False, False
    for line in body[1:]:
        if line.startswith("#"):
            if not _V1_DAY_HEADING_RE.match(line):
                return False
            in_day = True
        elif in_day and _V1_ENTRY_RE.match(line):
            hashed = True
    return hashed


def read_text(path: str) -> str | None:
    """The file's text (undecodable bytes replaced), None when there is no file; never follows
    a link or blocks on a FIFO (statefiles.read_regular). Raises OSError/ValueError otherwise."""
    from . import statefiles

    try:
        return statefiles.read_regular(path, MAX_BYTES).decode("utf-8", "replace")
    except FileNotFoundError:
        return None


def _is_ours_file(path: str) -> bool:
    try:
        text = read_text(path)
    except (OSError, ValueError):
        return False
    return text is not None and is_ours(text)


def configured(config: dict) -> str | None:
    """The ``changelog`` path of the config, checked; None when it does not set one."""
    from .errors import HelperError

    value = config.get(CONFIG_KEY)
    if value is None:
        return None
    norm = os.path.normpath(value).replace(os.sep, "/") if isinstance(value, str) and value else ""
    if not _SAFE_PATH_RE.match(norm) or norm.split("/")[0] in ("..", ".git") or not norm.endswith(".md"):
        raise HelperError(
            ".claude/handoff.json: %s: %r must be a relative path to a .md file inside the project "
            "(letters, digits, '.', '_', '-' and '/')" % (CONFIG_KEY, value)
        )
    return norm


def relpath(root: str, config: dict) -> str:
    """The commit log's path relative to ``root`` ("/"-separated), by the rule above."""
    chosen = configured(config)
    if chosen is not None:
        return chosen
    if _is_ours_file(os.path.join(root, LEGACY)):
        return LEGACY
    return OWN


def foreign_legacy(root: str) -> bool:
    """A ``CHANGELOG.md`` exists that is the user's (what the installer tells the user about)."""
    return os.path.lexists(os.path.join(root, LEGACY)) and not _is_ours_file(os.path.join(root, LEGACY))
