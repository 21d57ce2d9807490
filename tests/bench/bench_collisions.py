#!/usr/bin/env python3
"""Benchmark the same-files check (memory/collisions.py) at 3,000 logs across a few branches.

    .venv/bin/python tests/bench/bench_collisions.py [--logs N] [--branches N] [--runs N] [--keep DIR]

Builds a repository with ``git fast-import`` (seeded): ``origin/main`` holds most of the logs,
each of ``--branches`` feature branches adds its own; every log is a teammate's, dated today
(so every one is a candidate: the worst case), with 5-15 ``changed_files`` of which a few meet
the files at hand. Times, median of ``--runs``:

- ``find`` in-process, the worktree on a branch holding none of the logs (every log is read);
- ``find`` with HEAD on ``main`` (its logs are history and skipped: the usual case);
- ``scripts/handoff resume --compact`` as SessionStart runs it (a fresh process, warm catalog),
  with its same-files section; the SessionStart budget is 3 s for all of it.
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

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))

from lib.logs import frontmatter  # noqa: E402

OPERATORS = ["AB", "CK", "DM", "EL", "FS", "GH", "JW", "KP"]
ME = "RT"


def env() -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_", "GIT_"))}
    e.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C", HANDOFF_OPERATOR=ME,
             GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
    return e


def git(root: str, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", root, *args], input=input, capture_output=True, check=True,
                          env=env()).stdout.decode()


def log_text(log_id: str, rng: random.Random) -> bytes:
    files = sorted({"src/m%03d.py" % rng.randrange(400) for _ in range(rng.randint(5, 15))})
    meta = {"schema_version": 1, "id": log_id, "type": "session", "operator": log_id[:2], "title": "Work " + log_id,
            "date": time.strftime("%Y-%m-%d"), "changed_files": files, "summary": "x " * 200,
            "resume_prompt": "y " * 300}
    return frontmatter.dumps(meta, "# Work\n\n## Summary\n\n" + "words " * 300 + "\n").encode()


def build(root: str, logs: int, branches: int) -> None:
    rng = random.Random(18)
    day = time.strftime("%y%m%d", time.gmtime())
    os.makedirs(root)
    git(root, "init", "-q", "-b", "main")
    stream = []
    mark = [0]

    def blob(data: bytes) -> int:
        mark[0] += 1
        stream.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark[0], len(data), data))
        return mark[0]

    def commit(ref: str, files: dict, parent: str | None, msg: str) -> str:
        marks = {path: blob(data) for path, data in files.items()}
        mark[0] += 1
        this = mark[0]
        stream.append(b"commit %s\nmark :%d\ncommitter b <b@x> 1795000000 +0000\ndata %d\n%s\n"
                      % (ref.encode(), mark[0], len(msg), msg.encode()))
        if parent:
            stream.append(b"from %s\n" % parent.encode())
        for path, m in marks.items():
            stream.append(b"M 100644 :%d %s\n" % (m, path.encode()))
        stream.append(b"\n")
        return ":%d" % this

    src = {"src/m%03d.py" % i: b"x = %d\n" % i for i in range(400)}
    root_mark = commit("refs/heads/main", dict(src, **{"docs/sessions/README.md": b"# logs\n"}), None, "seed")
    commit("refs/heads/mine", {}, root_mark, "mine")  # a branch that holds no log
    per_branch = logs // (branches + 2)
    on_main = logs - per_branch * branches
    seq: dict = {}

    def next_id() -> str:
        op = rng.choice(OPERATORS)
        seq[op] = seq.get(op, 0) + 1
        return "%s-%s-%02d" % (op, day, seq[op])

    main_mark = commit("refs/heads/main", {"docs/sessions/%s.md" % i: log_text(i, rng)
                                           for i in (next_id() for _ in range(on_main))}, root_mark, "logs")
    for b in range(branches):
        ids = [next_id() for _ in range(per_branch)]
        commit("refs/heads/f%d" % b, {"docs/sessions/%s.md" % i: log_text(i, rng) for i in ids}, main_mark,
               "branch %d" % b)
    git(root, "fast-import", "--quiet", input=b"".join(stream))
    for ref in ["main"] + ["f%d" % b for b in range(branches)]:
        git(root, "update-ref", "refs/remotes/origin/" + ref, "refs/heads/" + ref)
        if ref != "main":
            git(root, "branch", "-q", "-D", ref)
    git(root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    git(root, "pack-refs", "--all")


def median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=int, default=3000)
    parser.add_argument("--branches", type=int, default=4)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-collisions-")
    root = os.path.join(tmp, "repo")
    try:
        t = time.perf_counter()
        build(root, args.logs, args.branches)
        print("built %d logs on main + %d branches in %.1f s" % (args.logs, args.branches, time.perf_counter() - t))
        os.environ.update(env())
        from lib.core.project import Project
        from lib.memory import collisions

        def run_find() -> list:
            return collisions.find(Project.at(root), "refs/remotes/origin/HEAD", ME, time.time())

        for branch, what in (("mine", "HEAD holds no log (all %d read)" % args.logs), ("main", "HEAD on main")):
            git(root, "switch", "-q", "-f", branch)
            with open(os.path.join(root, "src", "m001.py"), "a") as f:
                f.write("# mine\n")
            found = run_find()
            print("find, %s: %.0f ms median of %d; %d collisions"
                  % (what, 1000 * median_s(run_find, args.runs), args.runs, len(found)))
        launcher = [os.path.join(REPO, "scripts", "handoff"), "resume", "--compact"]
        e = dict(env(), HANDOFF_PYTHON=sys.executable)
        subprocess.run(["sh", *launcher], cwd=root, env=e, capture_output=True, check=True)  # builds the catalog
        for what in ("a changed file at hand", "nothing at hand (no log read)"):
            secs = median_s(lambda: subprocess.run(["sh", *launcher], cwd=root, env=e, capture_output=True,
                                                   check=True), args.runs)
            print("resume --compact (SessionStart), HEAD on main, warm catalog, %s: %.0f ms median (budget 3000)"
                  % (what, 1000 * secs))
            git(root, "checkout", "-q", "--", "src")
    finally:
        if args.keep:
            shutil.move(root, args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
