"""SessionStart context: the team's memory (and, opted in, the compact /resume dashboard).

The hook imports this when a session starts fresh (``startup`` or ``clear``) and
``.claude/handoff.json`` leaves ``"memory_on_start"`` on (the default) or sets
``"resume_on_start": true``; see ``session_start_context`` in lib/core/session_hook.py.
Standard library only: the hook runs as ``python3 -S`` and cannot import yaml, so the text is
built by the helpers in a child process, through the same launcher the slash commands use
(``scripts/handoff memory``, or ``scripts/handoff resume --compact``, which includes it), which
finds a Python that has yaml (for a plugin install, in ``$CLAUDE_PLUGIN_DATA/venv`` once it
exists). At most `MAX_CHARS`: Claude Code cuts an ``additionalContext`` beyond about 10,000
characters to a preview.

Budget: the hook's timeout is 5 s and it must never block the session, so the child gets
`TIMEOUT_S`; a child that is slower, fails or prints nothing raises `ContextUnavailable` with
the reason, which the hook logs to ``hook-errors.log`` (and the session starts without context).
"""

import os
import signal
import subprocess

TIMEOUT_S = 3.0
MAX_CHARS = 9500
MAX_BYTES = 64 * 1024


def units(text: str) -> int:
    """Length as Claude Code counts it (a JavaScript string: UTF-16 code units), so text full of
    emoji cannot pass the ~10,000-character preview cut while under a count of code points."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class ContextUnavailable(Exception):
    """The context could not be produced; the message says why."""


def launcher_path() -> str:
    """``scripts/handoff``, next to the ``scripts/lib`` directory this package is in."""
    lib_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(os.path.dirname(lib_dir), "handoff")


def helper_text(project_dir: str, state_dir: str, args: list, timeout: float = TIMEOUT_S) -> str:
    """What ``scripts/handoff <args>`` prints (at most `MAX_CHARS`; '' when it prints nothing);
    raises ContextUnavailable when it fails or is slower than ``timeout``."""
    launcher = launcher_path()
    env = dict(os.environ)
    env["CLAUDE_PROJECT_DIR"] = project_dir
    env["HANDOFF_STATE_DIR"] = state_dir
    argv = ["sh", launcher]
    # Plugin install: the launcher finds the plugin's venv through --data (the slash commands
    # pass "${CLAUDE_PLUGIN_DATA}"). Only once that venv exists: building it (pip) takes longer
    # than this hook may, and the first slash command builds it anyway.
    data = os.environ.get("CLAUDE_PLUGIN_DATA")
    if data and os.access(os.path.join(data, "venv", "bin", "python"), os.X_OK):
        argv += ["--data", data]
    try:
        proc = subprocess.Popen(
            argv + list(args),
            cwd=project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: a timeout kills grandchildren too
        )
    except OSError as exc:
        raise ContextUnavailable("cannot run %s: %s" % (launcher, exc.strerror or exc)) from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ContextUnavailable("%s took over %.1f s; no context added" % (" ".join(args), timeout)) from None
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise ContextUnavailable(
            "%s exited %d: %s" % (" ".join(args), proc.returncode, detail[-1][:300] if detail else "(no message)")
        )
    text = out[:MAX_BYTES].decode("utf-8", "replace").strip()
    if units(text) > MAX_CHARS:  # the helpers keep to their budget; this is the hook's own bound
        lines = text.split("\n")
        while lines and units("\n".join(lines)) > MAX_CHARS:  # whole lines go, never half of one
            lines.pop()
        text = "\n".join(lines) if lines else text[: MAX_CHARS // 2]
    return text


def _kill_group(proc) -> None:
    """Kill the child's whole process group, then reap it without waiting on stray pipes: a
    grandchild that escaped the group must not hold the hook past its budget."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.communicate(timeout=0.5)
    except subprocess.TimeoutExpired:
        for pipe in (proc.stdout, proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
