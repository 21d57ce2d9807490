"""Reading a file of the repository (a session log, a workstream, ``CHANGELOG.md``, an index) as
a command does: the one way every helper that opens such a file opens it.

A teammate's commit or a stray ``ln -s`` can put anything at a log's path. So:

- a symbolic link is never followed (O_NOFOLLOW): a link to a file outside the repository
  must not have its content read, rewritten or staged into the repository;
- a FIFO, a device or a socket is never read (O_NONBLOCK, then fstat must say regular file):
  a FIFO would hang the command, ``/dev/zero`` would fill memory;
- at most ``max_bytes`` are read (`MAX_FILE_BYTES` by default);
- with ``root``, the file's directory must resolve inside ``root`` (a ``docs/sessions`` that
  is a link to another directory is outside the repository as well);
- text must be UTF-8.

Every refusal is one `Unreadable` (a HelperError): ``<path>: <reason>``. Built on
statefiles.read_regular, which the hook uses for the state dir's files.
"""

from __future__ import annotations

import os

from . import statefiles
from .errors import HelperError

MAX_FILE_BYTES = 16 * 1024 * 1024


class Unreadable(HelperError):
    """A repository file that is not read; ``reason`` without the path, ``missing`` for ENOENT."""

    def __init__(self, shown: str, reason: str, missing: bool = False):
        super().__init__("%s: %s" % (shown, reason))
        self.reason, self.missing = reason, missing


def _outside(path: str, root: str) -> bool:
    real_dir = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    real_root = os.path.realpath(root)
    return real_dir != real_root and not real_dir.startswith(real_root.rstrip(os.sep) + os.sep)


def read_repo_file(path: str, *, root: str | None = None, max_bytes: int = MAX_FILE_BYTES,
                   missing_ok: bool = False, shown: str | None = None) -> bytes | None:
    """The bytes of the regular file at ``path``; None when it does not exist and ``missing_ok``.
    ``shown`` names the file in the error (default: ``path``)."""
    path = os.fspath(path)
    shown = path if shown is None else shown
    if root is not None and _outside(path, root):
        raise Unreadable(shown, "outside the repository (through a symbolic link); not read")
    try:
        return statefiles.read_regular(path, max_bytes)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise Unreadable(shown, "no such file", missing=True) from None
    except statefiles.NotRegularFile as exc:
        raise Unreadable(shown, "%s; not read" % (exc.strerror or "not a regular file")) from None
    except ValueError:
        raise Unreadable(shown, "over %d bytes; not read" % max_bytes) from None
    except OSError as exc:
        raise Unreadable(shown, exc.strerror or str(exc)) from None


def decode(data: bytes, shown: str) -> str:
    """``data`` as UTF-8 text; Unreadable naming ``shown`` when it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable(shown, "not UTF-8 text") from None


def read_repo_text(path: str, *, root: str | None = None, max_bytes: int = MAX_FILE_BYTES,
                   missing_ok: bool = False, shown: str | None = None) -> str | None:
    """`read_repo_file` decoded as UTF-8 (bytes as they are: no newline translation)."""
    data = read_repo_file(path, root=root, max_bytes=max_bytes, missing_ok=missing_ok, shown=shown)
    return None if data is None else decode(data, os.fspath(path) if shown is None else shown)
