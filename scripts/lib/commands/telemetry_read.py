"""``telemetry-read [--session-id ID]``: a session's live telemetry record as JSON."""

from __future__ import annotations

import json
import os
import sys

from ..core.errors import HelperError, result_or_error
from ..state.telemetry import derive, latest_session_id, read_record
from ..usage.session import session_usage


def add_arguments(parser) -> None:
    parser.add_argument(
        "--session-id",
        help="default: $CLAUDE_CODE_SESSION_ID, else the most recently updated session of this project",
    )
    parser.add_argument(
        "--no-fail",
        action="store_true",
        help='exit 0 and print {"error": ...} instead of failing (for `!` pre-execution in /handoff, '
        "where a non-zero exit aborts the whole command)",
    )


def run(args, project) -> int:
    record = result_or_error(lambda: _read(args, project), args.no_fail)
    json.dump(record, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def _read(args, project) -> dict:
    root = project.root
    state_dir = project.state_dir
    session_id = args.session_id or os.environ.get("CLAUDE_CODE_SESSION_ID") or latest_session_id(state_dir, root)
    if not session_id:
        raise HelperError("no telemetry recorded yet in %s" % state_dir)
    warnings: list = []
    record = read_record(state_dir, session_id, root, warnings=warnings)
    for warning in warnings:
        print("handoff: warning: %s" % warning, file=sys.stderr)
    if record is None:
        raise HelperError("unknown session %r: no record in %s" % (session_id, state_dir))
    out = derive(record)
    # Tokens and cost of the whole session (lib/usage/session.py); None when it wrote no
    # transcript. Problems with the transcript are warnings, never a failure here.
    path = record.get("transcript_path")
    result = session_usage(state_dir, session_id, path if isinstance(path, str) else None, project.config_path)
    out["usage"] = result.usage
    out["usage_warnings"] = result.warnings
    return out
