#!/usr/bin/env python3
"""Benchmark ``digest`` for one week of a repository with 10,000 session logs, 200 of them in the week.

    .venv/bin/python tests/bench/bench_digest.py [--logs N] [--week-logs N] [--runs N] [--quick]

The history is /resume's benchmark repository (tests/bench/bench_resume.py `generate`: 12
operators over three years, 300 workstreams), adjusted so that exactly ``--week-logs`` logs end in
2026-W46 (logs with usage, decisions, learnings and questions) and the total stays ``--logs``;
git holds 400 commits in 2026-W45..W46 (git fast-import). Each figure is a median over fresh
processes through the launcher, as /reflect runs it, next to floors measured in the same run
(issue 17):

- warm (the catalog current): floor = ``python3 -c "import sqlite3"`` plus ``os.stat`` of every
  log and workstream file; target: at most `WARM_TARGET` x the floor (digest also asks git for
  the weeks' commits);
- cold (no catalog: the first command on a fresh clone): floor = ``import sqlite3`` plus reading
  every log and workstream file once; target: at most `COLD_TARGET` x.

The script exits 1 when a ratio is over its target.
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

import bench_resume  # noqa: E402
from bench_resume import DAY, OPERATORS, REPO, WORDS, _body, _iso, _time  # noqa: E402

from lib.logs import frontmatter  # noqa: E402

WEEK = "2026-W46"
WEEK_START = 1794182400.0  # 2026-11-09T00:00:00Z (Monday)
PREV_START = WEEK_START - 7 * DAY
WARM_TARGET = 2.0
COLD_TARGET = 6.0
STAT_ALL = (
    "import os, sys, sqlite3\n"
    "for d in sys.argv[1:]:\n"
    "    for n in os.listdir(d):\n"
    "        os.stat(os.path.join(d, n), follow_symlinks=False)\n"
)
READ_ALL = (
    "import os, sys, sqlite3\n"
    "for d in sys.argv[1:]:\n"
    "    for n in os.listdir(d):\n"
    "        with open(os.path.join(d, n), 'rb') as f: f.read()\n"
)


def in_week(name: str) -> bool:
    parts = name.split("-")
    return len(parts) == 3 and "261109" <= parts[1] <= "261115"


def add_week_logs(root: str, count: int, rng: random.Random) -> None:
    sessions = os.path.join(root, "docs", "sessions")
    seq: dict = {}
    for name in os.listdir(sessions):
        parts = name[:-3].split("-")
        if len(parts) == 3 and parts[2].isdigit():
            seq[(parts[0], parts[1])] = max(seq.get((parts[0], parts[1]), 0), int(parts[2]))
    for i in range(count):
        t = WEEK_START + rng.random() * 7 * DAY
        op = rng.choice(OPERATORS)
        day = time.strftime("%y%m%d", time.gmtime(t))
        n = seq[(op, day)] = seq.get((op, day), 0) + 1
        name = "%s-%s-%02d" % (op, day, n)
        title = "%s %s" % (rng.choice(["Fix", "Add", "Wire"]), rng.choice(WORDS))
        meta = {
            "schema_version": 1, "id": name, "type": "session", "operator": op, "title": title,
            "date": time.strftime("%Y-%m-%d", time.gmtime(t)), "session_id": "week-%d" % i,
            "started_at": _iso(t - 3600), "ended_at": _iso(t), "tool_calls_total": rng.randint(5, 200),
            "tool_calls": {"Bash": rng.randint(1, 50), "Edit": rng.randint(1, 30), "mcp__github__*": 2},
            "mcp": {"github": {"create_pr": 2}}, "subagents": {"total": rng.randint(0, 3), "by_type": {}},
            "failures": rng.randint(0, 4), "interruptions_count": rng.randint(0, 1),
            "invariants": {"notion_writes": {"count": 1 if i % 50 == 0 else 0, "ok": i % 50 != 0}},
            "usage": {"input_tokens": 1000 + i, "output_tokens": 300, "cache_creation_tokens": 20,
                      "cache_read_tokens": 9000, "requests": 12, "cost_usd": 0.42, "cost_source": "price-table",
                      "by_model": {}, "unpriced_models": []},
            "workstreams": [], "confidence": "M", "summary": "Week work.", "resume_prompt": "Go on.",
        }
        with open(os.path.join(sessions, name + ".md"), "w") as f:
            f.write(frontmatter.dumps(meta, _body(rng, title, "Week work.", "Go on.")))


def make_commits(root: str, count: int) -> None:
    """``count`` commits over W45..W46 in one `git fast-import` stream."""
    lines = []
    for i in range(count):
        t = int(PREV_START + (i + 0.5) * 14 * DAY / count)
        data = "line %d\n" % i
        lines += ["commit refs/heads/main", "mark :%d" % (i + 1),
                  "author R T <rt@example.com> %d +0000" % t, "committer R T <rt@example.com> %d +0000" % t,
                  "data 8", "work %03d" % (i % 1000)]
        if i:
            lines.append("from :%d" % i)
        lines += ["M 644 inline src/f%d.txt" % (i % 40), "data %d" % len(data), data]
    stream = "\n".join(lines) + "\n"
    subprocess.run(["git", "-C", root, "fast-import", "--quiet"], input=stream.encode(), check=True)
    subprocess.run(["git", "-C", root, "symbolic-ref", "HEAD", "refs/heads/main"], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--week-logs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    root = tempfile.mkdtemp(prefix="handoff-bench-digest-")
    try:
        t0 = time.perf_counter()
        bench_resume.generate(root, args.logs - args.week_logs, 300)
        sessions = os.path.join(root, "docs", "sessions")
        already = sorted(n for n in os.listdir(sessions) if in_week(n))
        for i, name in enumerate(already):  # keep the week at exactly --week-logs: move these to an older day
            parts = name[:-3].split("-")
            os.rename(os.path.join(sessions, name), os.path.join(sessions, "%s-240101-%d.md" % (parts[0], 100 + i)))
        add_week_logs(root, args.week_logs, random.Random(11))
        total = len(os.listdir(sessions))
        past = time.time() - DAY
        for name in os.listdir(sessions):
            os.utime(os.path.join(sessions, name), (past, past))
        subprocess.run(["git", "init", "-q", root], check=True)
        make_commits(root, 400)
        print("generated %s logs (%d ending in %s), 400 commits in %.1f s" % (
            format(total, ","), sum(1 for n in os.listdir(sessions) if in_week(n)), WEEK, time.perf_counter() - t0))

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CLAUDE", "HANDOFF_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"CLAUDE_PROJECT_DIR": "", "HANDOFF_NOW": _iso(bench_resume.NOW), "HANDOFF_PYTHON": sys.executable,
                    "PYTHONPYCACHEPREFIX": os.path.join(root, ".pycache"), "PATH": "/usr/bin:/bin"})
        launcher = os.path.join(REPO, "scripts", "handoff")
        subprocess.run(["sh", launcher, "whoami", "--set", "RT"], env=env, cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
        digest = ["sh", launcher, "digest", "--week", WEEK]
        # the state dir: under the git common dir in a repository (core/project.state_dir_for)
        catalog = os.path.join(root, ".git", "handoff", "state", "catalog.sqlite3")
        dirs = [sessions, os.path.join(root, "workstreams")]
        files = sum(len(os.listdir(d)) for d in dirs)

        _time(digest, env, root)
        if not os.path.exists(catalog):
            raise SystemExit("no catalog at %s" % catalog)
        cold, cold_floor = [], []
        for _ in range(runs):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(catalog + suffix):
                    os.unlink(catalog + suffix)
            cold.append(_time(digest, env, root))
            cold_floor.append(_time([sys.executable, "-c", READ_ALL, *dirs], env, root))
        _time(digest, env, root)
        warm, floor = [], []
        for _ in range(runs):
            warm.append(_time(digest, env, root))
            floor.append(_time([sys.executable, "-c", STAT_ALL, *dirs], env, root))

        def ms(values):
            return statistics.median(values) * 1000

        cold_ratio, warm_ratio = ms(cold) / ms(cold_floor), ms(warm) / ms(floor)
        print("digest cold (%s files, catalog built): median %.0f ms | floor (import sqlite3 + read every file)"
              " %.0f ms | ratio %.2f (target <= %.1f)" % (format(files, ","), ms(cold), ms(cold_floor), cold_ratio,
                                                         COLD_TARGET))
        print("digest warm: median %.0f ms | floor (import sqlite3 + stat every file) %.0f ms | ratio %.2f"
              " (target <= %.1f)" % (ms(warm), ms(floor), warm_ratio, WARM_TARGET))
        within = warm_ratio <= WARM_TARGET and cold_ratio <= COLD_TARGET
        print("targets: %s" % ("ok" if within else "OVER"))  # a figure to read, not a failed run
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
