"""Probe the real Claude Code CLI offline and save what its hooks receive.

Usage (from the repo root, after ``bash tests/e2e/install_cli.sh``)::

    python tests/e2e/probe_cli.py --out tests/fixtures/payloads [--keep] [SCENARIO ...]

Each scenario runs ``claude -p`` in a fresh temp git repo whose ``.claude/settings.json``
registers a capture hook for every hook event the CLI knows. The capture hook appends
``{"event", "stdin", "env", "hook_cwd"}`` per call. Every captured payload is written to
``<out>/probe-<scenario>-<Event>[-<tool>][-<n>].json``; slash-command pre-exec runs are saved
as ``probe-slash-preexec-<label>.json`` in the same shape. ``<out>/probe-summary.jsonl`` has one
line per scenario: the events in order, the CLI results and what the model was shown.

The helpers here (``make_project``, ``capture_settings``, ``write_capture_hook``) are reused by
the e2e tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

try:
    from .fake_api import CliRun, FakeAPI, Recorded, find_claude_bin, message_text, run_cli
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fake_api import CliRun, FakeAPI, Recorded, find_claude_bin, message_text, run_cli

# Every hook event name Claude Code 2.1.329 accepts (from the CLI's own event list).
ALL_EVENTS = (
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Notification",
    "UserPromptSubmit",
    "UserPromptExpansion",
    "SessionStart",
    "SessionEnd",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
    "PreModelSwitch",
    "PostModelSwitch",
    "PermissionRequest",
    "PermissionDenied",
    "Setup",
    "TeammateIdle",
    "TaskCreated",
    "TaskCompleted",
    "Elicitation",
    "ElicitationResult",
    "ConfigChange",
    "WorktreeCreate",
    "WorktreeRemove",
    "InstructionsLoaded",
    "CwdChanged",
    "FileChanged",
    "DirectoryAdded",
    "MessageDisplay",
)
# WorktreeCreate/WorktreeRemove hooks *replace* git's worktree handling: never register a
# no-op for them.
CAPTURE_EVENTS = tuple(e for e in ALL_EVENTS if e not in ("WorktreeCreate", "WorktreeRemove"))
TOOL_EVENTS = {"PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest", "PermissionDenied"}

CAPTURE_HOOK = r"""
import fcntl, json, os, sys
out, label = sys.argv[1], sys.argv[2]
raw = sys.stdin.read()
try:
    data = json.loads(raw)
except ValueError:
    data = raw
env = {k: ("redacted" if k.endswith("TOKEN") else v)
       for k, v in os.environ.items() if k.startswith("CLAUDE") or k == "PWD"}
rec = {"event": label, "stdin": data, "env": env, "hook_cwd": os.getcwd()}
with open(out, "a", encoding="utf-8") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.write(json.dumps(rec) + "\n")
"""

# Prints argv[1] to stdout (or to stderr and exits argv[2] if given).
EMIT_HOOK = r"""
import sys
sys.stdin.read()
if len(sys.argv) > 2:
    sys.stderr.write(sys.argv[1] + "\n")
    sys.exit(int(sys.argv[2]))
sys.stdout.write(sys.argv[1] + "\n")
"""

# A pre-exec target: dumps its cwd, args and CLAUDE* env as JSON to argv[1], prints a marker.
DUMP_TOOL = r"""#!/usr/bin/env python3
import json, os, sys
out = sys.argv[1]
label = sys.argv[2] if len(sys.argv) > 2 else "preexec"
env = {k: ("redacted" if k.endswith("TOKEN") else v)
       for k, v in os.environ.items() if k.startswith("CLAUDE") or k == "PWD"}
with open(out, "a", encoding="utf-8") as f:
    f.write(json.dumps({"event": "preexec:" + label, "stdin": {"argv": sys.argv[1:]},
                        "env": env, "hook_cwd": os.getcwd()}) + "\n")
print("TOOL-RAN-" + label)
"""


def sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def write_capture_hook(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    p = directory / "capture_hook.py"
    p.write_text(CAPTURE_HOOK.lstrip(), encoding="utf-8")
    return p


def write_emit_hook(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    p = directory / "emit_hook.py"
    p.write_text(EMIT_HOOK.lstrip(), encoding="utf-8")
    return p


def capture_command(hook: Path, capture_file: Path, label: str, python: str = sys.executable) -> str:
    return f"{sh_quote(python)} {sh_quote(str(hook))} {sh_quote(str(capture_file))} {sh_quote(label)}"


def capture_settings(
    hook: Path,
    capture_file: Path,
    events: Iterable[str] = CAPTURE_EVENTS,
    label_prefix: str = "",
    python: str = sys.executable,
) -> dict[str, Any]:
    """A settings ``hooks`` block that runs the capture hook for each event (no matcher)."""
    return {
        ev: [
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": capture_command(hook, capture_file, label_prefix + ev, python),
                    }
                ]
            }
        ]
        for ev in events
    }


def git(project: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=probe",
            "-c",
            "user.email=probe@example.invalid",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )


def make_project(
    path: Path, hooks: dict[str, Any] | None = None, files: dict[str, str] | None = None
) -> Path:
    """A fresh git repo (one commit) with ``.claude/settings.json`` holding ``hooks``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    (path / "README.md").write_text("probe project\n", encoding="utf-8")
    for rel, text in (files or {}).items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "init")
    if hooks is not None:
        (path / ".claude").mkdir(exist_ok=True)
        (path / ".claude" / "settings.json").write_text(
            json.dumps({"hooks": hooks}, indent=2), encoding="utf-8"
        )
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def merge_hooks(*blocks: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for b in blocks:
        for ev, groups in b.items():
            out.setdefault(ev, []).extend(groups)
    return out


# -- the probe -----------------------------------------------------------------------------


class Probe:
    def __init__(self, claude_bin: Path, base: Path, out: Path) -> None:
        self.claude_bin = claude_bin
        self.base = base
        self.out = out
        self.api = FakeAPI().start()
        self.hook = write_capture_hook(base / "hooks")
        self.emit = write_emit_hook(base / "hooks")
        self.summary: list[dict[str, Any]] = []

    def close(self) -> None:
        self.api.stop()

    # helpers
    def scenario_dir(self, name: str) -> Path:
        d = self.base / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        return d

    def project(
        self, name: str, extra_hooks: dict[str, Any] | None = None, files: dict[str, str] | None = None
    ) -> tuple[Path, Path]:
        d = self.scenario_dir(name)
        capture = d / "capture.jsonl"
        hooks = capture_settings(self.hook, capture)
        if extra_hooks:
            hooks = merge_hooks(hooks, extra_hooks)
        return make_project(d / "project", hooks, files), capture

    def emit_cmd(self, text: str, exit_code: int | None = None) -> str:
        cmd = f"{sh_quote(sys.executable)} {sh_quote(str(self.emit))} {sh_quote(text)}"
        return cmd if exit_code is None else f"{cmd} {exit_code}"

    def run(
        self,
        project: Path,
        prompt: str,
        turns: Sequence[Any],
        extra_args: Sequence[str] = (),
        home: Path | None = None,
        timeout: float = 90,
        subagents: dict[str, list[Any]] | None = None,
    ) -> CliRun:
        home = home or project.parent / "home"
        r = run_cli(
            self.claude_bin,
            self.api,
            project,
            prompt,
            turns,
            home=home,
            tmpdir=project.parent / "tmp",
            extra_args=extra_args,
            timeout=timeout,
            subagents=subagents,
        )
        if r.timed_out or r.result is None:
            print(
                f"  !! run failed: rc={r.returncode} timed_out={r.timed_out}\n"
                f"{r.stderr[-3000:]}\n{r.stdout[-2000:]}",
                file=sys.stderr,
            )
        return r

    def save(self, scenario: str, records: list[dict[str, Any]]) -> list[str]:
        """Write payload files; returns their names."""
        for old in self.out.glob(f"probe-{scenario}-[A-Z]*.json"):  # event names are capitalised
            old.unlink()
        seen: Counter[str] = Counter()
        names = []
        for rec in records:
            label = rec["event"].replace(":", "_")
            stdin = rec.get("stdin")
            ev = stdin.get("hook_event_name") if isinstance(stdin, dict) else None
            if isinstance(stdin, dict) and (ev in TOOL_EVENTS) and stdin.get("tool_name"):
                label += "-" + stdin["tool_name"].replace(":", "_")
            if (
                isinstance(stdin, dict)
                and stdin.get("agent_id")
                and ev not in ("SubagentStart", "SubagentStop")
            ):
                label += "-insubagent"
            seen[label] += 1
            if seen[label] > 1:
                label += f"-{seen[label]}"
            name = f"probe-{scenario}-{label}.json"
            (self.out / name).write_text(
                json.dumps(rec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            names.append(name)
        return names

    def record(
        self,
        scenario: str,
        runs: list[CliRun],
        captured: list[dict[str, Any]],
        checks: dict[str, Any],
        extra: list[dict[str, Any]] | None = None,
    ) -> None:
        files = self.save(scenario, captured + (extra or []))
        entry = {
            "scenario": scenario,
            "events": [
                rec["event"]
                + (
                    f"({rec['stdin'].get('tool_name')})"
                    if isinstance(rec.get("stdin"), dict) and rec["stdin"].get("tool_name")
                    else ""
                )
                + (
                    " [agent_id]"
                    if isinstance(rec.get("stdin"), dict) and rec["stdin"].get("agent_id")
                    else ""
                )
                for rec in captured
            ],
            "files": files,
            "checks": checks,
            "runs": [describe_run(r) for r in runs],
        }
        self.summary.append(entry)
        print(f"== {scenario}: {len(captured)} hook calls; checks={json.dumps(checks)}")
        for e in entry["events"]:
            print("   ", e)


def describe_run(r: CliRun) -> dict[str, Any]:
    res = r.result if isinstance(r.result, dict) else {}
    keep = (
        "subtype",
        "is_error",
        "num_turns",
        "result",
        "session_id",
        "permission_denials",
        "terminal_reason",
        "stop_reason",
    )
    return {
        "argv": [a for a in r.argv[1:]],
        "returncode": r.returncode,
        "timed_out": r.timed_out,
        "result": {k: res.get(k) for k in keep if k in res},
        "subagent_stats": {k: v for k, v in (res.get("subagent_stats") or {}).items() if v},
        "requests": [describe_request(q) for q in r.requests],
        "stderr_tail": r.stderr[-500:],
    }


def describe_request(q: Recorded) -> dict[str, Any]:
    body = q.body if isinstance(q.body, dict) else {}
    system = body.get("system")
    sys_text = system if isinstance(system, str) else json.dumps(system)
    last_user = q.last_message("user")
    d: dict[str, Any] = {
        "kind": q.kind,
        "turn_index": q.turn_index,
        "path": q.path,
        "n_messages": len(body.get("messages") or []),
        "n_tools": len(body.get("tools") or []),
        "system_head": (sys_text or "")[:120],
        "reply": [
            {
                "type": b["type"],
                **(
                    {"name": b["name"], "id": b["id"]} if b["type"] == "tool_use" else {"text": b.get("text")}
                ),
            }
            for b in q.reply.get("content", [])
        ],
    }
    results = q.tool_results()
    if results:
        d["tool_results"] = [
            {
                "tool_use_id": b.get("tool_use_id"),
                "is_error": b.get("is_error"),
                "content": message_text({"content": b.get("content")})[:600],
            }
            for b in results
        ]
    else:
        d["last_user_text"] = message_text(last_user)[-1500:]
    return d


# -- scenarios -------------------------------------------------------------------------------


def sc_basic(p: Probe) -> None:
    proj, cap = p.project("basic")
    r = p.run(
        proj,
        "run echo",
        [{"tool": "Bash", "input": {"command": "echo probe-ok", "description": "echo"}}, "basic done"],
    )
    p.record("basic", [r], read_jsonl(cap), {"num_turns": (r.result or {}).get("num_turns")})


def sc_bashfail(p: Probe) -> None:
    proj, cap = p.project("bashfail")
    cmd = "echo to-stdout; echo to-stderr >&2; exit 1"
    r = p.run(
        proj,
        "run a failing command",
        [{"tool": "Bash", "input": {"command": cmd, "description": "fail"}}, "after failure"],
    )
    main = [q for q in r.requests if q.kind == "main"]
    p.record(
        "bashfail",
        [r],
        read_jsonl(cap),
        {"tool_result_is_error": [b.get("is_error") for q in main for b in q.tool_results()]},
    )


def sc_denied(p: Probe) -> None:
    proj, cap = p.project("denied")
    target = proj / "denied.txt"
    r = p.run(
        proj,
        "write a file",
        [{"tool": "Write", "input": {"file_path": str(target), "content": "x\n"}}, "after denial"],
        extra_args=["--allowedTools", "Bash"],
    )
    main = [q for q in r.requests if q.kind == "main"]
    p.record(
        "denied",
        [r],
        read_jsonl(cap),
        {"file_written": target.exists(), "tool_results": [b for q in main for b in q.tool_results()]},
    )


def sc_block(p: Probe) -> None:
    proj, cap = p.project(
        "block",
        extra_hooks={
            "PreToolUse": [
                {
                    "matcher": "Bash",
                    "hooks": [{"type": "command", "command": p.emit_cmd("BLOCKED-BY-PROBE-HOOK", 2)}],
                }
            ]
        },
    )
    target = proj / "blocked.txt"
    r = p.run(
        proj,
        "run echo",
        [{"tool": "Bash", "input": {"command": f"echo x > {target}", "description": "write"}}, "after block"],
    )
    main = [q for q in r.requests if q.kind == "main"]
    p.record(
        "block",
        [r],
        read_jsonl(cap),
        {"file_written": target.exists(), "tool_results": [b for q in main for b in q.tool_results()]},
    )


def sc_subagent(
    p: Probe, tool_name: str = "Agent", scenario: str = "subagent", background: bool | None = None
) -> None:
    proj, cap = p.project(scenario)
    marker = f"SUBAGENT-TASK-{scenario}"
    agent_input: dict[str, Any] = {
        "description": "probe subagent",
        "prompt": f"{marker}: run echo from-subagent",
        "subagent_type": "general-purpose",
    }
    if background is not None:
        agent_input["run_in_background"] = background
    r = p.run(
        proj,
        "delegate",
        [{"tool": tool_name, "input": agent_input}, "MAIN-AFTER-AGENT-RESULT", "MAIN-AFTER-NOTIFICATION"],
        subagents={
            marker: [
                {"tool": "Bash", "input": {"command": "echo from-subagent", "description": "sub echo"}},
                "SUBAGENT-FINAL-ANSWER",
            ]
        },
    )
    main = [q for q in r.requests if q.kind == "main"]
    sub = [q for q in r.requests if q.kind == "subagent"]
    checks = {
        "main_requests": len(main),
        "subagent_requests": len(sub),
        "main_saw_subagent_answer": [("SUBAGENT-FINAL-ANSWER" in q.text) for q in main],
        "main_tool_results": [b for q in main for b in q.tool_results()],
        "subagent_tools": sub[0].tool_names() if sub else None,
    }
    p.record(scenario, [r], read_jsonl(cap), checks)


def sc_subagentfg(p: Probe) -> None:
    sc_subagent(p, "Agent", "subagentfg", background=False)


def sc_task(p: Probe) -> None:
    sc_subagent(p, "Task", "task")


def sc_continue(p: Probe) -> None:
    proj, cap = p.project("continue")
    r1 = p.run(
        proj,
        "first prompt",
        [{"tool": "Bash", "input": {"command": "echo first", "description": "first"}}, "FIRST-RUN-DONE"],
    )
    n1 = len(read_jsonl(cap))
    r2 = p.run(proj, "second prompt", ["SECOND-RUN-DONE"], extra_args=["--continue"])
    captured = read_jsonl(cap)
    main2 = [q for q in r2.requests if q.kind == "main"]
    checks = {
        "session_ids": [(r.result or {}).get("session_id") for r in (r1, r2)],
        "second_run_saw_first_run": bool(main2) and "FIRST-RUN-DONE" in main2[0].text,
        "hook_calls_first_run": n1,
    }
    p.record("continue", [r1, r2], captured, checks)


def _cmd(allowed: str | None, body: str, description: str = "probe command") -> str:
    fm = [f"description: {description}"]
    if allowed is not None:
        fm.append(f"allowed-tools: {allowed}")
    return "---\n" + "\n".join(fm) + "\n---\n" + body + "\n"


def sc_slash(p: Probe) -> None:
    """Slash commands with `!` pre-exec: one run (and one sub-scenario ``slash-<tag>``) per case.

    Only UserPromptSubmit and UserPromptExpansion payloads are saved per case (the other events
    are the same as in ``basic``); the order of all events is in the summary.
    """
    d = p.scenario_dir("slash")
    dump = d / "preexec.jsonl"
    files = {
        "scripts/dump-env": DUMP_TOOL,
        ".claude/commands/x.md": _cmd(
            "Bash(echo:*)", "PREEXEC: !`echo PREEXEC-MARKER-OUT`\nARGS: all=[$ARGUMENTS] zero=[$0] one=[$1]"
        ),
        ".claude/commands/vars.md": _cmd("Bash(echo:*)", 'VARS: !`echo "VARS sid=$CLAUDE_CODE_SESSION_ID"`'),
        ".claude/commands/varsbare.md": _cmd("Bash", 'VARS: !`echo "VARS sid=$CLAUDE_CODE_SESSION_ID"`'),
        ".claude/commands/envdump.md": _cmd(
            "Bash(./scripts/dump-env:*)", f"ENV: !`./scripts/dump-env {dump} project`"
        ),
        ".claude/commands/readonly.md": _cmd("Bash(echo:*)", "READONLY: !`ls -a`"),
        ".claude/commands/denied.md": _cmd("Bash(echo:*)", "DENIED: !`touch denied-ran.txt`"),
        ".claude/commands/noallowed.md": _cmd(None, f"NOALLOWED: !`./scripts/dump-env {dump} noallowed`"),
    }
    proj = make_project(d / "project", {}, files)
    os.chmod(proj / "scripts" / "dump-env", 0o755)

    # A plugin whose commands run ${CLAUDE_PLUGIN_ROOT}/scripts/tool under several allowed-tools forms.
    plug = d / "plugins" / "probeplug"
    (plug / ".claude-plugin").mkdir(parents=True)
    manifest = {"name": "probeplug", "version": "0.0.1", "description": "probe", "author": {"name": "probe"}}
    (plug / ".claude-plugin" / "plugin.json").write_text(json.dumps(manifest), encoding="utf-8")
    (plug / "scripts").mkdir()
    (plug / "scripts" / "tool").write_text(DUMP_TOOL, encoding="utf-8")
    os.chmod(plug / "scripts" / "tool", 0o755)
    exact = "Bash(${CLAUDE_PLUGIN_ROOT}/scripts/tool:*)"
    quoted = '!`"${CLAUDE_PLUGIN_ROOT}/scripts/tool" ' + str(dump) + " {label}`"
    unquoted = "!`${CLAUDE_PLUGIN_ROOT}/scripts/tool " + str(dump) + " {label}`"
    variants = {
        "exactquoted": (exact, quoted),
        "exactunquoted": (exact, unquoted),
        "exactspace": ("Bash(${CLAUDE_PLUGIN_ROOT}/scripts/tool *)", quoted),
        "globquoted": ("Bash(*/scripts/tool:*)", quoted),
        "globunquoted": ("Bash(*/scripts/tool:*)", unquoted),
        "barebash": ("Bash", quoted),
        "none": (None, quoted),
        # plugin paths and the user's arguments passed on as arguments (no shell variables left)
        "withdata": (exact, quoted.replace("{label}", '{label} --data "${CLAUDE_PLUGIN_DATA}"')),
        "withargs": (exact, quoted.replace("{label}", "{label} $ARGUMENTS")),
    }
    (plug / "commands").mkdir()
    for label, (allowed, body) in variants.items():
        text = (
            "PLUGIN: "
            + body.replace("{label}", label)
            + "\nROOT=${CLAUDE_PLUGIN_ROOT}\nDATA=${CLAUDE_PLUGIN_DATA}"
        )
        (plug / "commands" / f"{label}.md").write_text(_cmd(allowed, text), encoding="utf-8")

    def slash(tag: str, prompt: str, marker: str, allowed_global: str = "Read", plugin: bool = False) -> None:
        cap = d / f"capture-{tag}.jsonl"
        settings = {"hooks": capture_settings(p.hook, cap)}
        (proj / ".claude" / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
        extra = ["--allowedTools", allowed_global] + (["--plugin-dir", str(plug)] if plugin else [])
        r = p.run(proj, prompt, ["SLASH-DONE"], extra_args=extra, home=d / "home")
        main = [q for q in r.requests if q.kind == "main"]
        first_user = message_text(main[0].last_message("user")) if main else ""
        i = first_user.find("<command-message>")
        res = r.result or {}
        checks = {
            "prompt": prompt,
            "global_allowedTools": allowed_global,
            "num_turns": res.get("num_turns"),
            "subtype": res.get("subtype"),
            "is_error": res.get("is_error"),
            "result": res.get("result"),
            "model_called": bool(main),
            "preexec_output_in_request": marker in first_user,
            "expansion": first_user[i:] if i >= 0 else first_user[-300:],
        }
        captured = [
            rec for rec in read_jsonl(cap) if rec["event"] in ("UserPromptSubmit", "UserPromptExpansion")
        ]
        p.record(f"slash-{tag}", [r], captured, checks)
        p.summary[-1]["events"] = [rec["event"] for rec in read_jsonl(cap)]

    slash("x", "/x alpha beta", "PREEXEC-MARKER-OUT")
    slash("vars", "/vars", "VARS sid=")
    slash("varsbare", "/varsbare", "VARS sid=")
    slash("envdump", "/envdump", "TOOL-RAN-project")
    slash("readonly", "/readonly", "README.md")
    slash("denied", "/denied", "DENIED:")
    slash("denied-globalbash", "/denied", "DENIED:", allowed_global="Bash")
    slash("noallowed", "/noallowed", "TOOL-RAN-noallowed")
    slash("noallowed-globalbash", "/noallowed", "TOOL-RAN-noallowed", allowed_global="Bash")
    for label in variants:
        args = " foo bar" if label == "withargs" else ""
        slash(f"plugin-{label}", f"/probeplug:{label}{args}", f"TOOL-RAN-{label}", plugin=True)
    slash("plugin-none-globalbash", "/probeplug:none", "TOOL-RAN-none", allowed_global="Bash", plugin=True)
    slash("plugin-unnamespaced", "/exactquoted", "TOOL-RAN-exactquoted", plugin=True)

    p.summary.append({"scenario": "slash-preexec", "events": [], "files": [], "checks": {}, "runs": []})
    for old in p.out.glob("probe-slash-preexec-*.json"):
        old.unlink()
    for rec in read_jsonl(dump):
        label = rec["event"].split(":", 1)[1]
        name = f"probe-slash-preexec-{label}.json"
        (p.out / name).write_text(json.dumps(rec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        p.summary[-1]["files"].append(name)
    p.summary[-1]["checks"]["ran"] = p.summary[-1]["files"]
    print("== slash-preexec:", p.summary[-1]["files"])


def sc_context(p: Probe) -> None:
    def js(event: str, text: str) -> str:
        return json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}})

    proj, cap = p.project(
        "ctxjson",
        extra_hooks={
            "SessionStart": [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "command": p.emit_cmd(js("SessionStart", "SESSIONSTART-JSON-CTX-MARKER")),
                        }
                    ]
                }
            ],
            "UserPromptSubmit": [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "command": p.emit_cmd(js("UserPromptSubmit", "PROMPT-JSON-CTX-MARKER")),
                        }
                    ]
                }
            ],
        },
    )
    r = p.run(proj, "hello", ["CTX-DONE"])
    main = [q for q in r.requests if q.kind == "main"]
    first = main[0] if main else None

    def where(marker: str) -> Any:
        if first is None:
            return None
        body = first.body
        found = []
        if marker in json.dumps(body.get("system")):
            found.append("system")
        for i, m in enumerate(body.get("messages") or []):
            if marker in json.dumps(m):
                found.append(f"messages[{i}] role={m.get('role')}")
        return found

    def snippet(marker: str) -> str:
        t = first.text if first else ""
        i = t.find(marker)
        return t[max(0, i - 300) : i + 100] if i >= 0 else ""

    checks = {
        "SESSIONSTART-JSON-CTX-MARKER": where("SESSIONSTART-JSON-CTX-MARKER"),
        "PROMPT-JSON-CTX-MARKER": where("PROMPT-JSON-CTX-MARKER"),
        "sessionstart_snippet": snippet("SESSIONSTART-JSON-CTX-MARKER"),
        "prompt_snippet": snippet("PROMPT-JSON-CTX-MARKER"),
    }
    p.record("ctxjson", [r], read_jsonl(cap), checks)

    proj, cap = p.project(
        "ctxplain",
        extra_hooks={
            "SessionStart": [
                {"hooks": [{"type": "command", "command": p.emit_cmd("SESSIONSTART-PLAIN-CTX-MARKER")}]}
            ],
            "UserPromptSubmit": [
                {"hooks": [{"type": "command", "command": p.emit_cmd("PROMPT-PLAIN-CTX-MARKER")}]}
            ],
        },
    )
    r = p.run(proj, "hello", ["CTX-DONE"])
    main = [q for q in r.requests if q.kind == "main"]
    first = main[0] if main else None
    checks = {
        "SESSIONSTART-PLAIN-CTX-MARKER": where("SESSIONSTART-PLAIN-CTX-MARKER"),
        "PROMPT-PLAIN-CTX-MARKER": where("PROMPT-PLAIN-CTX-MARKER"),
        "sessionstart_snippet": snippet("SESSIONSTART-PLAIN-CTX-MARKER"),
        "prompt_snippet": snippet("PROMPT-PLAIN-CTX-MARKER"),
    }
    p.record("ctxplain", [r], read_jsonl(cap), checks)


SCENARIOS: dict[str, Callable[[Probe], None]] = {
    "basic": sc_basic,
    "bashfail": sc_bashfail,
    "denied": sc_denied,
    "block": sc_block,
    "subagent": sc_subagent,
    "subagentfg": sc_subagentfg,
    "task": sc_task,
    "continue": sc_continue,
    "slash": sc_slash,
    "context": sc_context,
}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/payloads"))
    ap.add_argument("--keep", action="store_true", help="keep the temp work dir")
    ap.add_argument("--claude-bin", type=Path, default=None)
    ap.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"default: all of {', '.join(SCENARIOS)}"
    )
    args = ap.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario(s): {', '.join(unknown)}")
    claude_bin = args.claude_bin or find_claude_bin()
    if claude_bin is None:
        print(
            "claude binary not found: run tests/e2e/install_cli.sh or set HANDOFF_CLAUDE_BIN", file=sys.stderr
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="claude-probe-"))
    probe = Probe(claude_bin, base, args.out)
    try:
        for name in args.scenarios or list(SCENARIOS):
            SCENARIOS[name](probe)
    finally:
        probe.close()
        if args.keep:
            print(f"work dir kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    summary = args.out / "probe-summary.jsonl"
    old = {}
    if summary.exists():
        old = {
            json.loads(line)["scenario"]: line
            for line in summary.read_text(encoding="utf-8").splitlines()
            if line.strip()
        }
    for entry in probe.summary:
        old[entry["scenario"]] = json.dumps(entry, ensure_ascii=False)
    summary.write_text("".join(line + "\n" for line in old.values()), encoding="utf-8")
    print(f"wrote {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
