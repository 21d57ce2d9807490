#!/usr/bin/env python3
"""Claude Code hook: exact per-session telemetry in the state dir (``<git common dir>/handoff/state/``,
shared by the repository's worktrees; ``<project>/.claude/state/`` outside git: lib/core/statefiles.py).

Registered (``.claude/settings.json``, or ``hooks/hooks.json`` for the plugin) for
PostToolUse (matcher ``*``), PostToolUseFailure, PreToolUse (matcher ``Task|Agent``),
SessionStart, SessionEnd, SubagentStart and SubagentStop. One script, dispatched on
``hook_event_name`` (see lib/core/telemetry_record.py for what each event counts). The
SessionStart that begins a session also records the commit HEAD points at, read from ``.git``
without starting git (lib/core/gitrefs.py): the session's commits are counted from it.

Contract with Claude Code (payload samples: tests/fixtures/payloads/):
- It never blocks or slows the agent loop: every outcome exits 0 with nothing on stdout
  (except SessionStart context when the user opted in), and each failure appends one line to
  the bounded ``<state dir>/hook-errors.log``.
- It imports only the standard library, and not even ``json`` (see lib/core/fastjson.py); it is run
  as ``python3 -S`` because ``site`` alone costs 3x the interpreter's start-up here.
- A count is never lost: the record is read, updated and atomically replaced under the
  session's flock. If the lock makes no progress for 1.5 s (a hung holder), or the queue is
  longer than 4 s, the event is spilled to a file the next writer folds in (lib/core/telemetry_store.py),
  and the spill is logged: the hook stays well inside its 5 s timeout and loses nothing.
"""

import os
import sys

# Our modules are imported on every tool call: keep their bytecode even when the environment
# says not to write any (PYTHONDONTWRITEBYTECODE=1 here made every run recompile them, +10 ms).
sys.dont_write_bytecode = False
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __name__ == "__main__":
    try:
        from lib.core.session_hook import main

        code = main()
    except BaseException:  # KeyboardInterrupt, SystemExit from a signal, a broken install: exit 0
        code = 0
    # Test hook (tests/core/test_layout.py): which modules did this very process load? The leaf
    # rule (standard library and lib.core only) is checked from inside the registered command.
    dump = os.environ.get("HANDOFF_DUMP_MODULES")
    if dump:
        try:
            with open(dump, "w") as fh:
                fh.write("\n".join(sorted(sys.modules)))
        except BaseException:
            pass
    sys.exit(code)
