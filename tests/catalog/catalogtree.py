"""Helpers for the catalog tests (tests/catalog/): where the catalog is, edits as tools make
them, git, and a simulated file system for the real helper process.

Logs are written as write-session writes them (tests/recall/recalltree.py); every check goes
through the real commands (``search``, ``learnings``, ``decisions``) in their own processes.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from recalltree import ids, log, noise, search  # noqa: F401  (re-exported for the catalog tests)

from hookutil import state_dir
from lib.catalog import scan

NAME = "catalog.sqlite3"
OLD = "AB-261001-01"  # one of noise()'s logs (October 2026: long before the tests' now)


def catalog(root: Path) -> Path:
    """The catalog of ``root``: in the state dir (under the git common dir: never committed)."""
    return state_dir(root) / NAME


def log_path(root: Path, name: str) -> Path:
    return root / "docs" / "sessions" / (name + ".md")


def quiet(root: Path, seconds: float = 3600) -> None:
    """Every log and workstream last modified ``seconds`` ago, as when they came in a while back;
    then the racy window waited out, since setting the mtime back moves the ctime (no one can set
    that back), and a file changed that recently is read again by every command (scan.settled)."""
    t = time.time() - seconds
    for sub in ("docs/sessions", "workstreams"):
        d = root / sub
        if d.is_dir():
            for p in d.iterdir():
                os.utime(p, (t, t), follow_symlinks=False)
    time.sleep(scan.RACY_WINDOW_NS / 1e9 + 0.05)


def edit_in_place(path: Path, old: str, new: str) -> None:
    """Rewrite ``path`` in place (same inode, as an editor that saves in place), ``old`` replaced
    by ``new`` of the same length, its mtime put back (as ``rsync -t`` or ``tar`` leave it): only
    its ctime tells."""
    assert len(old) == len(new)
    st = path.stat()
    with open(path, "r+b") as f:
        data = f.read()
        assert old.encode() in data
        f.seek(0)
        f.write(data.replace(old.encode(), new.encode()))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def git(root: Path, *args: str) -> str:
    cmd = ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.com", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def one_line(proc: subprocess.CompletedProcess, *words: str) -> str:
    """The single ``handoff: ...`` line a failed helper prints (exit 1, no traceback)."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("handoff: "), proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    return proc.stderr


def answered(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, (proc.returncode, proc.stderr)


def site(tmp_path: Path, code: str) -> dict:
    """An environment whose Python runs ``code`` first (a ``sitecustomize`` on PYTHONPATH): how a
    test gives the real helper process a file system or an SQLite this machine does not have."""
    d = tmp_path / "site"
    d.mkdir(exist_ok=True)
    (d / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": str(d)}
