"""``archive-state --session-id ID --log-id LOGID [--transcript PATH]``.

Copies the session's transcript, redacted, to ``$TRANSCRIPTS_DIR/<LOGID>.jsonl`` (default
``~/.claude/handoff-transcripts/``; lib/logs/transcripts.py), then moves the live telemetry record
and its lock into ``<state dir>/archive/`` under the session lock (lib/state/archive.py). Prints what
it did as JSON. Running it again when the state is already archived moves nothing and
refreshes the transcript copy.
"""

from __future__ import annotations

import json
import os
import sys

from ..core import statefiles
from ..core.errors import HelperError
from ..logs import transcripts
from ..logs.log_ids import parse_log_id
from ..state import archive


def add_arguments(parser) -> None:
    parser.add_argument("--session-id", help="default: $CLAUDE_CODE_SESSION_ID")
    parser.add_argument("--log-id", required=True, help="the session log's id, e.g. RT-261121-01")
    parser.add_argument("--transcript", help="default: the transcript_path the hook recorded")


def run(args, project) -> int:
    root = project.root
    state_dir = project.state_dir
    session_id = args.session_id or os.environ.get("CLAUDE_CODE_SESSION_ID")
    if not session_id:
        raise HelperError("--session-id: missing (and $CLAUDE_CODE_SESSION_ID is not set)")
    if parse_log_id(args.log_id) is None:
        raise HelperError(f"--log-id: {args.log_id!r} is not a log id like RT-261121-01")
    live = os.path.exists(statefiles.record_path(state_dir, session_id))
    parts = archive.archived_parts(state_dir, session_id)
    if not live and not parts and not args.transcript:
        raise HelperError(f"unknown session {session_id!r}: no telemetry in {state_dir} and no --transcript")

    warnings = []
    source = args.transcript or archive.latest_transcript_path(state_dir, session_id, warnings=warnings)
    copied = None
    if source:
        dest = transcripts.check_destination(root, transcripts.transcripts_dir(), args.log_id)
        if args.transcript or os.path.exists(source):
            copied = transcripts.copy_redacted(source, dest)
        else:
            warnings.append(f"transcript {source} not found; not archived")
    else:
        warnings.append("no transcript path recorded for this session; pass --transcript")

    result = archive.archive_state(state_dir, session_id, args.log_id)
    warnings += result.warnings
    out = {
        "session_id": session_id,
        "log_id": args.log_id,
        "moved": [{"from": src, "to": dst} for src, dst in result.moved],
        "part": result.part,
        "transcript": None,
        "warnings": warnings,
    }
    if copied is not None:
        out["transcript"] = {
            "from": copied.source,
            "to": copied.dest,
            "redactions": copied.redactions,
            "by_family": copied.by_family,
            "bytes": copied.bytes,
        }
    for warning in warnings:
        print(f"handoff: warning: {warning}", file=sys.stderr)
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
