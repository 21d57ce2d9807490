"""``changelog [--since ISO] [--session-id ID]``: add the session's commits to handoff's commit log.

The file is ``project.changelog_relpath()`` (core/changelog_path.py); an existing file there that
is not ours is refused, never written (the user's own changelog stays byte for byte).

The commits are the session's, found as ``write-session`` finds them (lib/logs/write_session.resolve_window:
by ancestry from the commit the session started on; without a session, from the previous
``/handoff`` commit; the clock only when no start commit was recorded, with a warning), less
merges; entries, their
order and idempotence are described in lib/logs/changelog.py. The file is written back in its
canonical form even when no commit is new (a merge may have left it out of order, or in the v1
format). Prints ``{"path", "added", "skipped", "canonicalized", ...}``.
"""

from __future__ import annotations

import json
import os
import sys

from ..core import changelog_path, repofiles
from ..core.errors import HelperError
from ..logs import changelog, gitstats, log_alloc
from ..logs import operator as operator_mod
from ..logs.write_session import resolve_window
from ..state import archive
from ..state.locking import session_lock

LOCK_NAME = "changelog.lock"


def add_arguments(parser) -> None:
    parser.add_argument("--since", help="start of the window (ISO 8601; default: the session start)")
    parser.add_argument("--session-id", help="default: $CLAUDE_CODE_SESSION_ID")


def run(args, project) -> int:
    root = project.root
    gitstats.ensure_repo(root)
    state_dir = project.state_dir
    session_id = args.session_id or os.environ.get("CLAUDE_CODE_SESSION_ID") or None
    telemetry, warnings = None, []
    if session_id and not args.since:
        telemetry = archive.session_telemetry(state_dir, session_id, warnings=warnings)
    for warning in warnings:
        print("handoff: warning: %s" % warning, file=sys.stderr)
    try:
        operator = operator_mod.resolve(root, state_dir).initials
    except HelperError:
        operator = None
    window = resolve_window(root, args.since, telemetry, None, operator, None)
    commits = gitstats.session_commits(root, window)[0] if gitstats.head_commit(root) else []
    commits = [c for c in commits if not c.merge]
    rel = project.changelog_relpath()
    path = project.path(rel)
    log_alloc.ensure_state_subdir(state_dir, log_alloc.LOCKS_DIR)
    with session_lock(os.path.join(state_dir, log_alloc.LOCKS_DIR, LOCK_NAME)):
        existing = repofiles.read_repo_text(path, root=root, missing_ok=True)
        if existing is not None and not changelog_path.is_ours(existing):
            raise HelperError(
                f"{rel}: not handoff's commit log (no handoff changelog marker); left as it is. Set "
                f'"{changelog_path.CONFIG_KEY}" in .claude/handoff.json to a path of its own'
            )
        update = changelog.update(existing, commits)
        if update.changed:
            try:
                log_alloc.write_log_atomic(path, update.text.encode("utf-8"))
            except OSError as exc:
                raise HelperError(f"{rel}: cannot write ({exc.strerror or exc})") from None
    out = {
        "path": rel,
        **window.to_json(),
        "canonicalized": bool(update.changed and not update.added),
        "added": [c.sha[: changelog.SHORT] for c in update.added],
        "skipped": [c.sha[: changelog.SHORT] for c in update.skipped],
        "warnings": [window.warning] if window.warning else [],
    }
    for warning in out["warnings"]:
        print(f"handoff: warning: {warning}", file=sys.stderr)
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
