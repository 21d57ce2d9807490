#!/usr/bin/env python3
"""Benchmark: ``write-session`` end to end in a repo with 10 logs and with 10,000 logs, and
(issue 9) with 10,000 logs and 50 branches against today's figure at 10,000 logs.

    .venv/bin/python tests/bench/bench_write_session.py [--runs N] [--logs N] [--branches N]

Each run is the real thing: a new process of ``scripts/handoff_helpers.py write-session`` (as the
launcher runs it) reading a draft on stdin, resolving the operator, collecting git stats,
allocating an id under the operator lock, validating and writing the log. The big repo's logs
are spread over 5 operators and 400 days and committed in one go. Id allocation reads only the
directory's names (one listing, ~4 ms at 10,000 names; no log of another day is opened), so the
ratio between the two medians should stay near 1.

Issue 9 counts the ids of every worktree and branch (store/id_registry.py, cached by ref sha)
and fetches first (no remote here: skipped). "Today's figure" is the allocation before that,
measured in the same run: the same process, command and repo, but `write_session` called with
``ids=None`` (this worktree's directory only), through `TODAY_DRIVER`. Goal: <= 1.3x.

Prints: ``write-session  10 logs: median X ms | 10,000 logs: median Y ms | ratio Z`` and
``write-session  10,000 logs + 50 branches: median B ms | today's 10,000 logs: median T ms | ratio R``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELPERS = REPO / "scripts" / "handoff_helpers.py"
sys.path.insert(0, str(REPO / "scripts"))

from lib.logs import frontmatter  # noqa: E402

NOW = "2026-11-21T12:00:00Z"
OPERATORS = ("AB", "CD", "EF", "GH", "IJ")
DRAFT = {
    "title": "Benchmark session",
    "summary": "A session written by the benchmark.",
    "resume_prompt": "Nothing to resume: this is a benchmark.",
    "confidence": "H",
    "workstreams": ["bench"],
    "body": {"What I Did": ["Measured write-session"], "Learnings": "Cost must not grow with history."},
    # As the telemetry start would: the session's git window excludes the seed commit (else
    # its 10,000 added files are the session's own changes and `git log --numstat` pays for them).
    "since": "2026-11-21T11:00:00Z",
}


def env_for(state_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_", "GIT_"))}
    env.update(
        HANDOFF_NOW=NOW,
        HANDOFF_OPERATOR="RT",
        HANDOFF_STATE_DIR=str(state_dir),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    return env


def log_text(op: str, day_index: int, seq: int) -> tuple:
    t = time.gmtime(time.mktime((2025, 1, 1, 12, 0, 0, 0, 0, 0)) + day_index * 86400)
    date = time.strftime("%Y-%m-%d", t)
    log_id = "%s-%s-%02d" % (op, time.strftime("%y%m%d", t), seq)
    meta = {
        "schema_version": 1,
        "id": log_id,
        "type": "session",
        "operator": op,
        "title": "Old session %s" % log_id,
        "date": date,
        "session_id": "old-%s" % log_id,
        "started_at": date + "T09:00:00Z",
        "ended_at": date + "T10:00:00Z",
        "branch": "main",
        "head_commit": None,
        "commits": 0,
        "files_changed": 0,
        "insertions": 0,
        "deletions": 0,
        "first_commit_at": None,
        "last_commit_at": None,
        "active_min_estimate": None,
        "handoff_write_min": None,
        "tool_calls_total": None,
        "tool_calls": None,
        "mcp": None,
        "subagents": None,
        "failures": None,
        "interruptions_count": None,
        "parallel_sessions": None,
        "invariants": None,
        "workstreams": [],
        "confidence": "M",
        "summary": "Old work.",
        "resume_prompt": "Old prompt.",
    }
    return log_id, frontmatter.dumps(meta, "# %s\n\n## Summary\n\nOld work.\n" % meta["title"])


def make_repo(root: Path, n_logs: int) -> Path:
    repo = root / ("repo-%d" % n_logs)
    sessions = repo / "docs" / "sessions"
    sessions.mkdir(parents=True)
    env = env_for(root / ("state-%d" % n_logs))
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    made = 0
    day = 0
    while made < n_logs:
        for op in OPERATORS:
            for seq in range(1, 6):
                if made == n_logs:
                    break
                log_id, text = log_text(op, day, seq)
                (sessions / (log_id + ".md")).write_text(text)
                made += 1
        day += 1
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    seeded = dict(env, GIT_AUTHOR_DATE="2025-01-01T00:00:00Z", GIT_COMMITTER_DATE="2025-01-01T00:00:00Z")
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "seed %d logs" % n_logs], check=True, env=seeded)
    return repo


# write-session as it was before issue 9: the command's own steps with `ids=None` (no registry,
# no fetch, the state dir's operator lock). Same interpreter, imports and repo as the real one.
TODAY_DRIVER = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from lib.commands import write_session as cmd
from lib.core.discovery import discover
from lib.logs.session_log import parse_request
from lib.logs.write_session import write_session
import json
project = discover(sys.argv[2])
request = parse_request(cmd.parse_input(sys.stdin.buffer.read()))
sid = os.environ.get("CLAUDE_CODE_SESSION_ID")
result = write_session(project, request, env_session_id=sid)
json.dump(result.to_json(), sys.stdout)
"""


def add_branches(repo: Path, n: int, state_dir: Path) -> None:
    """``n`` branches off main, each one commit adding one more log (so each has its own tree)."""
    env = env_for(state_dir)
    index = repo / ".git" / "bench-index"
    genv = dict(env, GIT_INDEX_FILE=str(index))

    def git(*args, input=None, e=genv):
        return subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, text=True,
                              check=True, env=e).stdout.strip()

    git("read-tree", "main")
    for i in range(n):
        log_id, text = log_text("ZZ", i, 1)
        blob = git("hash-object", "-w", "--stdin", input=text)
        git("update-index", "--add", "--cacheinfo", "100644,%s,docs/sessions/%s.md" % (blob, log_id))
        tree = git("write-tree")
        commit = git("commit-tree", tree, "-p", "main", "-m", "branch %d" % i)
        git("update-ref", "refs/heads/branch-%02d" % i, commit)
        git("read-tree", "main")
    index.unlink()


def one_run(repo: Path, state_dir: Path, session_id: str, today: bool = False) -> float:
    env = env_for(state_dir)
    env["CLAUDE_CODE_SESSION_ID"] = session_id
    argv = [sys.executable, str(HELPERS), "write-session", "--root", str(repo)]
    if today:
        argv = [sys.executable, "-c", TODAY_DRIVER, str(REPO / "scripts"), str(repo)]
    started = time.perf_counter()
    out = subprocess.run(
        argv,
        input=json.dumps(DRAFT),
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit("write-session failed in %s: %s" % (repo, out.stderr))
    return elapsed * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=50)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-write-session-"))
    try:
        small, big = make_repo(root, 10), make_repo(root, args.logs)
        (root / "b").mkdir()
        branched = make_repo(root / "b", args.logs)  # its own copy: the branches must not slow the others
        add_branches(branched, args.branches, root / "b" / "state")
        states = {"small": root / "state-10", "big": root / ("state-%d" % args.logs), "today": root / "state-today",
                  "branched": root / "b" / "state"}
        one_run(small, states["small"], "warmup-small")  # warm caches (imports, page cache)
        one_run(big, states["big"], "warmup-big")
        one_run(big, states["today"], "warmup-today", today=True)
        one_run(branched, states["branched"], "warmup-branched")  # fills the id registry cache
        times = {"small": [], "big": [], "today": [], "branched": []}
        for i in range(args.runs):  # interleaved, so drift hits all alike
            times["small"].append(one_run(small, states["small"], "s-%d" % i))
            times["big"].append(one_run(big, states["big"], "s-%d" % i))
            times["today"].append(one_run(big, states["today"], "t-%d" % i, today=True))
            times["branched"].append(one_run(branched, states["branched"], "s-%d" % i))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(
            "write-session  10 logs: median %.1f ms | %s logs: median %.1f ms | ratio %.2f"
            % (med["small"], format(args.logs, ","), med["big"], med["big"] / med["small"])
        )
        print(
            "write-session  %s logs + %d branches: median %.1f ms | today's %s logs: median %.1f ms | ratio %.2f"
            " (goal <= 1.3)"
            % (format(args.logs, ","), args.branches, med["branched"], format(args.logs, ","), med["today"],
               med["branched"] / med["today"])
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
