"""Running git for the team store: one function, a bound on time, no prompt, no surprise.

Every call gets ``GIT_TERMINAL_PROMPT=0`` (a fetch must never wait for a password) and runs in
its own process group, so a timeout kills git *and* its helpers (ssh, credential helpers,
``git-remote-https``), not only the parent: a killed ``git fetch`` whose ssh child lives on
would keep the pipes open and the caller waiting.
"""

from __future__ import annotations

import os
import subprocess

from ..core.errors import HelperError


class GitTimeout(Exception):
    """git did not finish within its bound (its whole process group was killed)."""


def git_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=3")
    if extra:
        env.update(extra)
    return env


def run(root: str, args: list, input: bytes | None = None, timeout: float | None = 60.0, check: bool = True,
        env: dict | None = None) -> subprocess.CompletedProcess:
    """``git -C root <args>`` -> CompletedProcess (bytes). ``check``: a non-zero exit raises
    HelperError with git's last stderr line. Raises GitTimeout past ``timeout``."""
    try:
        proc = subprocess.Popen(
            ["git", "-C", root, *args],
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(env),
            start_new_session=True,
        )
    except FileNotFoundError:
        raise HelperError("git is not installed (needed for the team store)") from None
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        from ..core.session_start_context import _kill_group  # the hook's: the whole group, never waits

        _kill_group(proc)
        raise GitTimeout("git %s: no answer within %.1f s" % (args[0], timeout)) from None
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    if check and proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else "exit %d" % proc.returncode
        raise HelperError("git %s failed: %s" % (" ".join(args[:2]), last))
    return result


def text(root: str, args: list, **kwargs) -> str:
    return run(root, args, **kwargs).stdout.decode("utf-8", "surrogateescape")


def cat_file_batch(root: str, shas: list, kind: bytes, timeout: float | None = 60.0) -> dict:
    """{sha: content} of the objects of type ``kind`` (b"tree", b"blob") among ``shas``, in one
    ``git cat-file --batch``; a missing object (shallow or partial clone) or another type is
    left out. GitTimeout past ``timeout`` (a partial clone fetches missing objects lazily)."""
    if not shas:
        return {}
    out = run(root, ["cat-file", "--batch"], input="".join(s + "\n" for s in shas).encode(), timeout=timeout).stdout
    found, pos = {}, 0
    for sha in shas:
        eol = out.index(b"\n", pos)
        header = out[pos:eol].split()
        pos = eol + 1
        if len(header) == 3 and header[1] in (b"tree", b"blob", b"commit", b"tag"):
            size = int(header[2])
            if header[1] == kind:
                found[sha] = out[pos:pos + size]
            pos += size + 1
    return found
