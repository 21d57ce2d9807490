"""``reflect-write --input PATH``: write docs/reflections/<week>.md and its charts from /reflect's draft.

The draft (one JSON object: ``week``, ``title``, ``sections`` {name: text or [items]}, optional
``operator`` and ``tz``) travels as a file for the same reason as /handoff's (commands/whoami.py).
Prints ``{"path", "charts", "commit_paths", "action": "created"|"updated", ...}``; the draft is
deleted once everything is written. See lib/digest/reflection.py.
"""

from __future__ import annotations

import json
import os
import sys

from ..logs.drafts import MAX_STDIN_BYTES, parse_input, read_input_file


def add_arguments(parser) -> None:
    parser.add_argument("--input", metavar="PATH", help="the draft file (default: stdin); deleted once written")
    parser.add_argument("--no-github", action="store_true", help="do not ask gh for PRs and issues")


def run(args, project) -> int:
    from ..digest.reflection import parse_draft, write_reflection

    if args.input:
        data = parse_input(read_input_file(args.input), f"--input {args.input!r}")
    else:
        data = parse_input(sys.stdin.buffer.read(MAX_STDIN_BYTES + 1))
    draft = parse_draft(data)
    result = write_reflection(project, draft, github=not args.no_github)
    if args.input:
        try:
            os.unlink(args.input)
        except OSError:
            pass
    for warning in result["warnings"]:
        print(f"handoff: warning: {warning}", file=sys.stderr)
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
