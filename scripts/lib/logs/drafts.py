"""Drafts: how the model's JSON reaches a helper (``write-session``, ``reflect-write``).

Claude Code refuses a Bash command whose text holds a brace next to a quote ("expansion
obfuscation"), so JSON cannot travel in a heredoc; the Write tool may not write under
``.claude/``; ``Edit(//tmp/handoff-drafts/**)`` in a command's allowed-tools lets the model write
its draft to `DRAFT_DIR` (tests/e2e/test_handoff_command_e2e.py). The helper reads it with
`read_input_file` (a regular file of ours, bounded) and `parse_input` (one JSON object, no
duplicate keys).
"""

from __future__ import annotations

import json
import os
import stat

from ..core import statefiles
from ..core.errors import HelperError

MAX_STDIN_BYTES = 4 * 1024 * 1024
DRAFT_DIR = "/tmp/handoff-drafts"  # fixed: the command's allowed-tools names it
DRAFT_DIR_ENV = "HANDOFF_DRAFT_DIR"  # tests only (the command's allowed-tools cannot follow it)


def draft_dir() -> str:
    return os.environ.get(DRAFT_DIR_ENV) or DRAFT_DIR


def draft_path(session_id) -> str:
    stem = statefiles.session_stem(session_id) if session_id else "session-unknown"
    return os.path.join(draft_dir(), stem + ".json")


def prepare_draft_dir() -> str | None:
    """Create the draft dir (0700) if missing; a problem to show, or None."""
    directory = draft_dir()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.stat(directory, follow_symlinks=False)
    except OSError as exc:
        return f"{directory}: {exc.strerror or exc}"
    if st.st_uid != os.geteuid():
        return f"{directory} belongs to another user; write-session --input will refuse drafts there"
    return None


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
