"""``backfill``: give legacy ``docs/sessions/CONV-*.md`` logs the ``operator:`` they lack.

One line, ``operator: XX``, is inserted as the last line of the frontmatter (just before the
closing ``---``), with the file's own line ending; every other byte stays as it was. The edit is
made only when it provably means what it says: the new frontmatter must parse to exactly the old
mapping plus ``operator: XX`` (so a frontmatter ending inside a flow collection, say, is
reported instead of broken). Logs that already have an ``operator:`` key are never touched, and
neither is anything that cannot be read; those are reported with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..core import repofiles, statefiles
from ..logs import frontmatter
from ..logs.log_ids import SESSIONS_DIR, is_legacy_name, name_key


@dataclass
class Outcome:
    rel: str
    action: str  # "add" (would add / added), "has" (already has an operator), "skip" (problem)
    detail: str = ""


def plan_insert(data: bytes, operator: str, rel: str) -> bytes:
    """The file's new bytes; FrontmatterError (naming ``rel``) when it cannot be done safely."""
    # surrogateescape: undecodable bytes split as themselves, so the frontmatter's text maps
    # back to exactly its bytes (the body need not be UTF-8; the frontmatter must)
    fm_text, _ = frontmatter.split(data.decode("utf-8", "surrogateescape"))
    if fm_text is None:
        if data.startswith(b"---\n") or data.startswith(b"---\r\n"):
            raise frontmatter.FrontmatterError("%s: frontmatter is never closed (no second '---' line)" % rel)
        raise frontmatter.FrontmatterError("%s: no frontmatter (the file must start with a '---' line)" % rel)
    fm = fm_text.encode("utf-8", "surrogateescape")
    start = 5 if data.startswith(b"---\r\n") else 4
    end = start + len(fm)  # offset of the closing '---' line
    try:
        fm.decode("utf-8")
    except UnicodeDecodeError:
        raise frontmatter.FrontmatterError("%s: frontmatter is not UTF-8 text" % rel) from None
    meta = frontmatter.parse_yaml(fm_text, rel)
    if "operator" in meta:
        raise _HasOperator(meta["operator"])
    newline = b"\r\n" if data[:start].endswith(b"\r\n") else b"\n"
    if fm and not fm.endswith(b"\n"):
        raise frontmatter.FrontmatterError("%s: frontmatter does not end with a line break" % rel)
    line = b"operator: " + operator.encode("ascii") + newline
    new_fm = fm + line
    try:
        new_meta = frontmatter.parse_yaml(new_fm.decode("utf-8"), rel)
    except frontmatter.FrontmatterError:
        new_meta = None
    if new_meta != dict(meta, operator=operator):
        raise frontmatter.FrontmatterError(
            "%s: cannot add 'operator: %s' as a plain last line of this frontmatter; add it by hand" % (rel, operator)
        )
    return data[:end] + line + data[end:]


class _HasOperator(Exception):
    def __init__(self, value):
        super().__init__(value)
        self.value = value


def legacy_logs(root: str) -> list:
    directory = os.path.join(root, SESSIONS_DIR)
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names if is_legacy_name(n) and name_key(n) is None)


def backfill(root: str, operator: str, write: bool) -> list:
    """[Outcome] for every legacy log, sorted by name."""
    outcomes = []
    for name in legacy_logs(root):
        rel = SESSIONS_DIR + "/" + name
        path = os.path.join(root, SESSIONS_DIR, name)
        try:
            new = plan_insert(repofiles.read_repo_file(path, root=root, shown=rel), operator, rel)
        except _HasOperator as has:
            outcomes.append(Outcome(rel, "has", "operator: %s" % (has.value,)))
            continue
        except repofiles.Unreadable as exc:
            outcomes.append(Outcome(rel, "skip", exc.reason))
            continue
        except frontmatter.FrontmatterError as exc:
            message = str(exc)
            if message.startswith(rel + ": "):
                message = message[len(rel) + 2 :]
            outcomes.append(Outcome(rel, "skip", message))
            continue
        if write:
            try:
                mode = os.stat(path).st_mode & 0o7777
                statefiles.write_atomic(path, new, mode=mode)
                os.chmod(path, mode)  # the umask must not change the file's permissions
            except OSError as exc:
                outcomes.append(Outcome(rel, "skip", "cannot write: %s" % (exc.strerror or exc)))
                continue
        outcomes.append(Outcome(rel, "add"))
    return outcomes
