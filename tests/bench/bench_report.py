#!/usr/bin/env python3
"""Benchmark ``report`` at a team's scale: the static HTML report of 10,000 session logs.

    .venv/bin/python tests/bench/bench_report.py [--logs N] [--workstreams N] [--runs N]

The history is /resume's benchmark repository (tests/bench/bench_resume.py `generate`: 12
operators over three years, 300 workstreams) in a git repository. Times ``scripts/handoff
report`` through the launcher, as /report runs it: once cold (no catalog: the first command on a
fresh clone also builds it) and then ``--runs`` warm runs (the catalog current), and prints the
build time, the number of files and the largest one (issue 19: under 30 s, stretch 10 s; no
page or data file over 2 MB). A figure to read: the script fails only when the report fails or
a file is over the size limit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_resume  # noqa: E402
from bench_resume import DAY, REPO, _iso  # noqa: E402

TARGET_S = 30.0
STRETCH_S = 10.0
MAX_FILE_BYTES = 2 * 1024 * 1024


def largest(folder: str, suffix: str = "") -> tuple:
    """(bytes, relative path) of the biggest file whose name ends with ``suffix``."""
    best = (0, "")
    for dirpath, _, names in os.walk(folder):
        for name in names:
            if name.endswith(suffix):
                path = os.path.join(dirpath, name)
                best = max(best, (os.path.getsize(path), os.path.relpath(path, folder)))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--workstreams", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="handoff-bench-report-")
    try:
        t0 = time.perf_counter()
        bench_resume.generate(root, args.logs, args.workstreams)
        past = time.time() - DAY
        for d in ("docs/sessions", "workstreams"):
            for name in os.listdir(os.path.join(root, d)):
                os.utime(os.path.join(root, d, name), (past, past))
        subprocess.run(["git", "init", "-q", root], check=True)
        print("generated %s logs in %.1f s" % (format(args.logs, ","), time.perf_counter() - t0))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CLAUDE", "HANDOFF_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"CLAUDE_PROJECT_DIR": "", "HANDOFF_NOW": _iso(bench_resume.NOW), "HANDOFF_PYTHON": sys.executable,
                    "PYTHONPYCACHEPREFIX": os.path.join(root, ".pycache"), "PATH": "/usr/bin:/bin"})
        out = os.path.join(root, "site")
        argv = ["sh", os.path.join(REPO, "scripts", "handoff"), "report", "--out", out]

        def timed() -> float:
            t = time.perf_counter()
            proc = subprocess.run(argv, env=env, cwd=root, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit("report failed: %s" % proc.stderr[-2000:])
            return time.perf_counter() - t

        cold = timed()
        warm = [timed() for _ in range(args.runs)]
        size, name = largest(out)
        files = sum(len(names) for _, _, names in os.walk(out))
        med = statistics.median(warm)
        print("report cold (catalog built too): %.1f s | warm: median %.1f s of %d (target < %.0f s, stretch < %.0f s:"
              " %s)" % (cold, med, len(warm), TARGET_S, STRETCH_S,
                        "ok" if med < STRETCH_S else "ok, over stretch" if med < TARGET_S else "OVER"))
        page_size, page = largest(out, ".html")
        print("report files: %s | largest page: %s, %.0f KB | largest file: %s, %.0f KB (limit 2 MB: %s)" % (
            format(files, ","), page, page_size / 1024, name, size / 1024, "ok" if size <= MAX_FILE_BYTES else "OVER"))
        return 0 if size <= MAX_FILE_BYTES else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
