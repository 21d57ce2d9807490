"""``CHANGELOG.md``: the session's commits, appended under a dated heading.

Each entry is ``- <subject> (`<12-char hash>`)``. An entry whose hash is already in the file is
never added again, so running ``changelog`` twice for one session adds nothing the second
time. The ``/handoff`` commits themselves (subject ``handoff: ...``) and merges are left out.
Entries go under ``## YYYY-MM-DD`` (UTC day of the run) at the end of the file; when the last
heading already is that day, the new entries join it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .gitstats import HANDOFF_SUBJECT_PREFIX

NAME = "CHANGELOG.md"
HEADER = "# Changelog\n"
SHORT = 12
_HEADING_RE = re.compile(r"^## (\S.*)$", re.MULTILINE)


@dataclass
class ChangelogUpdate:
    text: str  # the new file content
    added: list = field(default_factory=list)  # [Commit]
    skipped: list = field(default_factory=list)  # [Commit] already present
    heading: str = ""


def entry(commit) -> str:
    subject = " ".join(commit.subject.split()) or "(no subject)"
    return f"- {subject} (`{commit.sha[:SHORT]}`)"


def update(existing: str | None, commits: list, day: str) -> ChangelogUpdate:
    """The file with ``commits`` (newest first, as git lists them) appended; pure."""
    text = existing if existing is not None else HEADER
    heading = f"## {day}"
    result = ChangelogUpdate(text=text, heading=heading)
    for commit in reversed(commits):  # oldest first reads as a story
        if commit.subject.startswith(HANDOFF_SUBJECT_PREFIX):
            continue
        if f"`{commit.sha[:SHORT]}`" in text:
            result.skipped.append(commit)
        else:
            result.added.append(commit)
    if not result.added:
        return result
    headings = _HEADING_RE.findall(text)
    lines = "\n".join(entry(c) for c in result.added) + "\n"
    if not text.endswith("\n"):
        text += "\n"
    if headings and headings[-1].strip() == day:
        result.text = text + lines
    else:
        result.text = text + ("\n" if text.strip() else "") + heading + "\n\n" + lines
    return result


def path_in(root: str) -> str:
    return os.path.join(root, NAME)
