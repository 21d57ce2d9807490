"""The files a session changed, as its log records them (``changed_files``; issue 18 item 4).

A teammate's session that changed the files you are changing is worth knowing about before the
two of you merge (memory/collisions.py reads this field on every fetched branch). The rule:

- **Which changes.** The session's commits (``commit_shas``: `gitstats.numstat`, a rename by
  its old and its new name) plus what is uncommitted when the log is written: staged, unstaged
  and untracked (not ignored) files. ``/handoff`` commits only the log and handoff's own files;
  the session's work itself is often committed right after, or stays in the work tree while the
  next session goes on, so leaving it out would leave most logs naming nothing. What this can
  add by mistake (an old uncommitted change of an earlier session) is still a file this clone is
  in the middle of changing, which is what a teammate wants to hear about.
- **Not handoff's own files** (`is_handoff_file`): ``docs/sessions/``, ``docs/reflections/``,
  ``workstreams/`` and the commit log (core/changelog_path.py, wherever it lives). Every
  ``/handoff`` writes them, so counting them would make every log collide with every other.
- **Bounded**: sorted, at most `MAX_FILES` paths and `MAX_CHARS` characters (the frontmatter
  must stay under 64 KiB); the paths left out are counted in ``changed_files_omitted``.
- **One spelling** for a path (`path_text`): git's bytes as UTF-8, anything undecodable or a
  control character escaped (core/errors.one_line), so the writer and the readers compare the
  same strings and a hostile name cannot break the log's one-line fields.
"""

from __future__ import annotations

from ..core.errors import one_line

OWN_DIRS = ("docs/sessions/", "docs/reflections/", "workstreams/")
MAX_FILES = 300
MAX_CHARS = 16_000
# Every uncommitted path, one per entry: -z (no quoting), a rename as its two sides, the files
# of an untracked directory one by one; no index refresh written (a user's git may run too);
# handoff's directories not even walked (thousands of logs).
STATUS_ARGS = ("--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
               "--", ".") + tuple(":(exclude)" + d.rstrip("/") for d in OWN_DIRS)


def path_text(raw: bytes) -> str:
    return one_line(raw.decode("utf-8", "surrogateescape"))


def is_handoff_file(path: str, changelog: str) -> bool:
    """Whether ``path`` (repository-relative, ``/``-separated) is one of handoff's own files."""
    return path.startswith(OWN_DIRS) or path == changelog


def parse_status(out: bytes) -> set:
    """The paths (bytes) of ``git <STATUS_ARGS>``'s output."""
    paths = set()
    for entry in out.split(b"\0"):
        if len(entry) > 3 and entry[2:3] == b" ":
            paths.add(entry[3:])
    return paths


def relevant(raw_paths, changelog: str) -> set:
    """``raw_paths`` (bytes) spelled by `path_text`, less handoff's own files."""
    texts = {path_text(p) for p in raw_paths}
    return {p for p in texts if p and not is_handoff_file(p, changelog)}


def capped(paths) -> tuple:
    """(sorted paths within `MAX_FILES` and `MAX_CHARS`, how many were left out)."""
    kept, chars = [], 0
    ordered = sorted(paths)
    for path in ordered:
        if len(kept) >= MAX_FILES or chars + len(path) > MAX_CHARS:
            break
        kept.append(path)
        chars += len(path)
    return kept, len(ordered) - len(kept)


def log_fields(root: str, committed: set, changelog: str) -> dict:
    """The log's ``changed_files`` and ``changed_files_omitted`` (see the module docstring):
    ``committed`` the session's commits' paths (bytes, `gitstats.GitStats.touched_paths`)."""
    from .gitstats import git

    uncommitted = parse_status(git(root, *STATUS_ARGS, check=False).stdout)
    files, omitted = capped(relevant(committed | uncommitted, changelog))
    return {"changed_files": files, "changed_files_omitted": omitted}
