"""/handoff driven through the real Claude Code CLI against the scripted stand-in API.

The model's turns are scripted (tests/e2e/fake_api.py); everything else is real: the CLI expands
.claude/commands/handoff.md, runs its pre-execution under its allowed-tools, runs the hooks of
.claude/settings.json, and executes the Write and Bash tool calls the steps prescribe.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess

import pytest

from handoff_fixtures import PY, REPO, clean_env
from hookutil import state_dir
from lib.logs import frontmatter

pytestmark = pytest.mark.e2e

COMMAND = REPO / ".claude" / "commands" / "handoff.md"
DRAFT_DIR = "/tmp/handoff-drafts"


def _fake_api():
    from e2e.fake_api import FakeAPI, find_claude_bin, run_cli

    return FakeAPI, find_claude_bin, run_cli


@pytest.fixture
def cli():
    FakeAPI, find_claude_bin, run_cli = _fake_api()
    claude = find_claude_bin()
    if claude is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("the Claude Code CLI is required in CI (make cli)")
        pytest.skip("Claude Code CLI not installed (make cli)")
    with FakeAPI() as api:
        yield claude, api, run_cli


def _git(path, *args, env=None):
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True, env=env).stdout


def _project(tmp_path, command_text: str | None = None):
    proj = tmp_path / "proj"
    proj.mkdir()
    env = clean_env()
    _git(proj, "init", "-q", "-b", "main", env=env)
    _git(proj, "config", "user.name", "Roman Tester", env=env)
    _git(proj, "config", "user.email", "rt@example.com", env=env)
    shutil.copytree(REPO / "scripts", proj / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (proj / ".claude" / "commands").mkdir(parents=True)
    shutil.copy(REPO / ".claude" / "settings.json", proj / ".claude" / "settings.json")
    (proj / ".claude" / "commands" / "handoff.md").write_text(command_text or COMMAND.read_text())
    (proj / ".gitignore").write_text(".claude/state/\n")
    (proj / "app.py").write_text("print('v1')\n")
    (proj / "CHANGELOG.md").write_bytes(USER_CHANGELOG)  # the project's own: never touched (issue 20)
    _git(proj, "add", "-A", env=env)
    _git(proj, "commit", "-q", "-m", "initial", env={**env, "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z"})
    return proj, env


def _user_text(body: dict, everything: bool = False) -> str:
    """Text of the last user message (tool results included), or of all user messages."""
    msgs = [m for m in body["messages"] if m["role"] == "user"]
    parts = []
    for msg in msgs if everything else msgs[-1:]:
        content = msg["content"]
        if isinstance(content, str):
            parts.append(content)
            continue
        parts.extend(_block_texts(content))
    return "\n".join(parts)


def _block_texts(content) -> list:
    parts = []
    for block in content:
        if block.get("type") == "text":
            parts.append(block["text"])
        elif block.get("type") == "tool_result":
            c = block.get("content")
            parts.append(c if isinstance(c, str) else "".join(x.get("text", "") for x in c or []))
    return parts


def _bash(command: str) -> dict:
    return {"tool": "Bash", "input": {"command": command, "description": "handoff step"}}


TITLE = "Fix: the 'parser' # edge-cases — ünïcode"
USER_CHANGELOG = (REPO / "tests" / "fixtures" / "changelogs" / "keep-a-changelog.md").read_bytes()
SUMMARY = 'Made `parse()` strict.\n---\nkey: not yaml\n{"json": true} and $HOME stay text.'


def test_handoff_end_to_end(cli, tmp_path):
    claude, api, run_cli = cli
    proj, env = _project(tmp_path)
    (proj / "unrelated.txt").write_text("do not commit me\n")
    (proj / "staged.txt").write_text("staged but unrelated\n")
    _git(proj, "add", "staged.txt", env=env)
    (proj / "app.py").write_text("print('v2')\n")
    run_env = {"HANDOFF_PYTHON": PY, "GIT_CONFIG_NOSYSTEM": "1"}
    # The session's work: a first run that commits, then /handoff in the same session (--continue).
    work = run_cli(
        claude,
        api,
        proj,
        "ship v2",
        [_bash("git commit -q -m 'feat: v2' -- app.py"), "shipped"],
        tmp_path / "home",
        tmp_path / "tmp",
        extra_args=["--allowedTools", "Bash"],
        timeout=120,
        env_extra=run_env,
    )
    assert work.result and work.result["num_turns"] >= 2, work.result
    assert _git(proj, "log", "-1", "--format=%s", env=env).strip() == "feat: v2"

    seen: dict = {}

    def draft(body):
        text = _user_text(body, everything=True)
        seen["context"] = text
        seen["draft"] = re.search(r"^draft file: (\S+)", text, re.M).group(1)
        started = re.search(r"^handoff started at: (\S+)", text, re.M).group(1)
        doc = {
            "title": TITLE,
            "summary": SUMMARY,
            "resume_prompt": "Open lib/parse.py; next: time zones.",
            "confidence": "H",
            "workstreams": ["parser"],
            "handoff_started_at": started,
            "body": {"What I Did": ["Made parse() strict"], "Decisions Made": ["Strings, not dates"]},
        }
        return {"tool": "Write", "input": {"file_path": seen["draft"], "content": json.dumps(doc, indent=1)}}

    def write_session(body):
        seen["write_result"] = _user_text(body)
        return _bash(f"scripts/handoff write-session --input {seen['draft']}")

    def changelog(body):
        out = _user_text(body)
        seen["written"] = json.loads(out[out.index("{") : out.rindex("}") + 1])
        return _bash("scripts/handoff changelog")

    def commit(body):
        out = seen["changelog"] = _user_text(body)
        log_id, path = seen["written"]["id"], seen["written"]["path"]
        changes = json.loads(out[out.index("{") : out.rindex("}") + 1])["path"]  # step 4's `path`
        return _bash(
            f"git add -- {path} {changes} && "
            f"git commit -q -m 'handoff: {log_id} Fix: the '\\''parser'\\''' -- {path} {changes}"
        )

    def archive(body):
        seen["commit"] = _user_text(body)
        return _bash(f"scripts/handoff archive-state --log-id {seen['written']['id']}")

    def final(body):
        seen["archive"] = _user_text(body)
        return "✅ done"

    turns = [_bash("scripts/handoff telemetry-read"), draft, write_session, changelog, commit, archive, final]
    run = run_cli(
        claude,
        api,
        proj,
        "/handoff tidy notes",
        turns,
        tmp_path / "home",
        tmp_path / "tmp",
        extra_args=["--allowedTools", "Read", "--continue"],
        timeout=240,
        env_extra=run_env,
    )
    assert run.result is not None, run.stderr
    assert run.result.get("num_turns", 0) >= len(turns), run.result
    assert not run.result.get("permission_denials"), run.result["permission_denials"]
    session_id = run.result["session_id"]
    assert session_id == work.result["session_id"]

    context = seen["context"]
    assert "operator: RT (from git config user.name 'Roman Tester')" in context
    assert f"draft file: {DRAFT_DIR}/session-{session_id}.json" in context
    assert '"subject": "feat: v2"' in context  # git-stats pre-exec
    assert "Operator's notes for this log (may be empty): tidy notes" in context

    log_id = seen["written"]["id"]
    assert seen["written"]["action"] == "created"
    log = frontmatter.load(str(proj / seen["written"]["path"]))
    assert log.meta["title"] == TITLE and log.meta["summary"] == SUMMARY
    assert log.meta["session_id"] == session_id
    assert log.meta["commits"] == 1 and log.meta["tool_calls_total"] >= 3  # the work commit, telemetry-read, Write
    assert log.meta["handoff_write_min"] is not None
    assert not os.path.exists(seen["draft"])

    head = _git(proj, "show", "--name-only", "--format=%s", "HEAD", env=env).split("\n")
    assert head[0] == f"handoff: {log_id} Fix: the 'parser'"
    assert sorted(x for x in head[1:] if x) == sorted(["docs/sessions/CHANGELOG.md", seen["written"]["path"]])
    status = _git(proj, "status", "--porcelain", env=env)
    assert "?? unrelated.txt" in status and "A  staged.txt" in status
    assert "feat: v2" in (proj / "docs" / "sessions" / "CHANGELOG.md").read_text()
    assert (proj / "CHANGELOG.md").read_bytes() == USER_CHANGELOG

    archived = json.loads(seen["archive"][seen["archive"].index("{") :])
    assert archived["part"] == 1 and archived["transcript"]["to"].endswith(f"/{log_id}.jsonl")
    tx = archived["transcript"]["to"]
    assert stat.S_IMODE(os.stat(tx).st_mode) == 0o600
    assert (
        not (state_dir(proj) / f"session-{session_id}.json").exists()
        or json.loads((state_dir(proj) / f"session-{session_id}.json").read_text())["tool_calls_total"] <= 2
    )  # only what ran after the archive

    out = subprocess.run(
        [PY, str(REPO / "scripts" / "handoff_helpers.py"), "validate", "--root", str(proj)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout


def test_a_draft_with_a_secret_is_refused_then_written_redacted(cli, tmp_path):
    """Issue 20: the model sees the one-line refusal, and the retry with --redact-secrets is
    allowed by the command's allowed-tools; the committed-to-be log holds no secret."""
    claude, api, run_cli = cli
    proj, env = _project(tmp_path)
    secret = "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"  # gitleaks huggingface.go
    seen: dict = {}

    def draft(body):
        text = _user_text(body, everything=True)
        seen["draft"] = re.search(r"^draft file: (\S+)", text, re.M).group(1)
        doc = {
            "title": "Model download",
            "summary": "Downloaded the model.",
            "resume_prompt": "Evaluate the model next.",
            "confidence": "M",
            "body": {"Learnings": ["the mirror wants a token", f"login with {secret}"]},
        }
        return {"tool": "Write", "input": {"file_path": seen["draft"], "content": json.dumps(doc)}}

    def refused(body):
        return _bash(f"scripts/handoff write-session --input {seen['draft']}")

    def redacted(body):
        seen["refusal"] = _user_text(body)
        return _bash(f"scripts/handoff write-session --input {seen['draft']} --redact-secrets")

    def final(body):
        seen["written"] = _user_text(body)
        return "⚠️ written redacted"

    run = run_cli(
        claude,
        api,
        proj,
        "/handoff",
        [draft, refused, redacted, final],
        tmp_path / "home",
        tmp_path / "tmp",
        extra_args=["--allowedTools", "Read"],
        timeout=240,
        env_extra={"HANDOFF_PYTHON": PY, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert run.result is not None, run.stderr
    assert not run.result.get("permission_denials"), run.result["permission_denials"]
    assert "--redact-secrets" in COMMAND.read_text()
    assert 'handoff: input: body.Learnings[1]: looks like a Hugging Face token; nothing written' in seen["refusal"]
    assert secret not in seen["refusal"] and secret not in seen["written"]
    assert "handoff: warning: secrets redacted from the draft" in seen["written"]
    written = json.loads(seen["written"][seen["written"].index("{") : seen["written"].rindex("}") + 1])
    text = (proj / written["path"]).read_text()
    assert secret not in text and "- **L2** login with [REDACTED:huggingface_token]" in text
    assert not os.path.exists(seen["draft"])


def test_a_pre_exec_not_allowed_aborts_the_command(cli, tmp_path):
    """The guard the allowed-tools line exists for: without it the model is never called."""
    claude, api, run_cli = cli
    text = COMMAND.read_text().replace("Bash(scripts/handoff:*), ", "")
    assert text != COMMAND.read_text()
    proj, _ = _project(tmp_path, text)
    run = run_cli(
        claude,
        api,
        proj,
        "/handoff",
        ["never used"],
        tmp_path / "home",
        tmp_path / "tmp",
        extra_args=["--allowedTools", "Read"],
        timeout=120,
        env_extra={"HANDOFF_PYTHON": PY},
    )
    assert run.result["num_turns"] == 0
    assert "scripts/handoff" in run.result["result"]


def test_the_pre_exec_survives_a_broken_setup(cli, tmp_path):
    """No operator and no git: the pre-exec still exits 0, the model is called and told why."""
    claude, api, run_cli = cli
    proj, env = _project(tmp_path)
    _git(proj, "config", "--unset", "user.name", env=env)
    run = run_cli(
        claude,
        api,
        proj,
        "/handoff",
        ["ok"],
        tmp_path / "home",
        tmp_path / "tmp",
        extra_args=["--allowedTools", "Read"],
        timeout=120,
        env_extra={"HANDOFF_PYTHON": PY, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert run.result["num_turns"] >= 1, run.result
    first = api.main_requests()[-1].body
    assert "operator: UNKNOWN: no operator initials" in json.dumps(first)
