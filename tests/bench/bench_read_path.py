#!/usr/bin/env python3
"""Benchmark the read path (the catalog: /resume, search, digest) at 10,000 and 50,000 logs.

    .venv/bin/python tests/bench/bench_read_path.py [--sizes 10000,50000] [--runs N] [--keep DIR]

Each size is a repository generated as tests/bench/bench_resume.py does (12 operators, three
years, legacy ``CONV-*`` logs, 300 workstreams), with a week of logs and 200 commits for the
digest. Every figure is the median of fresh processes through the launcher, printed next to
its floor measured in the same run, interleaved (issue 17):

- warm floor: ``python3 -c "import sqlite3"`` plus ``os.stat`` of every log and workstream file
  (what a correct freshness check must do): warm /resume and a selective search at most 1.5x;
  a search whose words are in most logs, and digest of a week, at most 2x;
- cold floor: ``import sqlite3`` plus reading every file once: the first command on a fresh
  clone (the catalog built) at most 6x;
- the command right after one new log: at most 1.5x a warm one.
No ratio may grow from the smaller size to the larger.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_digest import WEEK, add_week_logs, make_commits  # noqa: E402
from bench_resume import NOW, REPO, _iso, generate  # noqa: E402

FILES = "import os, sys\nfiles = [os.path.join(d, n) for d in sys.argv[1:] for n in os.listdir(d)]\n"
WARM_FLOOR = "import sqlite3\n" + FILES + "for p in files:\n    os.stat(p)\n"
COLD_FLOOR = "import sqlite3\n" + FILES + "for p in files:\n    with open(p, 'rb') as f:\n        f.read()\n"
RACY_WINDOW_S = 2.1  # lib/catalog/scan.py RACY_WINDOW_NS, and a margin
COMMON = "webhooks ledger"  # words in most logs
RARE = "kestrel"  # in 10 logs
NEW_LOG = """---
id: "{id}"
operator: "RT"
title: "New work {n}"
date: "2026-11-19"
---
# New work {n}

## Summary

The zebrafinch{n} change.
"""


def _run(cmd: list, env: dict, cwd: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``. Both are printed: on a loaded machine wall
    times swing on both sides of a ratio, while CPU time is what the code itself costs."""
    before = os.times()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit("benchmark command failed: %s\n%s" % (" ".join(cmd), proc.stderr.decode()[-2000:]))
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _backdate(dirs: list, seconds: float = 86400) -> None:
    """As after a checkout a while ago: no file in the racy window (lib/catalog/scan.py)."""
    t = time.time() - seconds
    for d in dirs:
        for name in os.listdir(d):
            os.utime(os.path.join(d, name), (t, t))


def measure(n_logs: int, runs: int, keep: str | None) -> dict:
    root = keep or tempfile.mkdtemp(prefix="handoff-bench-read-")
    os.makedirs(root, exist_ok=True)
    try:
        generate(root, n_logs - 300, 300)
        add_week_logs(root, 300, random.Random(5))
        sessions, workstreams = os.path.join(root, "docs", "sessions"), os.path.join(root, "workstreams")
        for name in sorted(os.listdir(sessions))[::1000]:
            with open(os.path.join(sessions, name), "a") as f:
                f.write("\n- Decided on the kestrel layout.\n")
        subprocess.run(["git", "init", "-q", root], check=True)
        make_commits(root, 200)
        dirs = [sessions, workstreams]
        _backdate(dirs)
        time.sleep(RACY_WINDOW_S)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CLAUDE", "HANDOFF_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"CLAUDE_PROJECT_DIR": "", "HANDOFF_NOW": _iso(NOW), "HANDOFF_PYTHON": sys.executable,
                    "PYTHONPYCACHEPREFIX": root + "-pycache"})
        launcher = ["sh", os.path.join(REPO, "scripts", "handoff")]
        commands = {
            "search": launcher + ["search", RARE],
            "search_common": launcher + ["search", COMMON],
            "resume": launcher + ["resume", "--operator", "RT"],
            "digest": launcher + ["digest", "--week", WEEK, "--no-github"],
        }
        floors = {"warm_floor": [sys.executable, "-c", WARM_FLOOR, *dirs],
                  "cold_floor": [sys.executable, "-c", COLD_FLOOR, *dirs]}
        catalog = os.path.join(root, ".git", "handoff", "state", "catalog.sqlite3")

        def drop_catalog():
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(catalog + suffix):
                    os.unlink(catalog + suffix)

        for cmd in list(commands.values()) + list(floors.values()):
            _run(cmd, env, root)  # page cache and .pyc files
        got: dict = {}

        def timed(key: str, cmd: list) -> None:
            wall, cpu = _run(cmd, env, root)
            got.setdefault(key, ([], []))
            got[key][0].append(wall)
            got[key][1].append(cpu)

        for _ in range(runs):
            drop_catalog()
            timed("cold", commands["search"])
            timed("cold_floor", floors["cold_floor"])
        for _ in range(runs):
            for key, cmd in commands.items():
                timed(key, cmd)
            timed("warm_floor", floors["warm_floor"])
        past = time.time() - 86400
        for n in range(runs):
            log_id = "RT-261119-%02d" % (90 + n)
            path = os.path.join(sessions, log_id + ".md")
            with open(path, "w") as f:
                f.write(NEW_LOG.format(id=log_id, n=n))
            os.utime(path, (past, past))  # as a pulled log a moment ago: not in the racy window
            time.sleep(RACY_WINDOW_S)  # (its ctime cannot be set back: wait the window out)
            timed("new", commands["search"])
            timed("warm_pair", commands["search"])
        found = subprocess.run(launcher + ["search", "zebrafinch0", "--json"], env=env, cwd=root,
                               capture_output=True, text=True)
        assert '"RT-261119-90"' in found.stdout, found.stdout + found.stderr
        return {k: (statistics.median(w) * 1000, statistics.median(c) * 1000) for k, (w, c) in got.items()}
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root + "-pycache", ignore_errors=True)  # beside the repo: never a file at hand


ROWS = (
    ("first command on a fresh clone (catalog built)", "cold", "cold_floor", 6.0),
    ("warm /resume", "resume", "warm_floor", 1.5),
    ("warm search, a word in 10 logs", "search", "warm_floor", 1.5),
    ("warm search, words in most logs", "search_common", "warm_floor", 2.0),
    ("warm digest of a week (git included)", "digest", "warm_floor", 2.0),
    ("search right after one new log", "new", "warm_pair", 1.5),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        results[size] = measure(size, args.runs, args.keep and os.path.join(args.keep, str(size)))
    sizes = sorted(results)
    print("read path, %s logs + 300 workstreams: median ms (wall | CPU), ratio to its floor; load average %s" % (
        " and ".join(format(s, ",") for s in sizes), " ".join("%.1f" % x for x in os.getloadavg())))
    print("floors: warm = import sqlite3 + os.stat of every file; cold = import sqlite3 + read every file once")
    for label, mine, floor, target in ROWS:
        cells = []
        for size in sizes:
            r = results[size]
            cells.append("%s: %.0f ms (CPU %.0f) vs %.0f ms (CPU %.0f) = %.2fx (CPU %.2fx)" % (
                format(size, ","), r[mine][0], r[mine][1], r[floor][0], r[floor][1],
                r[mine][0] / r[floor][0], r[mine][1] / max(r[floor][1], 1e-9)))
        print("- %s (target <= %.1fx; %s): %s" % (label, target, floor.replace("_", " "), " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
