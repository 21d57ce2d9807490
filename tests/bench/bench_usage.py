#!/usr/bin/env python3
"""Benchmark: a session's usage from a 100 MB transcript, cold and incremental, side by side
with ccusage on the same file.

    .venv/bin/python tests/bench/bench_usage.py [--mb 100] [--runs 3] [--quick]

The transcript is the real CLI's (tests/fixtures/usage/cli-multiblock-subagent-continue/)
repeated with fresh message and request ids until it is ``--mb`` MB, in a CLI config dir.

- cold: a new ``handoff_helpers.py usage --json --session-id <id>`` process with an empty state
  dir, against ``ccusage session --json --offline -i <id>`` on the same dir, interleaved; the
  floor is ccusage's. Target: ratio <= 1.5.
- incremental: 1 MB of lines appended, then the same read again: only the new bytes are
  parsed. Target: <= 0.1x the cold read, in-process (session_usage) against in-process; the
  process figure (interpreter start included) is printed too.
Counts are checked equal to ccusage's before anything is timed. Figures are the best of
``--runs`` (the least disturbed run: this machine is shared), medians in brackets.
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
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELPERS = REPO / "scripts" / "handoff_helpers.py"
CCUSAGE = REPO / ".tools" / "ccusage" / "node_modules" / ".bin" / "ccusage"
FIXTURE = REPO / "tests" / "fixtures" / "usage" / "cli-multiblock-subagent-continue" / "projects"
sys.path.insert(0, str(REPO / "scripts"))

from lib.usage.session import session_usage  # noqa: E402

SID = "bbbbbbbb-0000-4000-8000-00000000beef"


def fixture_lines() -> list:
    (main,) = FIXTURE.glob("*/*.jsonl")
    return [json.loads(x) for x in main.read_text().splitlines() if '"type":"cost-state"' not in x]


def lines_of(template: list, n_bytes: int):
    """Encoded lines of the template, replayed with fresh ids, about ``n_bytes`` in all."""
    out, size = [], 0
    while size < n_bytes:
        ids = {}
        for obj in template:
            obj = dict(obj, sessionId=SID)
            if obj.get("type") == "assistant":
                old = obj["message"]["id"]
                if old not in ids:
                    ids[old] = ("msg_" + uuid.uuid4().hex[:24], "req_" + uuid.uuid4().hex[:24])
                obj["message"] = dict(obj["message"], id=ids[old][0])
                obj["requestId"] = ids[old][1]
            line = (json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
            out.append(line)
            size += len(line)
    return out


def timed(argv, env) -> tuple:
    start = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit("bench_usage: %s failed: %s" % (argv[0], out.stderr.decode()[-500:]))
    return elapsed, out.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20 MB, 2 runs")
    args = ap.parse_args()
    if args.quick:
        args.mb, args.runs = 20, 2
    if not os.access(CCUSAGE, os.X_OK):
        sys.exit("bench_usage: ccusage missing (make ccusage)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-usage-"))
    try:
        config = tmp / "claude"
        project = config / "projects" / "-bench"
        project.mkdir(parents=True)
        transcript = project / (SID + ".jsonl")
        template = fixture_lines()
        with open(transcript, "wb") as fh:
            for line in lines_of(template, args.mb << 20):
                fh.write(line)
        root = tmp / "repo"
        root.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
        env["CLAUDE_CONFIG_DIR"] = str(config)
        ours_argv = [sys.executable, str(HELPERS), "usage", "--json", "--session-id", SID, "--root", str(root)]
        theirs_argv = [str(CCUSAGE), "session", "--json", "--offline", "-i", SID]

        # same counts first
        cc = json.loads(subprocess.run([str(CCUSAGE), "session", "--json", "--offline"], env=env,
                                       capture_output=True, timeout=600).stdout)
        (row,) = [r for r in cc["session"] if r["period"] == SID]
        _, out = timed(ours_argv, {**env, "HANDOFF_STATE_DIR": str(tmp / "check")})
        mine = json.loads(out)["sessions"][0]
        assert (mine["input_tokens"], mine["output_tokens"], mine["cache_creation_tokens"],
                mine["cache_read_tokens"]) == (row["inputTokens"], row["outputTokens"],
                                               row["cacheCreationTokens"], row["cacheReadTokens"]), "counts differ"

        cold, floor = [], []
        for i in range(args.runs):
            floor.append(timed(theirs_argv, env)[0])
            cold.append(timed(ours_argv, {**env, "HANDOFF_STATE_DIR": str(tmp / ("cold%d" % i))})[0])
        size_mb = transcript.stat().st_size / (1 << 20)
        c, f = min(cold), min(floor)
        print("usage cold   %.0f MB: handoff %.0f ms [%.0f] | ccusage -i %.0f ms [%.0f] | ratio %.2f (target <= 1.5)"
              % (size_mb, c * 1000, statistics.median(cold) * 1000, f * 1000, statistics.median(floor) * 1000, c / f))

        # incremental: in-process cold read, then +1 MB appended per run
        state = str(tmp / "inc")
        cold_runs = []
        for i in range(args.runs):
            start = time.perf_counter()
            session_usage(str(tmp / ("inproc%d" % i)), SID, str(transcript))
            cold_runs.append(time.perf_counter() - start)
        cold_inproc = min(cold_runs)
        session_usage(state, SID, str(transcript))
        import gc

        gc.collect()
        gc.freeze()  # the bench's own objects (the generated lines) are not the reader's to scan
        inc, inc_proc = [], []
        for _ in range(max(5, args.runs)):
            with open(transcript, "ab") as fh:
                fh.writelines(lines_of(template, 1 << 20))
            start = time.perf_counter()
            result = session_usage(state, SID, str(transcript))
            inc.append(time.perf_counter() - start)
            assert 0 < result.parsed_bytes <= (1 << 20) + 200_000, result.parsed_bytes
            with open(transcript, "ab") as fh:
                fh.writelines(lines_of(template, 1 << 20))
            inc_proc.append(timed(ours_argv, {**env, "HANDOFF_STATE_DIR": state})[0])
        i_med = min(inc)
        print("usage incr  +1 MB: in-process %.1f ms [%.1f] | cold in-process %.0f ms | ratio %.3f (target <= 0.1)"
              % (i_med * 1000, statistics.median(inc) * 1000, cold_inproc * 1000, i_med / cold_inproc))
        p_med = min(inc_proc)
        print("usage incr  +1 MB as a process (interpreter start included): %.0f ms [%.0f] | ratio to cold process %.3f"
              % (p_med * 1000, statistics.median(inc_proc) * 1000, p_med / c))
        ok = c / f <= 1.5 and i_med / cold_inproc <= 0.1
        print("usage: %s" % ("within targets" if ok else "OVER TARGET"))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
