"""`make demo`: the whole story in a temp repo, printed step by step.

1. A repo gets the bundle installed (scripts/install.py, project-local).
2. A session does some work (Write, Bash, Read, Edit, a commit): the telemetry hook counts it.
3. `/handoff` writes the session log, the changelog and the indexes, commits them, archives the
   state and the redacted transcript.
4. A second session runs `/resume` and is shown the log just written.

With the real Claude Code CLI installed (`make cli`, into .tools/), every step runs through it:
`claude -p` against a scripted stand-in for the Messages API on 127.0.0.1 (tests/e2e/fake_api.py),
so the hooks, the `!` pre-execution and the commands are Claude Code's own. Without it the demo
says so and feeds recorded payloads to the registered hook command and runs the helpers the way
the command markdown does.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BUNDLE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BUNDLE / "tests" / "e2e"))

GREET_V1 = 'def greet(name):\n    return "Hello " + name\n\n\nif __name__ == "__main__":\n    print(greet("world"))\n'
LOG_DRAFT = {
    "title": "Add a greeting module",
    "summary": "Added greet.py with a greet() function and a __main__ entry point, fixed the greeting's "
    "punctuation and committed it.",
    "resume_prompt": "Continue the greeting work: add a --name option to greet.py (argparse), then a test "
    "in tests/test_greet.py. Open greet.py first.",
    "confidence": "H",
    "workstreams": ["greetings"],
    "body": {
        "What I Did": ["Wrote greet.py", "Ran it", "Fixed the comma after Hello", "Committed it"],
        "Decisions Made": ["Plain string concatenation: the function is tiny and has no formatting needs"],
        "For Future Me": "The module has no tests yet.",
        "Learnings": ["The hook counted every tool call of this session"],
        "Open Questions": ["Should greet() accept a list of names?"],
    },
}
WORKSTREAM = """---
title: Greetings
owner: RT
status: active
---
## Phases
- [x] P1 greet() function
- [ ] P2 --name option
- [ ] P3 tests

## What's Next
P2: argparse for --name.
"""


def banner(text: str) -> None:
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def run(argv, cwd, env=None, input_text=None, check=True) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, input=input_text, capture_output=True, text=True)
    if check and proc.returncode != 0:
        command = shlex.join(map(str, argv))
        sys.exit("demo: %s failed (%d):\n%s%s" % (command, proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout


def indent(text: str, limit: int = 40) -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + ["... (%d more lines)" % (len(lines) - limit)]
    return textwrap.indent("\n".join(lines), "    ")


def make_repo(tmp: Path) -> Path:
    repo = tmp / "demo-repo"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "config", "user.name", "Roman Tester"], repo)
    run(["git", "config", "user.email", "rt@example.com"], repo)
    (repo / "README.md").write_text("# demo\n")
    run(["git", "add", "README.md"], repo)
    run(["git", "commit", "-qm", "Initial commit"], repo)
    return repo


def helper(repo: Path, env: dict, *args: str, input_text: str | None = None) -> str:
    return run([str(repo / "scripts" / "handoff"), *args], repo, env, input_text)


def real_story(repo: Path, tmp: Path, env: dict, claude_bin: Path) -> None:
    from fake_api import FakeAPI, message_text, run_cli

    home, ctmp = tmp / "home", tmp / "claude-tmp"

    def claude(api, prompt, turns, extra=()):
        result = run_cli(claude_bin, api, repo, prompt, turns, home, ctmp, extra_args=extra, env_extra=env, timeout=120)
        if result.timed_out or result.returncode != 0 or not isinstance(result.result, dict):
            sys.exit("demo: claude -p %r failed:\n%s\n%s" % (prompt, result.stdout[-2000:], result.stderr[-2000:]))
        if result.result.get("num_turns") == 0:
            sys.exit("demo: %r never reached the model (a pre-exec was refused?): %s" % (prompt, result.result))
        return result

    with FakeAPI() as api:
        banner("2. A session does some work (real Claude Code, scripted model)")
        greet = str(repo / "greet.py")
        work = claude(
            api,
            "Add a greeting module and commit it",
            [
                {"tool": "Write", "input": {"file_path": greet, "content": GREET_V1}},
                {"tool": "Bash", "input": {"command": "python3 greet.py", "description": "Run it"}},
                {"tool": "Read", "input": {"file_path": greet}},
                {"tool": "Edit", "input": {"file_path": greet, "old_string": '"Hello "', "new_string": '"Hello, "'}},
                {"tool": "Bash", "input": {"command": "git add greet.py && git commit -qm 'Add greeting module'"}},
                "Added greet.py and committed it.",
            ],
        )
        session_id = work.result["session_id"]
        print("    session %s: %s" % (session_id, work.result.get("result")))
        print(indent(helper(repo, env, "telemetry-read", "--session-id", session_id), 25))

        banner("3. /handoff (same session, --continue)")
        written = {}

        def draft_log(body):
            # The pre-executed whoami names the draft file: the model writes its JSON there with
            # the Write tool (Claude Code refuses Bash commands holding JSON).
            match = re.search(r"draft file: (\S+)", json.dumps(body).replace("\\n", "\n"))
            written["draft"] = match.group(1) if match else "/tmp/handoff-drafts/demo.json"
            return {"tool": "Write", "input": {"file_path": written["draft"], "content": json.dumps(LOG_DRAFT)}}

        def write_log(body):
            return {"tool": "Bash", "input": {"command": "scripts/handoff write-session --input %s" % written["draft"]}}

        def commit_log(body):
            for result in _all_tool_results(body):  # write-session's answer, two steps back
                try:
                    answer = json.loads(result)
                except ValueError:
                    continue
                if isinstance(answer, dict) and "id" in answer and "path" in answer:
                    written.update(answer)
            files = " ".join(shlex.quote(p) for p in (written["path"], "CHANGELOG.md"))
            return {"tool": "Bash", "input": {"command": "git add %s docs/sessions/INDEX.md workstreams/INDEX.md && "
                                              "git commit -qm 'handoff: %s'" % (files, written["id"])}}

        def archive(body):
            return {"tool": "Bash", "input": {"command": "scripts/handoff archive-state --session-id %s --log-id %s"
                                              % (session_id, written["id"])}}

        handoff = claude(
            api,
            "/handoff",
            [
                draft_log,
                write_log,
                {"tool": "Bash", "input": {"command": "scripts/handoff changelog"}},
                {"tool": "Bash", "input": {"command": "scripts/handoff regen-indexes"}},
                commit_log,
                archive,
                "Handoff complete.",
            ],
            extra=["--continue"],
        )
        main = [r for r in handoff.requests if r.kind == "main"]
        shown = message_text(main[0].last_message("user")) if main else ""
        print("    the model was shown the command with its pre-executed context; it starts:")
        print(indent(_after(shown, "### Operator"), 14))
        print("    the scripted model's steps and what they returned:")
        for request in main[1:]:
            for result in _tool_results(request.body):
                print(indent(result.strip(), 3))
        print("    log written: %s (%s)" % (written.get("path"), written.get("id")))

        banner("4. A new session runs /resume")
        resume = claude(api, "/resume", ["Welcome back! Next: add the --name option to greet.py."])
        main = [r for r in resume.requests if r.kind == "main"]
        dashboard = message_text(main[0].last_message("user")) if main else ""
        print("    the model was shown the dashboard:")
        print(indent(_after(dashboard, "## Dashboard") or dashboard[-3000:], 30))


def _result_texts(message) -> list:
    """The tool_result texts of one user message (none for other messages)."""
    if message.get("role") != "user" or not isinstance(message.get("content"), list):
        return []
    texts = []
    for block in message["content"]:
        if block.get("type") == "tool_result":
            content = block.get("content")
            if isinstance(content, list):
                content = "".join(c.get("text", "") for c in content if isinstance(c, dict))
            texts.append(content or "")
    return texts


def _tool_results(body) -> list:
    """The tool results the model is answering in this request (the last ones sent)."""
    for message in reversed(body.get("messages", [])):
        texts = _result_texts(message)
        if texts:
            return texts
    return []


def _all_tool_results(body) -> list:
    """Every tool_result text in the conversation so far, oldest first."""
    return [text for message in body.get("messages", []) for text in _result_texts(message)]


def _after(text: str, marker: str) -> str:
    i = text.find(marker)
    return text[i:] if i >= 0 else ""


def simulated_story(repo: Path, tmp: Path, env: dict) -> None:
    sys.path.insert(0, str(BUNDLE / "tests"))
    from hookutil import payload, registered_command

    session_id = "0b5e1c9a-demo-4c1e-9f00-5e55104d0001"
    transcript = tmp / "transcript.jsonl"
    transcript.write_text((BUNDLE / "tests/fixtures/transcripts/sample-1.jsonl").read_text())
    hook_env = dict(env, CLAUDE_PROJECT_DIR=str(repo), CLAUDE_CODE_SESSION_ID=session_id)

    def fire(p):
        command = registered_command(p["hook_event_name"], p.get("tool_name"))
        if command:
            run(["sh", "-c", command], repo, hook_env, json.dumps(p))

    banner("2. A session does some work (simulated: recorded payload shapes through the registered hook)")
    common = {"session_id": session_id, "transcript_path": str(transcript)}
    fire(payload("SessionStart", **common))
    (repo / "greet.py").write_text(GREET_V1.replace('"Hello "', '"Hello, "'))
    for tool in ("Write", "Bash", "Read", "Edit"):
        fire(payload("PostToolUse", tool_name=tool, **common))
    run(["git", "add", "greet.py"], repo)
    run(["git", "commit", "-qm", "Add greeting module"], repo)
    fire(payload("PostToolUse", tool_name="Bash", **common))
    print(indent(helper(repo, hook_env, "telemetry-read"), 25))

    banner("3. /handoff (the steps handoff.md tells the model to run)")
    written = json.loads(helper(repo, hook_env, "write-session", input_text=json.dumps(LOG_DRAFT)))
    helper(repo, hook_env, "changelog")
    helper(repo, hook_env, "regen-indexes")
    run(["git", "add", written["path"], "CHANGELOG.md", "docs/sessions/INDEX.md", "workstreams/INDEX.md"], repo)
    run(["git", "commit", "-qm", "handoff: %s" % written["id"]], repo)
    print(indent(helper(repo, hook_env, "archive-state", "--session-id", session_id, "--log-id", written["id"]), 10))
    print("    log written: %s (%s)" % (written["path"], written["id"]))

    banner("4. A new session runs /resume")
    print(indent(helper(repo, dict(env, CLAUDE_PROJECT_DIR=str(repo)), "resume"), 30))


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="handoff-demo-"))
    banner("1. A repo with the bundle installed (project-local)")
    repo = make_repo(tmp)
    # A real install: it creates <repo>/.venv with the helpers' packages (pip's cache makes this
    # quick after `make setup`), which is what the launcher and the slash commands then use.
    print(indent(run([sys.executable, str(BUNDLE / "scripts" / "install.py"), str(repo)], BUNDLE), 12))
    (repo / "workstreams" / "greetings.md").write_text(WORKSTREAM)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "Install handoff; add the greetings workstream"], repo)
    time.sleep(1.1)  # git log --since has one-second resolution: keep the install out of the session
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    env.update({"TRANSCRIPTS_DIR": str(tmp / "transcripts"), "HANDOFF_OPERATOR": "RT"})

    from fake_api import find_claude_bin

    claude_bin = find_claude_bin()
    if claude_bin:
        print("    using the real Claude Code CLI: %s" % claude_bin)
        real_story(repo, tmp, env, claude_bin)
    else:  # `make demo` installs the CLI whenever npm is there (and says so when it is not)
        print("    no Claude Code CLI in .tools/ (`make cli` installs it): replaying recorded hook payloads")
        simulated_story(repo, tmp, env)

    logs = sorted(p.name for p in (repo / "docs" / "sessions").glob("RT-*.md"))
    banner("Where things are")
    print("    repo:         %s" % repo)
    print("    session log:  %s" % (repo / "docs" / "sessions" / logs[-1] if logs else "(none)"))
    print("    changelog:    %s" % (repo / "CHANGELOG.md"))
    print("    state:        %s" % (repo / ".git" / "handoff" / "state"))  # project.state_dir_for
    print("    transcripts:  %s" % (tmp / "transcripts"))
    print("    git log:\n%s" % indent(run(["git", "log", "--oneline"], repo), 10))
    if claude_bin:
        print("\nThe real Claude Code CLI (%s) ran this story: /handoff and /resume are its slash commands." % (
            run([str(claude_bin), "--version"], repo, env=dict(env, DISABLE_AUTOUPDATER="1")).strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
