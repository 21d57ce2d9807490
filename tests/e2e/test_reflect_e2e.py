"""/reflect through the real Claude Code CLI, project-local and as a plugin (issue 12).

The digest is pre-executed (a refused or failing pre-exec would end the run with ``num_turns:
0``); the scripted model reads the draft file, week and scope from what the command showed it,
saves a draft with the Write tool, runs ``reflect-write`` and commits exactly the paths it
printed. What is checked is what our code did: the figures reached the model, the reflection
and its two charts are in one commit of their own (an unrelated change stays uncommitted), the
file passes ``validate``, and a second /reflect for the same week updates it in place.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .test_commands_e2e import _json_in, _last_user_text, _launcher_in
from .test_install_e2e import HELPERS_ENV, REPO, bash, git, helper, identify, run_install, tool_results

NOW = "2026-11-27T12:00:00Z"  # Friday of 2026-W48
MODES = {
    "local": ((), {**HELPERS_ENV, "HANDOFF_NOW": NOW}, "/reflect"),
    "plugin": (("--plugin-dir", str(REPO)), {"GIT_CONFIG_NOSYSTEM": "1", "HANDOFF_NOW": NOW}, "/handoff:reflect"),
}


def _commit_at(project: Path, rel: str, at: str) -> None:
    (project / rel).write_text(f"{rel} at {at}\n")
    env = {**os.environ, "GIT_AUTHOR_DATE": at, "GIT_COMMITTER_DATE": at}
    subprocess.run(["git", "-C", str(project), "add", rel], check=True, env=env)
    subprocess.run(["git", "-C", str(project), "commit", "-qm", f"work {rel}"], check=True, env=env)


def _week_material(project: Path) -> None:
    from lib.logs import frontmatter  # tests/conftest.py puts scripts/ on sys.path

    _commit_at(project, "a.txt", "2026-11-24T10:00:00Z")
    _commit_at(project, "b.txt", "2026-11-25T10:00:00Z")
    log = project / "docs" / "sessions" / "RT-261124-01.md"
    log.parent.mkdir(parents=True, exist_ok=True)
    meta = {"id": "RT-261124-01", "operator": "RT", "title": "Charts", "ended_at": "2026-11-24T12:00:00Z",
            "tool_calls_total": 21}
    log.write_text(frontmatter.dumps(meta, "# Charts\n\n## Decisions Made\n\n- SVG by hand: no plotting dependency\n"))
    git(project, "add", "-A")
    # --no-verify: this is planted material with only the fields the digest reads, not a log
    # /handoff would write; the installed pre-commit hook (lib/store/precommit.py) would refuse it.
    git(project, "commit", "--no-verify", "-qm", "log")


def _reflect(run_claude, project: Path, mode: str, title: str) -> dict[str, Any]:
    extra, env, command = MODES[mode]
    seen: dict[str, Any] = {}

    def draft_turn(body):
        text = seen["expansion"] = _last_user_text(body)
        seen["launcher"] = _launcher_in(text) or "MISSING-LAUNCHER"
        fields = {k: (re.search(rf"^{k}: (\S+)", text, re.M) or [None, None])[1]
                  for k in ("draft file", "week", "scope", "tz")}
        seen["draft"] = fields["draft file"] or "/tmp/handoff-drafts/MISSING"
        doc = {"week": fields["week"], "operator": fields["scope"], "tz": fields["tz"], "title": title,
               "sections": {"What Shifted": "Two commits, one session.", "What Is Next": ["Trend over a quarter"]}}
        return {"tool": "Write", "input": {"file_path": seen["draft"], "content": json.dumps(doc)}}

    def write_turn(body):
        return bash(f"{seen['launcher']} reflect-write --input {seen['draft']}")

    def add_turn(body):
        seen["written"] = _json_in(_last_user_text(body)) or {"commit_paths": ["MISSING"]}
        return bash("git add -- " + " ".join(seen["written"]["commit_paths"]))

    def commit_turn(body):
        paths = " ".join(seen["written"]["commit_paths"])
        return bash(f"git commit -qm 'reflect: {seen['written'].get('week')} {title}' -- {paths}")

    turns = [draft_turn, write_turn, add_turn, commit_turn, lambda body: "reflection committed"]
    result, requests, _ = run_claude(project, f"{command} 2026-W48", turns,
                                     extra_args=[*extra, "--allowedTools", "Read"], env_extra=env, timeout=120)
    assert result["num_turns"] >= len(turns), f"/reflect did not run (pre-exec refused?): {result.get('result')}"
    assert not result.get("permission_denials"), result["permission_denials"]
    errors = [r for r in tool_results(requests) if r.get("is_error")]
    assert not errors, errors
    return seen


@pytest.mark.parametrize("mode", sorted(MODES))
def test_reflect_writes_and_commits_the_week(run_claude, git_project: Path, mode: str) -> None:
    project = identify(git_project)
    if mode == "local":
        run_install(project, "--no-venv")
        git(project, "add", "-A")
        git(project, "commit", "-qm", "install handoff")
    _week_material(project)
    (project / "unrelated.txt").write_text("not for the reflection commit\n")
    (project / "a.txt").write_text("staged, but not for the reflection commit\n")
    git(project, "add", "a.txt")

    seen = _reflect(run_claude, project, mode, "Two commits and a chart")
    expansion = seen["expansion"]
    assert "!`" not in expansion and "Digest 2026-W48 (2026-11-23..2026-11-29, UTC)" in expansion
    assert "[RT-261124-01] SVG by hand: no plotting dependency" in expansion  # quoted with its log id
    assert re.search(r"^Commits\s+2\s+0\s+\+2$", expansion, re.M), expansion
    assert "PRs opened           not available" in expansion

    written = seen["written"]
    assert written["action"] == "created" and written["path"] == "docs/reflections/2026-W48.md"
    committed = git(project, "show", "--name-only", "--format=%s", "HEAD").split()
    assert committed[:3] == ["reflect:", "2026-W48", "Two"]
    assert sorted(p for p in committed if "/" in p) == sorted(written["commit_paths"])
    status = git(project, "status", "--porcelain")
    assert "?? unrelated.txt" in status and "M  a.txt" in status  # `git commit -- <paths>` left them
    launcher = [str(project / "scripts" / "handoff")] if mode == "local" else [str(REPO / "scripts" / "handoff")]
    helper(launcher, project, "validate", str(project / written["path"]))

    from lib.logs import frontmatter

    meta = frontmatter.load(str(project / written["path"])).meta
    assert meta["figures"]["commits"] == 2 and meta["figures"]["sessions"] == 1 and meta["figures"]["tool_calls"] == 21
    assert (project / "docs" / "reflections" / "2026-W48-week.svg").read_text().startswith("<svg")

    if mode == "local":  # again for the same week: the same files, updated, in a new commit
        again = _reflect(run_claude, project, mode, "Second take")
        assert again["written"]["action"] == "updated" and again["written"]["path"] == written["path"]
        assert frontmatter.load(str(project / written["path"])).meta["title"] == "Second take"
        assert git(project, "log", "-1", "--format=%s").strip() == "reflect: 2026-W48 Second take"
