"""The telemetry hook's logic; scripts/hooks/session_state.py is its entry point.

Kept in a module so its bytecode is cached: Python never caches the script it is started with,
and compiling this file on every tool call cost 3.4 ms, half the interpreter's own start-up
(tests/bench/bench_hook.py). Standard library only; see the entry point for the contract.
"""

import os
import sys
import time

from . import fastjson, statefiles
from . import project as project_mod
from . import telemetry_record as tr
from . import telemetry_store as store
from .project import MAX_CONFIG_BYTES, Project

MAX_STDIN_BYTES = 64 * 1024 * 1024  # Claude Code payloads with a large tool_response reach 50 MB
PARALLEL_WINDOW_S = 10 * 60
PARALLEL_SCAN_EVERY_S = 30.0
RUN_BUDGET_S = 4.5  # the registered hook timeout is 5 s
SPILL_RESERVE_S = 0.25  # kept back from the lock wait to write a spill
MIN_CONTEXT_TIME_S = 0.5
CONTEXT_RESERVE_S = 0.5  # left after the context for the event's own lock and write
# The C JSON scanner recurses per nesting level; 12000 levels parse on 3.9-3.13 with the
# default 8 MB stack (100000 crashed 3.11), against ~990 by default (tests/core/test_hook_hostile.py).
RECURSION_LIMIT = 12000
HOOK_SCRIPT_RELPATH = "scripts/hooks/session_state.py"


class Dropped(Exception):
    """This event is not recorded; the message says why (it goes to the error log)."""


def read_stdin() -> str:
    data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(data) > MAX_STDIN_BYTES:
        raise Dropped("payload over %d bytes" % MAX_STDIN_BYTES)
    if not data.strip():
        raise Dropped("empty stdin")
    # surrogateescape: a stray non-UTF-8 byte inside a tool_response must not cost the count
    return data.decode("utf-8", "surrogateescape")


def project_dir_from_env() -> str:
    # The hook's working directory is the project (README of the captured payloads); the
    # payload's `cwd` follows the session's `cd`s, so it never decides where state goes.
    return os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()


def registers_project_hook(settings: object, event: str) -> bool:
    """True when a parsed settings file registers the project's own copy of this hook for
    ``event``: ``hooks.<event>[].hooks[].command`` runs ``scripts/hooks/session_state.py``
    through ``$CLAUDE_PROJECT_DIR`` (not the plugin's ``${CLAUDE_PLUGIN_ROOT}``)."""
    if not isinstance(settings, dict) or not isinstance(settings.get("hooks"), dict):
        return False
    groups = settings["hooks"].get(event)
    if not isinstance(groups, list):
        return False
    for group in groups:
        hooks = group.get("hooks") if isinstance(group, dict) else None
        for hook in hooks if isinstance(hooks, list) else ():
            command = hook.get("command") if isinstance(hook, dict) else None
            if isinstance(command, str) and HOOK_SCRIPT_RELPATH in command and "CLAUDE_PROJECT_DIR" in command:
                return True
    return False


def is_shadowed_plugin_copy(project: Project, event: str) -> bool:
    """True when this is the plugin's copy and the project registers its own copy for this event.

    With both installs Claude Code runs both hooks for every event (payloads
    plugin-PostToolUse.json and plugin-plugin_PostToolUse.json): the plugin copy steps aside
    so nothing is counted twice. Only a settings file that parses and really registers the
    project's hook counts: Claude Code ignores an invalid settings file, and so do we.
    """
    plugin_root = os.environ.get("CLAUDE_PLUGIN_ROOT")
    if not plugin_root:
        return False
    here = os.path.realpath(__file__)  # plugin caches and --plugin-dir may go through links
    if not here.startswith(os.path.realpath(plugin_root) + os.sep):
        return False
    if not os.path.isfile(project.path(HOOK_SCRIPT_RELPATH)):
        return False
    for name in ("settings.json", "settings.local.json"):
        try:
            raw = statefiles.read_regular(project.path(".claude", name), MAX_CONFIG_BYTES)
            if registers_project_hook(fastjson.loads(raw.decode("utf-8")), event):
                return True
        except (OSError, ValueError, RecursionError):
            continue
    return False


def scan_state_dir(state_dir: str, own_json: str, now: float) -> list:
    """Stems of other sessions whose record changed in the last 10 minutes, most recent last.

    For a valid session id the stem is the id; ids outside ``[A-Za-z0-9_-]`` show as their
    hashed stem (``~<hex>``).
    """
    others = []
    own = os.path.basename(own_json)
    with os.scandir(state_dir) as entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith("session-") and name.endswith(".json")) or name == own:
                continue
            try:
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            if now - mtime <= PARALLEL_WINDOW_S:
                others.append((mtime, name[len("session-") : -len(".json")]))
    return [stem for _, stem in sorted(others)]


def start_head(payload: dict, project: Project, log):
    """On a SessionStart, the commit HEAD points at (the session's commits are counted from it
    by ancestry); None otherwise, outside git, on an unborn branch, or when the refs cannot be
    read (the reason is logged: the session then falls back to the clock at /handoff)."""
    if payload.get("hook_event_name") != "SessionStart":
        return None
    from . import gitrefs  # not on the per-tool-call path: a SessionStart only

    try:
        return gitrefs.head_commit(project.git_dir, project.git_common_dir)
    except (gitrefs.Unreadable, OSError, ValueError) as exc:
        log("start commit not recorded: %s" % exc)
        return None


def _update(record: dict, payload: dict, state_dir: str, json_path: str, session_id: str, project_dir: str,
            now: float, now_iso: str, invariants: dict, log, head=None, context_chars=None):
    """Fold pending spills, apply this event, do the periodic upkeep. Returns (record, spills).

    Nothing here lists the state dir on every event: spills are looked for only when a spiller
    left its marker, and the scan for parallel sessions and orphaned temp files (it stats every
    file in the dir) runs at most every PARALLEL_SCAN_EVERY_S per session.
    """
    spills = []
    if store.take_spill_marker(state_dir, session_id) or record.get("folded_spills"):
        record, spills = store.fold_spills(record, store.pending_spills(state_dir, session_id), log)
    tr.apply_event(record, payload, now, now_iso, invariants, head, context_chars)
    record["project_dir"] = project_dir
    last_scan = record.get("parallel_scanned_epoch")
    if last_scan is None or not 0 <= now - last_scan < PARALLEL_SCAN_EVERY_S:
        tr.add_parallel_sessions(record, scan_state_dir(state_dir, json_path, now))
        statefiles.sweep_session_orphans(state_dir, statefiles.session_stem(session_id), now)
        record["parallel_scanned_epoch"] = now
    return record, spills


def record_event(payload: dict, project: Project, config: dict, log, deadline: float, context_chars=None) -> None:
    project_dir, state_dir = project.root, project.state_dir
    session_id = payload.get("session_id") or os.environ.get("CLAUDE_CODE_SESSION_ID")
    if not isinstance(session_id, str) or not session_id:
        raise Dropped("no usable session_id")
    now = time.time()
    now_iso = statefiles.now_iso(now)
    invariants = config["invariants"]
    # A bad payload is refused before it can take the lock or be spilled, so nothing below fails
    # because of the payload.
    tr.check_payload(payload)
    head = start_head(payload, project, log)
    json_path = statefiles.record_path(state_dir, session_id)
    try:
        fd = statefiles.flock_session(
            statefiles.lock_path(state_dir, session_id),
            progress_path=json_path,
            hard_cap_s=max(0.05, deadline - time.monotonic() - SPILL_RESERVE_S),
        )
    except statefiles.LockTimeout:
        spill = store.write_spill(state_dir, session_id, payload, now, invariants, head, context_chars)
        log("session lock busy (no progress for %.1f s, or out of time): event spilled to %s"
            % (statefiles.LOCK_BUDGET_S, os.path.basename(spill)))
        return
    try:
        record = store.load_record(json_path, session_id, project_dir, now_iso, log)
        try:
            record, spills = _update(record, payload, state_dir, json_path, session_id, project_dir,
                                     now, now_iso, invariants, log, head, context_chars)
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            # load_record checked the shape, so this is a record we do not understand after all:
            # keep it aside and count this event in a fresh one.
            store.quarantine(json_path, log, "unusable record: %s: %s" % (type(exc).__name__, exc))
            record, spills = _update(tr.new_record(session_id, project_dir, now_iso), payload, state_dir,
                                     json_path, session_id, project_dir, now, now_iso, invariants, log, head,
                                     context_chars)
        statefiles.write_atomic(json_path, fastjson.dumps(record).encode("ascii"))
        for path in spills:  # counted and durable: now the files may go
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
    finally:
        os.close(fd)


def session_start_context(payload: dict, project: Project, config: dict, log, deadline: float):
    """The context a fresh session starts with: the team's memory (``"memory_on_start"``, on
    unless false), inside the compact /resume dashboard when ``"resume_on_start": true``.
    None when none is due; '' when it was due but nothing came (the reason is logged)."""
    if payload.get("source") not in ("startup", "clear"):
        return None
    memory, resume = config.get("memory_on_start") is not False, config.get("resume_on_start") is True
    if not (memory or resume):
        return None
    remaining = deadline - time.monotonic() - CONTEXT_RESERVE_S
    if remaining < MIN_CONTEXT_TIME_S:
        log("no time left for the session-start context (%.2f s)" % remaining)
        return ""
    from . import session_start_context as ssc  # only at a fresh start: it may start a helper

    args = (["resume", "--compact"] + ([] if memory else ["--no-memory"])) if resume else ["memory"]
    try:
        return ssc.helper_text(project.root, project.state_dir, args, timeout=min(ssc.TIMEOUT_S, remaining))
    except ssc.ContextUnavailable as exc:
        log("no session-start context: %s" % exc)
        return ""


def _units(text: str) -> int:
    from .session_start_context import units  # loaded already: the context was built with it

    return units(text)


def main() -> int:
    # One deadline for the whole run, counted from process start: the lock wait and the opt-in
    # SessionStart context share it, so together they stay inside the 5 s hook timeout.
    deadline = time.monotonic() + RUN_BUDGET_S
    sys.setrecursionlimit(RECURSION_LIMIT)
    project = Project.at(project_dir_from_env())  # the one Project of this run
    state_dir = project.state_dir
    context = {"event": "?", "session": "?"}

    def log(reason: str) -> None:
        line = "%s %s session=%s %s" % (statefiles.now_iso(), context["event"], context["session"], reason)
        try:
            statefiles.ensure_dir(state_dir)
            statefiles.append_error_log(state_dir, line)
        except Exception:
            pass  # nowhere to log: stay silent rather than disturb the agent

    try:
        text = read_stdin()
        try:
            payload = fastjson.loads(text)
        except ValueError as exc:
            raise Dropped("stdin is not JSON (%s)" % exc) from None
        except RecursionError:
            raise Dropped("payload nests deeper than %d levels" % RECURSION_LIMIT) from None
        if not isinstance(payload, dict):
            raise Dropped("payload is not a JSON object")
        context["event"] = str(payload.get("hook_event_name"))[:64]
        context["session"] = str(payload.get("session_id"))[:140]
        if is_shadowed_plugin_copy(project, context["event"]):
            return 0
        statefiles.ensure_dir(state_dir)
        if project_mod.legacy_state_pending(project):
            from . import state_migration  # once per worktree: the old .claude/state/ moves here

            state_migration.migrate(project, log)
        config = project.config(log)
        text = None
        if payload.get("hook_event_name") == "SessionStart":
            try:  # first, so the telemetry records how many characters it injects (no hidden cost)
                text = session_start_context(payload, project, config, log, deadline)
            except Exception as exc:  # the event is still counted; only the optional context is missing
                log("no session-start context: %s: %s" % (type(exc).__name__, exc))
                text = ""
        record_event(payload, project, config, log, deadline, None if text is None else _units(text))
        if text:
            out = {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}}
            sys.stdout.write(fastjson.dumps(out))
            sys.stdout.flush()
    except Dropped as exc:
        log("dropped: %s" % exc)
    except tr.BadPayload as exc:
        log("dropped: bad payload: %s" % exc)
    except Exception as exc:  # fail open: the agent must never see a traceback from us
        log("dropped: %s: %s" % (type(exc).__name__, exc))
    return 0

