"""Archiving a session transcript: a redacted copy, mode 0600, outside the repository.

Destination: ``$TRANSCRIPTS_DIR/<LOGID>.jsonl``, default ``~/.claude/handoff-transcripts/``.
A directory inside the project's git work tree (the top level, not just ``--root``: in a
monorepo the root may be a subdirectory) is refused unless git ignores the destination file:
the repo is shared, and a transcript holds everything the session saw.

The source is read only if it is a regular file of at most `MAX_BYTES` (never a FIFO, a
device or a symbolic link: statefiles.read_regular), and redacted line by line into a temp
file that is then renamed, so a reader never sees half a transcript and memory holds the
source once; a second handoff of the same session replaces the copy with the newer, longer
transcript.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from ..core import statefiles
from ..core.errors import HelperError
from .redact import Redaction, redact_jsonl_line

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


def git_toplevel(root: str) -> str:
    """The work tree's top level that holds ``root`` (``root`` itself outside git)."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except OSError:
        return root
    top = out.stdout.strip()
    return top if out.returncode == 0 and top else root


def check_destination(root: str, directory: str, log_id: str) -> str:
    """The destination file; HelperError when it would land in the work tree without being ignored."""
    dest = os.path.join(directory, f"{log_id}.jsonl")
    top = os.path.realpath(git_toplevel(root))
    if _inside(directory, top):
        rel = os.path.relpath(os.path.join(os.path.realpath(directory), f"{log_id}.jsonl"), top)
        out = subprocess.run(["git", "-C", top, "check-ignore", "-q", "--", rel], capture_output=True, check=False)
        if out.returncode != 0:
            raise HelperError(
                f"${ENV}={directory} is inside the repository and git does not ignore {rel}: "
                "a transcript must never be committed; add it to .gitignore or use a directory outside the repo"
            )
    return dest


def read_source(source: str) -> bytes:
    """The transcript's bytes; HelperError (one line) for anything that is not a transcript."""
    shown = repr(source) if not source.isprintable() else source
    try:
        return statefiles.read_regular(source, MAX_BYTES)
    except FileNotFoundError:
        raise HelperError(f"{shown}: transcript not found") from None
    except statefiles.NotRegularFile as exc:
        what = exc.strerror or "not a regular file"
        raise HelperError(f"{shown}: {what} (a FIFO, device, directory or link is never read); not copied") from None
    except ValueError:
        raise HelperError(f"{shown}: transcript over {MAX_BYTES // (1024 * 1024)} MB; not copied") from None
    except OSError as exc:
        raise HelperError(f"{shown}: unreadable ({exc.strerror or exc})") from None


def _redacted_lines(data: bytes, summary: Redaction):
    """The redacted lines of ``data`` (each with its ``\\n``), one at a time."""
    start, end = 0, len(data)
    while start < end:
        nl = data.find(b"\n", start)
        stop = end if nl < 0 else nl
        out, red = redact_jsonl_line(data[start:stop])
        if red is not None:
            summary.absorb(red)
        yield out if nl < 0 else out + b"\n"
        start = stop + 1


def copy_redacted(source: str, dest: str) -> TranscriptCopy:
    data = read_source(source)
    summary = Redaction("")
    directory = os.path.dirname(dest)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        written = statefiles.write_atomic(dest, _redacted_lines(data, summary))
        os.chmod(dest, 0o600)
    except OSError as exc:
        raise HelperError(f"{dest}: cannot write ({exc.strerror or exc})") from None
    return TranscriptCopy(source, dest, summary.count, dict(summary.by_family), written)
