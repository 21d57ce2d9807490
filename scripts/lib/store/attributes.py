"""Which merge driver git uses for the files ``/handoff`` writes, and the lines that say so.

Two layers, so that the no-conflict part needs no set-up in any clone:

- ``.gitattributes`` (committed, `union_lines`): git's built-in ``union`` driver for
  handoff's commit log and the two ``INDEX.md`` files, and for no other file (``union`` on a
  user's curated changelog would corrupt it: core/changelog_path.py picks a file of our own).
  Every clone and worktree honours it under ``merge``, ``pull`` (merge or ``--rebase``),
  ``rebase`` and ``cherry-pick``: all of them merge files through the same low-level driver
  lookup (git's merge-ll.c), which reads the attributes of the work tree. ``union`` keeps both
  sides' lines and never writes conflict markers.
- ``<git common dir>/info/attributes`` (per repository, never committed, `driver_lines`):
  ``merge=handoff`` for the same paths. That file takes precedence over ``.gitattributes``; git
  uses the ``handoff`` driver only where ``merge.handoff.driver`` is configured
  (store/gitsetup.py) - an attribute naming an undefined driver would fall back to the
  conflicting text merge, which is why the committed file must say ``union``.

The functions over text are pure: they add exactly the lines that are missing (after the user's
own lines, never reordering or rewriting them) and remove exactly the lines they added.
"""

from __future__ import annotations

COMMENT = "# handoff: what /handoff writes merges without conflicts (scripts/lib/store/attributes.py)"
INDEX_PATHS = ("/docs/sessions/INDEX.md", "/workstreams/INDEX.md")
DRIVER_COMMENT = "# handoff: canonical merges (scripts/handoff merge-driver); git config merge.handoff.*"


def paths(changelog: str) -> tuple:
    """The files whose merges we own: the commit log (``changelog``, relative to the root, as
    core/changelog_path.py chooses it: never a file of the user's) and the two indexes."""
    return ("/" + changelog.lstrip("/"),) + INDEX_PATHS


def union_lines(changelog: str) -> list:
    return [COMMENT] + ["%s merge=union" % p for p in paths(changelog)]


def driver_lines(changelog: str) -> list:
    return [DRIVER_COMMENT] + ["%s merge=handoff" % p for p in paths(changelog)]


def stale_lines(ours: list, wanted: list) -> list:
    """Lines we added earlier (``ours``) that name a file no longer ours (a commit log that moved
    away from a user's ``CHANGELOG.md``): to be taken out again. Comments stay."""
    return [line for line in ours if not line.startswith("#") and line not in wanted]


def _norm(line: str) -> str:
    return " ".join(line.split())


def add_lines(text: str | None, lines: list, key=_norm) -> tuple:
    """``(new text, record)``: ``lines`` that are not there yet (equal under ``key``) appended,
    in order. ``record`` is what `remove_lines` needs: the lines added and whether a final
    newline was added. Also the installer's ``.gitignore`` merge (with its own ``key``)."""
    text = text or ""
    have = {key(line) for line in text.splitlines()}
    wanted = [line for line in lines if key(line) not in have]
    record = {"lines": wanted, "added_newline": False}
    if not wanted:
        return text, record
    if text and not text.endswith("\n"):
        text += "\n"
        record["added_newline"] = True
    return text + "".join(line + "\n" for line in wanted), record


def remove_lines(text: str, record: dict) -> str:
    """``text`` without the lines `add_lines` added (the last occurrence of each)."""
    lines = text.splitlines(keepends=True)
    for wanted in reversed(record.get("lines", [])):
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].rstrip("\r\n") == wanted:
                del lines[i]
                break
    out = "".join(lines)
    if record.get("added_newline") and out.endswith("\n"):
        out = out[:-1]
    return out


def merge_attribute(text: str, path: str) -> str | None:
    """The ``merge`` attribute the last matching line of ``text`` gives ``path`` (our anchored
    paths only; enough to tell a user that their own line wins or loses)."""
    found = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].startswith("#"):
            continue
        if parts[0].lstrip("/") != path.lstrip("/"):
            continue
        for attr in parts[1:]:
            if attr.startswith("merge="):
                found = attr[len("merge=") :]
            elif attr in ("-merge", "!merge"):
                found = attr
    return found
