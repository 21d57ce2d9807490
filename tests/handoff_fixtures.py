"""Shared helpers of the tests/logs/test_handoff_*.py and tests/state/ files: real git repos, real helper processes.

Nothing here mocks git or the filesystem: `Repo` is a temp git repository driven through the
``git`` binary, `Repo.helper` runs ``scripts/handoff_helpers.py`` as a subprocess exactly like
the launcher does, `Repo.hook` runs the telemetry hook as Claude Code would (``sh -c`` of the
command registered in .claude/settings.json).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
HELPERS = SCRIPTS / "handoff_helpers.py"
HOOK = SCRIPTS / "hooks" / "session_state.py"
PY = sys.executable
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


def clean_env(**extra) -> dict:
    """The test process's environment without anything Claude/handoff/git-identity related."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_", "GIT_", "TRANSCRIPTS_DIR"))}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["LC_ALL"] = "C"
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


class Repo:
    def __init__(self, path: Path, home: Path):
        self.path = path
        self.home = home
        self.env = clean_env(HOME=home, HANDOFF_DRAFT_DIR=home / "drafts")

    # --- git ---------------------------------------------------------------------------
    def git(self, *args: str, env: dict | None = None, check: bool = True) -> str:
        out = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
        )
        if check and out.returncode != 0:
            raise AssertionError(f"git {args}: {out.stderr}")
        return out.stdout

    def commit(self, message: str, files: dict | None = None, when: str | None = None) -> str:
        """Write ``files`` ({relpath: text}), stage everything and commit; returns the hash."""
        for rel, text in (files or {"f-%s.txt" % abs(hash(message)): message + "\n"}).items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "-A")
        dates = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else {}
        self.git("commit", "-q", "--allow-empty", "-m", message, env=dates)
        return self.git("rev-parse", "HEAD").strip()

    # --- helpers -----------------------------------------------------------------------
    def helper(self, *args: str, stdin=None, env: dict | None = None, timeout: float = 60, cwd=None):
        """``handoff_helpers.py <args> --root <repo>``; returns CompletedProcess (text)."""
        data = json.dumps(stdin) if isinstance(stdin, (dict, list)) else stdin
        return subprocess.run(
            [PY, str(HELPERS), *args, "--root", str(self.path)],
            input=data,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=timeout,
            cwd=cwd or self.path,
        )

    def helper_ok(self, *args: str, **kw):
        out = self.helper(*args, **kw)
        assert out.returncode == 0, f"{args} exit {out.returncode}: {out.stderr}"
        return out

    def write_session(self, request: dict, session_id: str | None = "sess-1", env: dict | None = None):
        extra = {"CLAUDE_CODE_SESSION_ID": session_id} if session_id else {}
        extra.update(env or {})
        return self.helper("write-session", stdin=request, env=extra)

    def write_ok(self, request: dict, session_id: str | None = "sess-1", env: dict | None = None) -> dict:
        out = self.write_session(request, session_id, env)
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr
        return json.loads(out.stdout)

    # --- the hook ----------------------------------------------------------------------
    def hook_payload(self, event: str, session_id: str, tool: str = "Bash", **fields) -> dict:
        payload = {
            "session_id": session_id,
            "transcript_path": str(self.home / "transcripts" / f"{session_id}.jsonl"),
            "cwd": str(self.path),
            "hook_event_name": event,
        }
        if event in ("PreToolUse", "PostToolUse", "PostToolUseFailure"):
            payload.update(
                tool_name=tool,
                tool_input={"command": "echo hi"},
                tool_use_id="toolu_" + os.urandom(6).hex(),
            )
        if event == "PostToolUse":
            payload["tool_response"] = {"stdout": "hi", "stderr": ""}
        if event == "SessionStart":
            payload["source"] = "startup"
        payload.update(fields)
        return payload

    def hook_env(self, session_id: str) -> dict:
        return {**self.env, "CLAUDE_PROJECT_DIR": str(self.path), "CLAUDE_CODE_SESSION_ID": session_id}

    def hook(self, event: str, session_id: str, tool: str = "Bash", **fields):
        payload = self.hook_payload(event, session_id, tool, **fields)
        out = subprocess.run(
            ["sh", "-c", f'python3 -S "{HOOK}"'],
            input=json.dumps(payload).encode(),
            capture_output=True,
            cwd=self.path,
            env=self.hook_env(session_id),
            timeout=30,
        )
        assert out.returncode == 0
        return out

    def tool_calls(self, session_id: str, n: int, tool: str = "Bash") -> None:
        for _ in range(n):
            self.hook("PostToolUse", session_id, tool)

    # --- files -------------------------------------------------------------------------
    @property
    def state(self) -> Path:
        return self.path / ".claude" / "state"

    @property
    def sessions(self) -> Path:
        return self.path / "docs" / "sessions"

    def log(self, log_id: str):
        from lib.logs import frontmatter

        return frontmatter.load(str(self.sessions / f"{log_id}.md"))


def make_repo(tmp_path: Path, name: str = "proj", user: str | None = "Roman Tester", commit: bool = True) -> Repo:
    path = tmp_path / name
    home = tmp_path / (name + "-home")
    home.mkdir(parents=True)
    path.mkdir(parents=True)
    repo = Repo(path, home)
    repo.git("init", "-q", "-b", "main")
    if user:
        repo.git("config", "user.name", user)
    repo.git("config", "user.email", "tester@example.com")
    repo.git("config", "commit.gpgsign", "false")
    (path / ".gitignore").write_text(".claude/state/\n")
    if commit:
        repo.commit("initial", {"README.md": "hello\n"}, when="2020-01-01T00:00:00Z")
    return repo


def request(**overrides) -> dict:
    """A valid write-session input."""
    base = {
        "title": "Teach the parser to read dates",
        "summary": "The parser reads ISO dates now.",
        "resume_prompt": "Continue with time zones in lib/parse.py.",
        "confidence": "M",
        "workstreams": ["parser"],
        "body": {
            "What I Did": ["Added parse_date()", "Wrote tests"],
            "Decisions Made": "Kept dates as strings in the frontmatter.",
            "For Future Me": "Time zones are next.",
            "Learnings": ["PyYAML turns 2026-01-02 into a date"],
            "Open Questions": ["Do we need local time?"],
        },
    }
    base.update(overrides)
    return base


def today_day() -> str:
    import time

    return time.strftime("%y%m%d", time.gmtime())
