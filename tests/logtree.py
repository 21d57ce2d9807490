"""Building log trees for tests: session logs, workstreams and a small team, plus running helpers.

Shared by the /resume, index, backfill and session-start tests (``repo`` fixture: tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELPERS = REPO / "scripts" / "handoff_helpers.py"
NOW = "2026-11-21T12:00:00Z"
sys.path.insert(0, str(REPO / "scripts"))

from lib.logs import frontmatter  # noqa: E402


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env["HANDOFF_NOW"] = NOW
    if extra:
        env.update(extra)
    return env


def run_helper(root: Path, *args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(HELPERS), args[0], "--root", str(root), *args[1:]]
    return subprocess.run(argv, capture_output=True, text=True, env=clean_env(env), cwd=cwd or root, timeout=60)


def resume(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = run_helper(root, "resume", *args, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def resume_json(root: Path, operator: str, *args: str, env: dict | None = None) -> dict:
    proc = resume(root, "--operator", operator, "--json", *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def write_log(root: Path, name: str, body: str = "## Summary\n\nx\n", **meta) -> Path:
    """docs/sessions/<name>.md; ``meta`` defaults: a title, and for named logs id/operator/date."""
    path = root / "docs" / "sessions" / (name + ".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = name.split("-")
    if not name.startswith("CONV-"):
        meta.setdefault("id", name)
        meta.setdefault("operator", parts[0])
        meta.setdefault("date", "20%s-%s-%s" % (parts[1][:2], parts[1][2:4], parts[1][4:6]))
    meta.setdefault("title", "Title of " + name)
    meta = {k: v for k, v in meta.items() if v is not None}
    path.write_text(frontmatter.dumps(meta, body))
    return path


def write_ws(root: Path, slug: str, owner: str, status: str = "active", phases=None, title=None, body_extra="") -> Path:
    path = root / "workstreams" / (slug + ".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    phases = [(True, "P1 start"), (False, "P2 middle"), (False, "P3 end")] if phases is None else phases
    checklist = "\n".join("- [%s] %s" % ("x" if done else " ", text) for done, text in phases)
    meta = {"title": title or slug.replace("-", " ").title(), "owner": owner, "status": status}
    path.write_text(frontmatter.dumps(meta, "\n## Phases\n\n%s\n%s" % (checklist, body_extra)))
    return path


def backdate(root: Path, seconds: float = 86400) -> None:
    """Make every file old enough to be cached (files changed in the last 2 s never are)."""
    t = time.time() - seconds
    for directory in ("docs/sessions", "workstreams"):
        d = root / directory
        if d.is_dir():
            for p in d.iterdir():
                os.utime(p, (t, t))


def team(root: Path) -> None:
    """RT owns two workstreams, AB and CK one each; logs by all three."""
    write_ws(root, "resume-dash", "RT", phases=[(True, "P1 cache"), (True, "P2 footer"), (False, "P3 bench")])
    write_ws(root, "old-thing", "RT", status="done", phases=[(True, "P1 only")])
    write_ws(root, "auth", "AB", phases=[(True, "P1 tokens"), (False, "P2 refresh")], title="Auth rewrite")
    write_ws(root, "billing", "CK", status="paused", phases=[])
    write_log(root, "RT-261120-01", workstreams=["resume-dash"], ended_at="2026-11-20T10:00:00Z",
              resume_prompt="Continue with P3: write the benchmark.\nThen tune.", summary="Cache done.")
    write_log(root, "AB-261121-01", title="Token refresh", workstreams=["auth"], ended_at="2026-11-21T09:30:00Z")
    write_log(root, "CK-261119-02", title="Invoices", workstreams=["billing", "auth"], ended_at="2026-11-19T12:00:00Z")
    write_log(root, "CK-261121-01", title="Unrelated", workstreams=[], ended_at="2026-11-21T11:00:00Z")
