"""Helpers for the digest tests: commits at chosen times, full session logs, running the helper."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from logtree import run_helper, write_log

NOW = "2026-11-27T12:00:00Z"  # a Friday in 2026-W48


def git(root: Path, *args: str, at: str | None = None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="R T", GIT_AUTHOR_EMAIL="rt@example.com",
               GIT_COMMITTER_NAME="R T", GIT_COMMITTER_EMAIL="rt@example.com")
    if at:
        env.update(GIT_AUTHOR_DATE=at, GIT_COMMITTER_DATE=at)
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout


def commit_file(root: Path, rel: str, lines: int, at: str, message: str = "work") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text() if path.exists() else ""
    path.write_text(old + "".join(f"{message} line {i}\n" for i in range(lines)))
    git(root, "add", "--", rel)
    git(root, "commit", "-qm", message, at=at)


def session(root: Path, name: str, ended_at: str, body: str | None = None, **meta) -> Path:
    meta.setdefault("ended_at", ended_at)
    meta.setdefault("started_at", ended_at)
    return write_log(root, name, body=body or "# t\n\n## Summary\n\nx\n", **meta)


def digest(root: Path, *args: str, env: dict | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    proc = run_helper(root, "digest", *args, env={"HANDOFF_NOW": NOW, **(env or {})})
    assert "Traceback" not in proc.stderr, proc.stderr
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def digest_json(root: Path, *args: str, env: dict | None = None) -> dict:
    return json.loads(digest(root, "--json", *args, env=env).stdout)


def body(decisions=(), learnings=(), questions=()) -> str:
    parts = ["# title", "", "## Summary", "", "x", ""]
    for heading, items in (("Decisions Made", decisions), ("Learnings", learnings), ("Open Questions", questions)):
        if items:
            parts += [f"## {heading}", "", *[f"- {i}" for i in items], ""]
    return "\n".join(parts)
