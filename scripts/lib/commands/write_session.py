"""``write-session``: write (or update) this session's log from one JSON object on stdin.

Prints ``{"id": ..., "path": ..., "action": "created"|"updated", ...}``; invariant counters
that are not zero are warned about on stderr (the log is still written). A draft holding a
secret is refused unless ``--redact-secrets`` (lib/logs/draft_secrets.py). See
lib/logs/session_log.py for the input and lib/logs/write_session.py for what is filled in.
"""

from __future__ import annotations

import json
import os
import sys

from ..logs.draft_secrets import REDACT_FLAG, checked_request
from ..logs.drafts import MAX_STDIN_BYTES, parse_input, read_input_file
from ..logs.write_session import write_session


def add_arguments(parser) -> None:
    parser.add_argument(
        "--input",
        metavar="PATH",
        help="read the JSON object from this file instead of stdin, and delete the file once the log is written",
    )
    parser.add_argument("--session-id", help="overrides stdin's session_id (default: $CLAUDE_CODE_SESSION_ID)")
    parser.add_argument("--since", help="overrides stdin's since: start of the git window (ISO 8601)")
    parser.add_argument("--started-at", help="overrides stdin's handoff_started_at (ISO 8601)")
    parser.add_argument(
        REDACT_FLAG,
        dest="redact_secrets",
        action="store_true",
        help="write a draft that holds a secret (refused without this flag), each secret replaced by [REDACTED:<kind>]",
    )


def run(args, project) -> int:
    if args.input:
        data = parse_input(read_input_file(args.input), f"--input {args.input!r}")
    else:
        data = parse_input(sys.stdin.buffer.read(MAX_STDIN_BYTES + 1))
    if isinstance(data, dict):
        for flag, key in (("session_id", "session_id"), ("since", "since"), ("started_at", "handoff_started_at")):
            if getattr(args, flag):
                data[key] = getattr(args, flag)
    request, draft_warnings = checked_request(data, args.redact_secrets)
    if request.supersedes or request.resolves:  # each id names an item of a log here (issue 18)
        from ..memory.briefing import check_item_ids

        check_item_ids(project, {"supersedes": request.supersedes, "resolves": request.resolves})
    from ..store.id_registry import RepoIds
    from ..store.remote_fetch import Fetcher

    ids = RepoIds(project, Fetcher(project))  # every worktree, branch and (fetched) remote ref counts
    result = write_session(project, request, env_session_id=os.environ.get("CLAUDE_CODE_SESSION_ID"), ids=ids)
    if args.input:
        try:
            os.unlink(args.input)
        except OSError:
            pass  # a leftover draft is harmless
    for warning in draft_warnings + result.warnings + result.usage_warnings:
        print(f"handoff: warning: {warning}", file=sys.stderr)
    json.dump(result.to_json(), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
