"""``changelog [--since ISO] [--session-id ID]``: add the session's commits to CHANGELOG.md.

The window is the one ``write-session`` uses (lib/write_session.resolve_since); entries, their
order and idempotence are described in lib/logs/changelog.py. The file is written back in its
canonical form even when no commit is new (a merge may have left it out of order, or in the v1
format). Prints ``{"path", "added", "skipped", "canonicalized", ...}``.
"""

from __future__ import annotations

import json
import os
import sys

from ..core import isotime, repofiles
from ..core.errors import HelperError
from ..logs import changelog, gitstats, log_alloc
from ..logs import operator as operator_mod
from ..logs.write_session import resolve_since
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
    since, source = resolve_since(root, args.since, telemetry, None, operator, None)
    commits = gitstats.commits_since(root, since, no_merges=True) if gitstats.head_commit(root) else []
    path = changelog.path_in(root)
    log_alloc.ensure_state_subdir(state_dir, log_alloc.LOCKS_DIR)
    with session_lock(os.path.join(state_dir, log_alloc.LOCKS_DIR, LOCK_NAME)):
        existing = repofiles.read_repo_text(path, root=root, missing_ok=True)
        update = changelog.update(existing, commits)
        if update.changed:
            try:
                log_alloc.write_log_atomic(path, update.text.encode("utf-8"))
            except OSError as exc:
                raise HelperError(f"{path}: cannot write ({exc.strerror or exc})") from None
    out = {
        "path": changelog.NAME,
        "since": isotime.iso_z(since) if since is not None else None,
        "since_source": source,
        "canonicalized": bool(update.changed and not update.added),
        "added": [c.sha[: changelog.SHORT] for c in update.added],
        "skipped": [c.sha[: changelog.SHORT] for c in update.skipped],
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
