#!/usr/bin/env python3
"""Benchmark ``/resume`` at a team's scale: 10,000 session logs and 300 workstreams.

    .venv/bin/python tests/bench/bench_resume.py [--logs N] [--workstreams N] [--runs N] [--keep DIR]

Generates a repository in a temp dir (seeded, so every run sees the same history), then times
``scripts/handoff resume`` as the slash command runs it (through the launcher, a fresh process
each time) and prints each median next to its floor measured in the same run (issue 17):

- cold (no catalog: the first command on a fresh clone builds it): floor = ``import sqlite3``
  plus reading every log and workstream once; target at most 6x;
- warm (catalog current): floor = ``import sqlite3`` plus ``os.stat`` of every log and
  workstream (the freshness check a correct catalog cannot skip); target at most 1.5x;
- right after a new log (the catalog reads that one file): target at most 1.5x a warm run.

The history is shaped like a real team's: 12 operators over about three years, each log
touching one or two workstreams that were alive at the time (mostly the author's own), 200
legacy ``CONV-*.md`` logs at the start (half without ``operator:``), and a few workstreams no
log mentions yet, so the peer-activity walk has to go all the way back. Files are back-dated a
day, as after a checkout (files modified in the last 2 s are read again by the next command;
lib/catalog/scan.py).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))

from lib.logs import frontmatter  # noqa: E402

OPERATORS = ["RT", "AB", "CK", "DM", "EL", "FS", "GH", "JW", "KP", "LN", "MO", "SV"]
WORDS = [
    "auth", "billing", "cache", "deploy", "export", "import", "search", "sync", "report", "audit", "queue", "mail",
    "upload", "invoice", "ledger", "profile", "metrics", "alerts", "onboarding", "pricing", "schema", "gateway",
    "webhooks", "catalog", "checkout", "inventory",
]
NOW = 1795000000.0  # 2026-11-18, fixed so ages are stable between runs
DAY = 86400.0


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _body(rng: random.Random, title: str, summary: str, prompt: str) -> str:
    filler = " ".join(rng.choice(WORDS) for _ in range(40))
    parts = ["# %s" % title, "", "## Summary", "", summary, ""]
    for section in ("What I Did", "Decisions Made", "For Future Me", "Learnings", "Open Questions"):
        parts += ["## " + section, "", "- " + filler[:120], "- " + filler[60:200], ""]
    parts += ["## Resume Prompt", "", prompt, ""]
    return "\n".join(parts)


def generate(root: str, n_logs: int, n_ws: int, seed: int = 7) -> dict:
    """Write the repo; returns facts the benchmark and tests use."""
    rng = random.Random(seed)
    sessions = os.path.join(root, "docs", "sessions")
    ws_dir = os.path.join(root, "workstreams")
    os.makedirs(sessions)
    os.makedirs(ws_dir)
    span = 3 * 365 * DAY
    start = NOW - span
    streams = []
    for i in range(n_ws):
        born = start + rng.random() * span
        life = rng.uniform(20, 400) * DAY
        owner = rng.choice(OPERATORS)
        slug = "%s-%s-%d" % (rng.choice(WORDS), rng.choice(WORDS), i)
        ended = born + life
        status = "done" if ended < NOW else rng.choice(["active", "active", "paused"])
        streams.append({"slug": slug, "owner": owner, "born": born, "end": min(ended, NOW), "status": status})
    untouched = {s["slug"] for s in streams[-5:]}  # created but never logged yet
    for s in streams:
        phases = rng.randint(3, 9)
        done = phases if s["status"] == "done" else rng.randint(0, phases - 1)
        lines = ["- [%s] P%d %s %s" % ("x" if k < done else " ", k + 1, rng.choice(WORDS), rng.choice(WORDS))
                 for k in range(phases)]
        meta = {"title": s["slug"].replace("-", " ").capitalize(), "owner": s["owner"], "status": s["status"],
                "updated": time.strftime("%Y-%m-%d", time.gmtime(s["end"]))}
        body = "\n## Phases\n\n%s\n\n## What's Next\n\nKeep going with the next phase.\n" % "\n".join(lines)
        with open(os.path.join(ws_dir, s["slug"] + ".md"), "w") as f:
            f.write(frontmatter.dumps(meta, body))
    times = sorted(start + rng.random() * span for _ in range(n_logs))
    seq: dict = {}
    n_legacy = min(200, n_logs // 10)
    names = []
    for i, t in enumerate(times):
        op = rng.choice(OPERATORS)
        alive = [s for s in streams if s["born"] <= t <= s["end"] + 5 * DAY and s["slug"] not in untouched]
        own = [s for s in alive if s["owner"] == op]
        pool = own if own and rng.random() < 0.75 else alive
        touched = sorted({s["slug"] for s in rng.sample(pool, min(len(pool), rng.randint(1, 2)))}) if pool else []
        day = time.strftime("%y%m%d", time.gmtime(t))
        verb = rng.choice(["Fix", "Add", "Refactor", "Wire", "Test"])
        title = "%s %s and %s" % (verb, rng.choice(WORDS), rng.choice(WORDS))
        words = " ".join(rng.choice(WORDS) for _ in range(25))
        summary = "Worked on %s; %s." % (", ".join(touched) or "misc", words)
        prompt = "Continue with %s: %s" % (touched[0] if touched else "triage", words + " then review")
        if i < n_legacy:
            name = "CONV-%s-%04d" % (time.strftime("%Y%m%d", time.gmtime(t)), i)
            meta = {"title": title, "date": time.strftime("%Y-%m-%d", time.gmtime(t)), "workstreams": touched,
                    "summary": summary}
            if i % 2:
                meta["operator"] = op
        else:
            n = seq[(op, day)] = seq.get((op, day), 0) + 1
            name = "%s-%s-%02d" % (op, day, n)
            meta = {
                "schema_version": 1, "id": name, "type": "session", "operator": op, "title": title,
                "date": time.strftime("%Y-%m-%d", time.gmtime(t)), "session_id": "%08x-aaaa-bbbb-cccc-%012x" % (i, i),
                "started_at": _iso(t - 5400), "ended_at": _iso(t), "branch": "feat/%s" % rng.choice(WORDS),
                "head_commit": "%040x" % rng.getrandbits(160), "commits": rng.randint(0, 9),
                "files_changed": rng.randint(0, 30), "insertions": rng.randint(0, 900),
                "deletions": rng.randint(0, 300),
                "first_commit_at": _iso(t - 4000), "last_commit_at": _iso(t - 600),
                "active_min_estimate": 61.5, "handoff_write_min": 2.1, "tool_calls_total": 84,
                "tool_calls": {"Bash": 40, "Edit": 25, "Read": 19}, "mcp": {}, "subagents": {"total": 0, "by_type": {}},
                "failures": 2, "interruptions_count": 0, "parallel_sessions": [],
                "invariants": {"notion_writes": {"count": 0, "ok": True}},
                "workstreams": touched, "confidence": rng.choice(["H", "M", "L"]), "summary": summary,
                "resume_prompt": prompt + "\nThen run the tests.",
            }
        names.append(name)
        with open(os.path.join(sessions, name + ".md"), "w") as f:
            f.write(frontmatter.dumps(meta, _body(rng, title, summary, prompt)))
    past = time.time() - DAY
    for directory in (sessions, ws_dir):
        for name in os.listdir(directory):
            os.utime(os.path.join(directory, name), (past, past))
    return {"operator": OPERATORS[0], "logs": len(names), "workstreams": len(streams), "untouched": sorted(untouched)}


CPU: dict = {}  # id(list of wall times) -> the same runs' CPU times (user + sys of the child)


def _time(cmd: list, env: dict, cwd: str, into: list | None = None) -> float:
    """Wall time of one run (appended to ``into`` with its CPU time in CPU[id(into)]): on a
    loaded machine the CPU time is the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit("benchmark command failed: %s\n%s" % (" ".join(cmd), proc.stderr.decode()[-2000:]))
    if into is not None:
        into.append(elapsed)
        CPU.setdefault(id(into), []).append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed


READ_ALL = (
    "import os,sys\n"
    "for d in sys.argv[1:]:\n"
    "    for e in os.scandir(d):\n"
    "        with open(e.path,'rb') as f: f.read()\n"
)
COLD_FLOOR = "import sqlite3\n" + READ_ALL
WARM_FLOOR = (
    "import os,sys,sqlite3\n"
    "for d in sys.argv[1:]:\n"
    "    for n in os.listdir(d): os.stat(os.path.join(d, n))\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--workstreams", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="generate into this (new) directory and keep it")
    args = parser.parse_args()

    root = args.keep or tempfile.mkdtemp(prefix="handoff-bench-")
    if args.keep:
        os.makedirs(root)
    try:
        t0 = time.perf_counter()
        facts = generate(root, args.logs, args.workstreams)
        print("generated %d logs, %d workstreams in %.1f s (%s)" % (facts["logs"], facts["workstreams"],
                                                                   time.perf_counter() - t0, root))
        # As the slash command runs it: from the project dir, $CLAUDE_PROJECT_DIR empty (so the
        # root comes from git), the operator from whoami (cached in the state dir by --set).
        subprocess.run(["git", "init", "-q", root], check=True)
        state = os.path.join(root, ".git", "handoff", "state")  # the state dir of a git repo (core/statefiles.py)
        # Byte-code caching on, as on a user's machine (PYTHONDONTWRITEBYTECODE would recompile
        # every helper module on every run); the .pyc files go to the temp dir, not the repo.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CLAUDE", "HANDOFF_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"CLAUDE_PROJECT_DIR": "", "HANDOFF_NOW": _iso(NOW), "HANDOFF_PYTHON": sys.executable,
                    "PYTHONPYCACHEPREFIX": root + "-pycache"})
        launcher = os.path.join(REPO, "scripts", "handoff")
        subprocess.run(["sh", launcher, "whoami", "--set", facts["operator"]], env=env, cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
        cmd = ["sh", launcher, "resume", "--operator-arg="]
        catalog = os.path.join(state, "catalog.sqlite3")
        dirs = [os.path.join(root, "docs", "sessions"), os.path.join(root, "workstreams")]

        def drop_catalog() -> None:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(catalog + suffix):
                    os.unlink(catalog + suffix)

        _time(cmd, env, root)  # warm the page cache and the interpreter's .pyc files
        cold, cold_floor, warm, warm_floor, after_new = [], [], [], [], []
        for _ in range(args.runs):
            drop_catalog()
            _time(cmd, env, root, cold)
            _time([sys.executable, "-c", COLD_FLOOR] + dirs, env, root, cold_floor)
        _time(cmd, env, root)
        for _ in range(args.runs):
            _time(cmd, env, root, warm)
            _time([sys.executable, "-c", WARM_FLOOR] + dirs, env, root, warm_floor)
        for i in range(args.runs):
            name = "%s-%s-%02d.md" % (facts["operator"], time.strftime("%y%m%d", time.gmtime(NOW)), 90 + i)
            with open(os.path.join(dirs[0], name), "w") as f:
                f.write(frontmatter.dumps({"title": "new %d" % i, "operator": facts["operator"]}, "## Summary\n\nx\n"))
            past = time.time() - DAY  # as old as the rest: read once, then trusted
            os.utime(os.path.join(dirs[0], name), (past, past))
            _time(cmd, env, root, after_new)
        base, compact = [], []
        for _ in range(args.runs):
            base.append(_time(["sh", launcher, "whoami"], env, root))
            compact.append(_time(cmd + ["--compact"], env, root))

        def ms(values):
            return statistics.median(values) * 1000

        def figure(label: str, runs: list, base: list, base_label: str, target: float) -> None:
            cpu, base_cpu = CPU[id(runs)], CPU[id(base)]
            print("%s: median %.0f ms | %s %.0f ms | ratio %.2f (target <= %g); CPU %.0f / %.0f ms, ratio %.2f"
                  % (label, ms(runs), base_label, ms(base), ms(runs) / ms(base), target, ms(cpu), ms(base_cpu),
                     ms(cpu) / ms(base_cpu)))

        print("%s logs, %d workstreams" % (format(facts["logs"], ","), facts["workstreams"]))
        figure("resume cold", cold, cold_floor, "floor (import sqlite3 + read every file once)", 6)
        figure("resume warm", warm, warm_floor, "floor (import sqlite3 + stat every file)", 1.5)
        figure("resume right after a new log", after_new, warm, "warm", 1.5)
        print("for scale: helper start-up alone (scripts/handoff whoami, same path) median %.0f ms;"
              " resume --compact (SessionStart) warm %.0f ms; catalog %d bytes"
              % (ms(base), ms(compact), os.path.getsize(catalog)))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root + "-pycache", ignore_errors=True)  # beside the repo: never a file at hand
    return 0


if __name__ == "__main__":
    sys.exit(main())
