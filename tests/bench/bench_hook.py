"""Benchmark: the telemetry hook's wall time per tool call, against the interpreter floor.

Measured alternately in the same run (so machine load hits both alike):
- the hook, exec'd exactly as registered in .claude/settings.json (``python3 -S <hook>``, minus
  the ``sh -c`` Claude Code wraps around it), fed a realistic 64 KB PostToolUse payload;
- the floor, ``python3 -S -c pass``: starting the interpreter and doing nothing.
Goal (issue 2): median hook <= 1.5x the median floor.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hookutil import hook_env, init_git, install_bundle, payload, registered_command, state_dir  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "150"))


def realistic_payload() -> bytes:
    """A Read of a 64 KB source file, shaped like tests/fixtures/payloads/read-PostToolUse.json."""
    content = "".join("    line %05d = compute(value_%d)  # a realistic source line\n" % (i, i) for i in range(1200))
    content = content[: 64 * 1024]
    p = payload(
        "PostToolUse",
        session_id="5b202bb5-80bb-4058-abbb-72dea469d588",
        tool_name="Read",
        tool_input={"file_path": "/home/dev/work/demo/src/module.py"},
        tool_response={
            "type": "text",
            "file": {"filePath": "/home/dev/work/demo/src/module.py", "content": content, "numLines": 1200},
        },
    )
    return json.dumps(p).encode()


def timed(argv, data, cwd, env) -> float:
    t = time.perf_counter()
    proc = subprocess.run(argv, input=data, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t
    assert proc.returncode == 0
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = install_bundle(init_git(Path(tmp) / "proj"))
        env = hook_env(project)
        command = registered_command("PostToolUse")
        argv = shlex.split(command.replace("$CLAUDE_PROJECT_DIR", str(project)))
        # `python3` on PATH may be a version-manager shim (pyenv's is a bash script costing more
        # than Python itself): resolve it once so both sides measure the interpreter, not the shim.
        real = subprocess.run(
            [argv[0], "-S", "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
        )
        argv[0] = real.stdout.strip() or argv[0]
        data = realistic_payload()
        floor_argv = [argv[0], "-S", "-c", "pass"]
        for _ in range(10):  # warm caches and __pycache__
            timed(argv, data, project, env)
            timed(floor_argv, data, project, env)
        hook, floor = [], []
        for _ in range(ROUNDS):  # the floor gets the same stdin, so piping it costs both sides alike
            hook.append(timed(argv, data, project, env))
            floor.append(timed(floor_argv, data, project, env))
        record = json.loads((state_dir(project) / "session-5b202bb5-80bb-4058-abbb-72dea469d588.json").read_text())
        assert record["tool_calls_total"] == ROUNDS + 10, record["tool_calls_total"]
        h, f = statistics.median(hook) * 1000, statistics.median(floor) * 1000
        print(
            "hook (64 KB PostToolUse, %d rounds): median %.2f ms | floor `python3 -S -c pass`: median %.2f ms"
            " | ratio %.2fx (goal <= 1.5x)" % (ROUNDS, h, f, h / f)
        )
        print("  interpreter %s" % argv[0])
        print("  payload %d bytes; hook p90 %.2f ms; floor p90 %.2f ms" % (
            len(data), statistics.quantiles(hook, n=10)[-1] * 1000, statistics.quantiles(floor, n=10)[-1] * 1000))


if __name__ == "__main__":
    main()
