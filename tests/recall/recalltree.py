"""Log trees for the recall tests: logs shaped as write-session writes them, and the helpers."""

from __future__ import annotations

import json
from pathlib import Path

from logtree import run_helper, write_log

FILLER = ["queue", "cache", "deploy", "export", "sync", "report", "audit", "profile", "metrics", "alerts"]


def body(title: str, summary: str = "Routine work.", **sections: str) -> str:
    """A body as lib/logs/session_log.render_body lays it out (keys: did, decisions, future,
    learnings, questions, resume)."""
    names = {"did": "What I Did", "decisions": "Decisions Made", "future": "For Future Me",
             "learnings": "Learnings", "questions": "Open Questions"}
    parts = [f"# {title}", "", "## Summary", "", summary, ""]
    for key, name in names.items():
        parts += [f"## {name}", "", sections.get(key, "_None._"), ""]
    parts += ["## Resume Prompt", "", "```text", sections.get("resume", "Carry on."), "```", ""]
    return "\n".join(parts)


def log(root: Path, name: str, title: str, summary: str = "Routine work.", workstreams=(), **sections) -> Path:
    return write_log(root, name, body(title, summary, **sections), title=title, summary=summary,
                     workstreams=list(workstreams))


def noise(root: Path, n: int, start_day: int = 1, word: str | None = None) -> list:
    """``n`` ordinary logs (a few per day in Oct 2026); ``word`` (if given) in each one's body."""
    names = []
    for i in range(n):
        day = start_day + i // 3
        name = "AB-2610%02d-%02d" % (day, i % 3 + 1)
        filler = " ".join(FILLER[(i + k) % len(FILLER)] for k in range(12))
        did = "- %s %s" % (filler, word or "")
        log(root, name, "Routine %s %d" % (FILLER[i % len(FILLER)], i), did=did, learnings="- " + filler)
        names.append(name)
    return names


def search(root: Path, *args: str, env: dict | None = None) -> dict:
    proc = run_helper(root, "search", "--json", *args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def ids(result: dict) -> list:
    return [h["id"] for h in result["hits"]]
