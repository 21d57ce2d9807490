"""``write-session``: write (or update) this session's log from one JSON object on stdin.

Prints ``{"id": ..., "path": ..., "action": "created"|"updated", ...}``; invariant counters
that are not zero are warned about on stderr (the log is still written). See
lib/logs/session_log.py for the input and lib/logs/write_session.py for what is filled in.
"""

from __future__ import annotations

import json
import os
import stat
import sys

from ..core import statefiles
from ..core.errors import HelperError
from ..logs.session_log import parse_request
from ..logs.write_session import write_session

MAX_STDIN_BYTES = 4 * 1024 * 1024


def add_arguments(parser) -> None:
    parser.add_argument(
        "--input",
        metavar="PATH",
        help="read the JSON object from this file instead of stdin, and delete the file once the log is written",
    )
    parser.add_argument("--session-id", help="overrides stdin's session_id (default: $CLAUDE_CODE_SESSION_ID)")
    parser.add_argument("--since", help="overrides stdin's since: start of the git window (ISO 8601)")
    parser.add_argument("--started-at", help="overrides stdin's handoff_started_at (ISO 8601)")


def _reject_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise HelperError(f"stdin: duplicate key {key!r}")
        out[key] = value
    return out


def read_input_file(path: str) -> bytes:
    """The draft file's bytes: a regular file of ours, at most `MAX_STDIN_BYTES` (never a FIFO,
    a device, or through a symlink: drafts live in the shared /tmp; statefiles.read_regular)."""
    where = f"--input {path!r}"
    try:
        before = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        raise HelperError(f"{where}: no such file") from None
    except OSError as exc:
        raise HelperError(f"{where}: cannot open ({exc.strerror or exc})") from None
    if stat.S_ISREG(before.st_mode) and before.st_uid != os.geteuid():
        raise HelperError(f"{where}: owned by another user; refusing to read it")
    try:
        data = statefiles.read_regular(path, MAX_STDIN_BYTES)
        after = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        raise HelperError(f"{where}: no such file") from None
    except statefiles.NotRegularFile as exc:
        raise HelperError(f"{where}: cannot open ({exc.strerror or 'not a regular file'})") from None
    except ValueError:
        raise HelperError(f"{where}: over {MAX_STDIN_BYTES} bytes") from None
    except OSError as exc:
        raise HelperError(f"{where}: cannot open ({exc.strerror or exc})") from None
    if (after.st_dev, after.st_ino, after.st_uid) != (before.st_dev, before.st_ino, before.st_uid):
        raise HelperError(f"{where}: replaced while being read; refusing it")
    return data


def parse_input(raw: bytes, where: str = "stdin"):
    if len(raw) > MAX_STDIN_BYTES:
        raise HelperError(f"{where}: over {MAX_STDIN_BYTES} bytes")
    if not raw.strip():
        raise HelperError(f"{where}: empty; expected one JSON object (title, summary, resume_prompt, body, ...)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HelperError(f"{where}: not UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except ValueError as exc:
        raise HelperError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise HelperError(f"{where}: JSON nests too deeply; expected one flat object") from None


def run(args, project) -> int:
    if args.input:
        data = parse_input(read_input_file(args.input), f"--input {args.input!r}")
    else:
        data = parse_input(sys.stdin.buffer.read(MAX_STDIN_BYTES + 1))
    if isinstance(data, dict):
        for flag, key in (("session_id", "session_id"), ("since", "since"), ("started_at", "handoff_started_at")):
            if getattr(args, flag):
                data[key] = getattr(args, flag)
    request = parse_request(data)
    result = write_session(project, request, env_session_id=os.environ.get("CLAUDE_CODE_SESSION_ID"))
    if args.input:
        try:
            os.unlink(args.input)
        except OSError:
            pass  # a leftover draft is harmless
    for warning in result.warnings + result.usage_warnings:
        print(f"handoff: warning: {warning}", file=sys.stderr)
    json.dump(result.to_json(), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
