#!/usr/bin/env python3
"""Benchmark the team memory (issue 18) at 3,000 and 10,000 logs.

    .venv/bin/python tests/bench/bench_memory.py [--logs N ...] [--runs N]

The repository of bench_resume.py (every log with decisions, open questions and learnings:
thousands of open items), committed on ``main`` (the trusted ref). Prints, median of fresh
processes through the launcher:

- ``memory`` warm (catalog current) against the warm floor (``import sqlite3`` + ``os.stat`` of
  every log and workstream, as bench_read_path.py) and against ``whoami`` (helper start-up);
- the SessionStart hook exactly as registered, memory on: on a fresh clone (no catalog: it is
  built inside the hook's run) and warm, against its budget (the helper gets 3 s, the hook 4.5 s),
  and the characters it injected;
- what the briefing adds to ``resume`` (``resume`` vs ``resume --no-memory``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))

from bench_resume import NOW, WARM_FLOOR, _iso, _time, generate  # noqa: E402

from hookutil import payload, registered_command  # noqa: E402


def ms(values) -> float:
    return statistics.median(values) * 1000


def one(n_logs: int, runs: int) -> None:
    root = tempfile.mkdtemp(prefix="handoff-bench-memory-")
    try:
        facts = generate(root, n_logs, 300)
        subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
        git_env = dict(os.environ, GIT_AUTHOR_NAME="B", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="B",
                       GIT_COMMITTER_EMAIL="b@x")
        subprocess.run(["git", "-C", root, "add", "-A"], check=True)
        subprocess.run(["git", "-C", root, "commit", "-q", "--no-verify", "-m", "logs"], check=True, env=git_env)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CLAUDE", "HANDOFF_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"CLAUDE_PROJECT_DIR": "", "HANDOFF_NOW": _iso(NOW), "HANDOFF_PYTHON": sys.executable,
                    "HANDOFF_OPERATOR": facts["operator"], "PYTHONPYCACHEPREFIX": root + "-pycache"})
        launcher = os.path.join(REPO, "scripts", "handoff")
        dirs = [os.path.join(root, "docs", "sessions"), os.path.join(root, "workstreams")]
        memory = ["sh", launcher, "memory"]
        _time(memory, env, root)
        warm, floor, base = [], [], []
        for _ in range(runs):
            _time(memory, env, root, warm)
            _time([sys.executable, "-c", WARM_FLOOR] + dirs, env, root, floor)
            _time(["sh", launcher, "whoami"], env, root, base)
        resume, resume_bare = [], []
        for _ in range(runs):
            _time(["sh", launcher, "resume"], env, root, resume)
            _time(["sh", launcher, "resume", "--no-memory"], env, root, resume_bare)
        # the hook, as registered (the project-local command; the bundle is this checkout)
        command = registered_command("SessionStart")
        argv = shlex.split(command.replace("$CLAUDE_PROJECT_DIR", REPO).replace('"', ""))
        hook_env = dict(env, CLAUDE_PROJECT_DIR=root)
        state = os.path.join(root, ".git", "handoff", "state")
        catalog = os.path.join(state, "catalog.sqlite3")
        cold, hot, chars = [], [], []
        for i in range(runs):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(catalog + suffix):
                    os.unlink(catalog + suffix)
            for into in (cold, hot):
                data = json.dumps(payload("SessionStart", session_id="bench-%d-%d" % (i, len(into)),
                                          source="startup")).encode()
                t0 = time.perf_counter()
                out = subprocess.run(argv, input=data, env=hook_env, cwd=root, capture_output=True)
                into.append(time.perf_counter() - t0)
                context = json.loads(out.stdout)["hookSpecificOutput"]["additionalContext"] if out.stdout else ""
                chars.append(len(context))
        errors = os.path.join(state, "hook-errors.log")
        problems = ""
        if os.path.exists(errors):
            with open(errors) as f:
                problems = f.read()
        print("%s logs (%d open items or more):" % (format(facts["logs"], ","), 2 * facts["logs"]))
        print("  memory warm: median %.0f ms | warm floor %.0f ms | ratio %.2f | helper start-up (whoami) %.0f ms"
              % (ms(warm), ms(floor), ms(warm) / ms(floor), ms(base)))
        print("  resume warm: %.0f ms with the briefing, %.0f ms without (--no-memory)" % (ms(resume), ms(resume_bare)))
        print("  SessionStart hook, memory on: fresh clone (catalog built) median %.0f ms (max %.0f), warm %.0f ms;"
              " budget 3000 ms for the helper, 4500 for the hook; injected %d-%d characters (budget 6000)%s"
              % (ms(cold), max(cold) * 1000, ms(hot), min(chars), max(chars),
                 "" if not problems else "; hook-errors.log: " + problems.strip().splitlines()[-1][:200]))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root + "-pycache", ignore_errors=True)  # beside the repo: not a file at hand


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, nargs="+", default=[3000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for n in args.logs:
        one(n, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
