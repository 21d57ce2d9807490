"""Archiving a session transcript: a redacted copy, mode 0600, outside the repository.

Destination: ``$TRANSCRIPTS_DIR/<LOGID>.jsonl``, default ``~/.claude/handoff-transcripts/``.
A directory inside the project is refused unless git ignores the destination file: the repo
is shared, and a transcript holds everything the session saw. The copy is written to a temp
file and renamed, so a reader never sees half a transcript; a second handoff of the same
session replaces it with the newer, longer transcript.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from . import statefiles
from .errors import HelperError
from .redact import redact_jsonl

ENV = "TRANSCRIPTS_DIR"
DEFAULT_DIR = os.path.join("~", ".claude", "handoff-transcripts")
MAX_BYTES = 512 * 1024 * 1024


@dataclass
class TranscriptCopy:
    source: str
    dest: str
    redactions: int = 0
    by_family: dict = field(default_factory=dict)
    bytes: int = 0


def transcripts_dir(environ=None) -> str:
    environ = os.environ if environ is None else environ
    return os.path.abspath(os.path.expanduser(environ.get(ENV) or DEFAULT_DIR))


def _inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_destination(root: str, directory: str, log_id: str) -> str:
    """The destination file; HelperError when it would land in the repo without being ignored."""
    dest = os.path.join(directory, f"{log_id}.jsonl")
    if _inside(directory, root):
        rel = os.path.relpath(os.path.join(os.path.realpath(directory), f"{log_id}.jsonl"), os.path.realpath(root))
        out = subprocess.run(["git", "-C", root, "check-ignore", "-q", "--", rel], capture_output=True, check=False)
        if out.returncode != 0:
            raise HelperError(
                f"${ENV}={directory} is inside the repository and git does not ignore {rel}: "
                "a transcript must never be committed; add it to .gitignore or use a directory outside the repo"
            )
    return dest


def copy_redacted(source: str, dest: str) -> TranscriptCopy:
    try:
        size = os.path.getsize(source)
        if size > MAX_BYTES:
            raise HelperError(f"{source}: transcript over {MAX_BYTES // (1024 * 1024)} MB; not copied")
        with open(source, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise HelperError(f"{source}: transcript not found") from None
    except IsADirectoryError:
        raise HelperError(f"{source}: is a directory, not a transcript") from None
    except OSError as exc:
        raise HelperError(f"{source}: unreadable ({exc.strerror or exc})") from None
    redacted, summary = redact_jsonl(data)
    directory = os.path.dirname(dest)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        statefiles.write_atomic(dest, redacted, mode=0o600)
        os.chmod(dest, 0o600)
    except OSError as exc:
        raise HelperError(f"{dest}: cannot write ({exc.strerror or exc})") from None
    return TranscriptCopy(source, dest, summary.count, dict(summary.by_family), len(redacted))
