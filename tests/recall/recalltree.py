"""Log trees for the recall tests: logs shaped as write-session writes them, and the helpers."""

from __future__ import annotations

import json
from pathlib import Path

from hookutil import state_dir
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


def settle(root: Path, env: dict | None = None) -> None:
    """Wait until the full check a search deferred (lib/recall/verify.py) is done. Tests that
    count what a search read, or change files right after one, call this first so that the
    check is not racing them."""
    from lib.recall import verify

    state = Path((env or {}).get("HANDOFF_STATE_DIR") or state_dir(root))
    verify.wait(str(state), str(root))


def stats(root: Path, *words: str, env: dict | None = None) -> dict:
    """What one search's index update did (``--stats``: check, read, parsed, removed, built),
    once its deferred check has run."""
    proc = run_helper(root, "search", "--stats", "--json", *(words or ("anything",)), env=env)
    settle(root, env)
    assert proc.returncode == 0, proc.stderr
    line = [x for x in proc.stderr.splitlines() if x.startswith("search: ")][-1]
    return json.loads(line[len("search: "):])


def search(root: Path, *args: str, env: dict | None = None) -> dict:
    proc = run_helper(root, "search", "--json", *args, env=env)
    settle(root, env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def ids(result: dict) -> list:
    return [h["id"] for h in result["hits"]]
