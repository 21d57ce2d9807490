"""``telemetry-read [--session-id ID]``: a session's live telemetry record as JSON."""

from __future__ import annotations

import json
import os
import sys

from . import statefiles
from .errors import HelperError, result_or_error
from .project import find_root
from .telemetry import derive, latest_session_id, read_record


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


def run(args) -> int:
    record = result_or_error(lambda: _read(args), args.no_fail)
    json.dump(record, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def _read(args) -> dict:
    root = find_root(args.root)
    state_dir = statefiles.state_dir_for(root)
    session_id = args.session_id or os.environ.get("CLAUDE_CODE_SESSION_ID") or latest_session_id(state_dir, root)
    if not session_id:
        raise HelperError("no telemetry recorded yet in %s" % state_dir)
    record = read_record(state_dir, session_id, root)
    if record is None:
        raise HelperError("unknown session %r: no record in %s" % (session_id, state_dir))
    return derive(record)
