"""scripts/install.py and lib/install/installer.py: merging into a real repo and taking it out again.

The pure functions (settings merge/unmerge, .gitignore, JSON layout) are tested directly; the
CLI runs as a subprocess on temp git repos (``--no-venv``: the venv is tests/install/test_install_python_env.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.install import installer

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "scripts" / "install.py"
BUNDLE_SETTINGS = json.loads((REPO / ".claude" / "settings.json").read_text())
OURS = installer.hook_additions(BUNDLE_SETTINGS)
OUR_COMMAND = OURS[0]["group"]["hooks"][0]["command"]



def _ours(group) -> bool:
    return any(h.get("command") == OUR_COMMAND for h in group.get("hooks", []))


USER_HOOK = {"type": "command", "command": "echo user"}
USER_SETTINGS = {
    "model": "opus",
    "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]},
    "hooks": {
        "PostToolUse": [{"matcher": "Edit|Write", "hooks": [USER_HOOK]}],
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
    },
}


# -- pure functions ------------------------------------------------------------------------------


def test_merge_keeps_the_users_hooks_and_settings_and_adds_ours_after_them():
    merged, record = installer.merge_hooks(USER_SETTINGS, OURS)
    assert merged["model"] == "opus" and merged["permissions"] == USER_SETTINGS["permissions"]
    assert merged["hooks"]["Stop"] == USER_SETTINGS["hooks"]["Stop"]
    assert merged["hooks"]["PostToolUse"][0] == USER_SETTINGS["hooks"]["PostToolUse"][0]
    assert merged["hooks"]["PostToolUse"][1]["hooks"][0]["command"] == OUR_COMMAND
    for event in BUNDLE_SETTINGS["hooks"]:
        assert any(_ours(g) for g in merged["hooks"][event])
    assert len(record["added"]) == len(OURS)
    assert "PostToolUse" not in record["events_created"] and "SessionStart" in record["events_created"]
    assert record["hooks_key_created"] is False
    assert USER_SETTINGS["hooks"]["PostToolUse"] == [{"matcher": "Edit|Write", "hooks": [USER_HOOK]}]  # not mutated


def test_merge_twice_adds_nothing_and_unmerge_restores_exactly():
    merged, record = installer.merge_hooks(USER_SETTINGS, OURS)
    again, record2 = installer.merge_hooks(merged, OURS)
    assert again == merged and record2["added"] == []
    assert installer.unmerge_hooks(merged, record) == USER_SETTINGS


def test_merge_into_empty_settings_and_back():
    merged, record = installer.merge_hooks({}, OURS)
    assert set(merged["hooks"]) == set(BUNDLE_SETTINGS["hooks"]) and record["hooks_key_created"]
    assert installer.unmerge_hooks(merged, record) == {}


def test_an_entry_already_there_is_not_duplicated():
    """E.g. the user copied our settings by hand earlier (matcher "" counts as "*")."""
    pre = {"hooks": {"PostToolUse": [{"matcher": "", "hooks": [{"type": "command", "command": OUR_COMMAND}]}]}}
    merged, record = installer.merge_hooks(pre, OURS)
    assert len(merged["hooks"]["PostToolUse"]) == 1
    assert all(a["event"] != "PostToolUse" for a in record["added"])
    assert installer.unmerge_hooks(merged, record) == pre  # theirs stays at uninstall


def test_unmerge_keeps_what_the_user_added_after_the_install():
    merged, record = installer.merge_hooks(USER_SETTINGS, OURS)
    merged["hooks"]["SessionStart"].append({"hooks": [{"type": "command", "command": "echo later"}]})
    merged["env"] = {"FOO": "1"}
    out = installer.unmerge_hooks(merged, record)
    assert out["hooks"]["SessionStart"] == [{"hooks": [{"type": "command", "command": "echo later"}]}]
    assert out["env"] == {"FOO": "1"} and out["hooks"]["PostToolUse"] == USER_SETTINGS["hooks"]["PostToolUse"]
    assert not any(_ours(g) for gs in out["hooks"].values() for g in gs)


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "a": [\n    1\n  ],\n  "b": {\n    "c": "é"\n  }\n}\n',  # JSON.stringify(x, null, 2), Claude Code's own
        '{\n    "a": 1\n}',
        '{\n\t"a": {\n\t\t"b": []\n\t}\n}\n',
        '{"a":1,"b":[1,2]}',
        '{"a": 1, "b": [1, 2]}\n',
    ],
)
def test_json_style_reproduces_the_users_layout(text):
    assert installer.dump_json(json.loads(text), installer.json_style(text)) == text


def test_json_style_of_a_hand_formatted_file_keeps_its_indentation():
    text = '{\n    "a": [1, 2],\n    "b": {"c": 1}\n}\n'
    style = installer.json_style(text)
    assert style["indent"] == 4 and style["newline"] is True


def test_check_settings_shape_refuses_what_it_cannot_merge():
    for bad in ([], {"hooks": []}, {"hooks": {"PostToolUse": {}}}, {"hooks": {"PostToolUse": ["x"]}}):
        with pytest.raises(installer.InstallError):
            installer.check_settings_shape(bad)


@pytest.mark.parametrize(
    "before, expected",
    [
        (None, ".claude/state/\n"),
        ("", ".claude/state/\n"),
        ("node_modules/", "node_modules/\n.claude/state/\n"),
        ("node_modules/\n", "node_modules/\n.claude/state/\n"),
        ("/.claude/state\n", "/.claude/state\n"),  # already ignored
        (".claude/state/*\n", ".claude/state/*\n"),
    ],
)
def test_gitignore_add_and_remove_are_inverse(before, expected):
    text, record = installer.gitignore_add(before, [".claude/state/"])
    assert text == expected
    assert installer.gitignore_remove(text, record) == (before or "")


# -- the CLI on real repos -------------------------------------------------------------------------


def _git_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def _install(target: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    out = subprocess.run(
        [sys.executable, str(INSTALL), *args, str(target)], capture_output=True, text=True, env=env, timeout=120
    )
    if ok:
        assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    return out


def _snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".git/") or rel == ".git":
            continue
        out[rel] = b"<dir>" if path.is_dir() else path.read_bytes()
    return out


def _user_repo(tmp_path: Path) -> Path:
    target = _git_repo(tmp_path / "user")
    (target / ".claude").mkdir()
    (target / ".claude" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2) + "\n")
    (target / ".gitignore").write_text("node_modules/\n*.log")  # no final newline
    (target / "requirements.txt").write_text("django\n")  # the user's, not ours
    (target / "scripts").mkdir()
    (target / "scripts" / "deploy.sh").write_text("echo deploy\n")
    return target


def test_install_into_a_repo_with_its_own_settings_then_uninstall_restores_every_byte(tmp_path):
    target = _user_repo(tmp_path)
    before = _snapshot(target)
    out = _install(target, "--no-venv")
    assert "commit the result" in out.stdout
    hint = [line for line in out.stdout.splitlines() if "run: " in line]
    assert len(hint) == 1 and f"{target}/.venv/bin/python -m pip install -r" in hint[0]

    settings = json.loads((target / ".claude" / "settings.json").read_text())
    assert settings["model"] == "opus" and settings["permissions"] == USER_SETTINGS["permissions"]
    assert settings["hooks"]["PostToolUse"][0] == USER_SETTINGS["hooks"]["PostToolUse"][0]
    assert sum(_ours(g) for gs in settings["hooks"].values() for g in gs) == len(OURS)
    assert (target / ".gitignore").read_text() == "node_modules/\n*.log\n.claude/state/\nscripts/**/__pycache__/\n"
    assert (target / "requirements.txt").read_text() == "django\n"
    assert (target / "scripts" / "handoff-requirements.txt").read_bytes() == (REPO / "requirements.txt").read_bytes()
    for rel in ("scripts/handoff", "scripts/handoff_helpers.py", "scripts/hooks/session_state.py",
                ".claude/commands/handoff.md", ".claude/commands/resume.md", ".claude/handoff.json",
                ".claude/commands/reflect.md", "scripts/lib/digest/report.py",
                "scripts/lib/logs/schemas/reflection.schema.json",
                "docs/sessions/README.md", "workstreams/README.md"):
        assert (target / rel).is_file(), rel
    assert os.access(target / "scripts" / "handoff", os.X_OK)
    assert not (target / "scripts" / "lib" / "install" / "installer.py").exists()
    assert not list(target.rglob("__pycache__"))
    manifest = json.loads((target / ".claude" / "handoff-install.json").read_text())
    assert "scripts/deploy.sh" not in manifest["files"] and "scripts" not in manifest["dirs"]

    after_first = _snapshot(target)
    out = _install(target, "--no-venv")
    assert "up to date" in out.stdout
    assert _snapshot(target) == after_first  # byte-identical, settings included

    _install(target, "--uninstall")
    assert _snapshot(target) == before


def test_uninstall_takes_the_byte_code_our_launcher_wrote_into_the_users_scripts_dir(tmp_path):
    """The launcher imports handoff_helpers, so Python caches it in scripts/__pycache__, a
    directory of the user's (their deploy.sh lives in scripts/): uninstall removes that byte
    code too, and the emptied __pycache__, leaving every byte as it was."""
    target = _user_repo(tmp_path)
    before = _snapshot(target)
    _install(target, "--no-venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["HANDOFF_PYTHON"] = sys.executable
    subprocess.run(["sh", str(target / "scripts" / "handoff"), "whoami"], cwd=target, env=env, capture_output=True)
    assert list((target / "scripts" / "__pycache__").glob("handoff_helpers.*.pyc"))  # what the test is about
    _install(target, "--uninstall")
    assert _snapshot(target) == before


def test_install_into_a_bare_repo_and_out_again(tmp_path):
    target = _git_repo(tmp_path / "bare")
    _install(target, "--no-venv")
    assert json.loads((target / ".claude" / "settings.json").read_text()) == {"hooks": BUNDLE_SETTINGS["hooks"]}
    assert (target / ".gitignore").read_text() == ".claude/state/\nscripts/**/__pycache__/\n"
    # The hook and the helpers run from the install (the hook needs nothing but python3).
    payload = {"session_id": "s1", "hook_event_name": "SessionStart", "source": "startup",
               "cwd": str(target), "transcript_path": "/dev/null"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_"))}
    command = BUNDLE_SETTINGS["hooks"]["SessionStart"][0]["hooks"][0]["command"]
    subprocess.run(["sh", "-c", command], input=json.dumps(payload), text=True, check=True, cwd=target,
                   env={**env, "CLAUDE_PROJECT_DIR": str(target)})
    read = subprocess.run([str(target / "scripts" / "handoff"), "telemetry-read", "--session-id", "s1"],
                          capture_output=True, text=True, cwd=target,
                          env={**env, "HANDOFF_PYTHON": sys.executable, "CLAUDE_PROJECT_DIR": str(target)})
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["started_at_source"] == "session_start"

    _install(target, "--uninstall")
    leftover = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if ".git" not in p.parts)
    assert leftover == []  # the state lives under the git dir (never committed) and is kept: it is the user's
    assert (target / ".git" / "handoff" / "state" / "session-s1.json").is_file()


def test_malformed_settings_is_a_clear_error_and_nothing_changes(tmp_path):
    target = _git_repo(tmp_path / "broken")
    (target / ".claude").mkdir()
    (target / ".claude" / "settings.json").write_text('{"hooks": {"PostToolUse": [}\n')
    before = _snapshot(target)
    out = _install(target, "--no-venv", ok=False)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handoff install: .claude/settings.json: not valid JSON")
    assert _snapshot(target) == before

    (target / ".claude" / "settings.json").write_text('{"hooks": []}\n')
    out = _install(target, "--no-venv", ok=False)
    assert out.returncode == 1 and "'hooks' is not an object" in out.stderr


def test_a_user_file_in_the_way_is_a_conflict_and_nothing_changes(tmp_path):
    target = _git_repo(tmp_path / "conflict")
    (target / ".claude" / "commands").mkdir(parents=True)
    (target / ".claude" / "commands" / "handoff.md").write_text("my own /handoff\n")
    before = _snapshot(target)
    out = _install(target, "--no-venv", ok=False)
    assert out.returncode == 1 and ".claude/commands/handoff.md" in out.stderr and "Nothing was changed" in out.stderr
    assert _snapshot(target) == before


def test_seed_files_of_the_user_are_kept_and_not_removed(tmp_path):
    target = _git_repo(tmp_path / "seeds")
    (target / "docs" / "sessions").mkdir(parents=True)
    (target / "docs" / "sessions" / "README.md").write_text("our own log rules\n")
    (target / ".claude").mkdir()
    (target / ".claude" / "handoff.json").write_text('{"resume_on_start": true}\n')
    _install(target, "--no-venv")
    assert (target / "docs" / "sessions" / "README.md").read_text() == "our own log rules\n"
    _install(target, "--uninstall")
    assert (target / "docs" / "sessions" / "README.md").read_text() == "our own log rules\n"
    assert (target / ".claude" / "handoff.json").read_text() == '{"resume_on_start": true}\n'


def test_uninstall_keeps_files_changed_since_and_user_data(tmp_path):
    target = _git_repo(tmp_path / "changed")
    _install(target, "--no-venv")
    (target / ".claude" / "commands" / "resume.md").write_text("customised\n")
    (target / "docs" / "sessions" / "RT-261121-01.md").write_text("---\nid: RT-261121-01\n---\n")
    out = _install(target, "--uninstall")
    assert "kept 1 files you changed" in out.stdout and ".claude/commands/resume.md" in out.stdout
    assert (target / ".claude" / "commands" / "resume.md").read_text() == "customised\n"
    assert (target / "docs" / "sessions" / "RT-261121-01.md").exists()
    assert not (target / "docs" / "sessions" / "README.md").exists()
    assert not (target / "scripts").exists() and not (target / ".claude" / "settings.json").exists()


def test_upgrade_replaces_unchanged_files_and_changed_hook_entries(tmp_path):
    """An install from an older bundle: its files and hook entries give way to this one's."""
    target = _user_repo(tmp_path)
    original_settings = (target / ".claude" / "settings.json").read_bytes()
    _install(target, "--no-venv")
    manifest_path = target / ".claude" / "handoff-install.json"
    manifest = json.loads(manifest_path.read_text())
    # Make it look like an older version: another hook timeout, an older launcher, a dropped file.
    settings = json.loads((target / ".claude" / "settings.json").read_text())
    for item in manifest["settings"]["added"]:
        for group in settings["hooks"][item["event"]]:
            if group == item["group"]:
                group["hooks"][0]["timeout"] = 3
        item["group"]["hooks"][0]["timeout"] = 3
    (target / ".claude" / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    (target / "scripts" / "handoff").write_text("#!/bin/sh\necho old launcher\n")
    (target / "scripts" / "lib" / "gone.py").write_text("# dropped in the new version\n")
    for rel in ("scripts/handoff", "scripts/lib/gone.py"):
        manifest["files"][rel] = {"sha256": installer.sha256((target / rel).read_bytes()), "kind": "code"}
    manifest_path.write_text(json.dumps(manifest))

    out = _install(target, "--no-venv")
    assert "files updated" in out.stdout and "no longer in the bundle removed" in out.stdout
    assert (target / "scripts" / "handoff").read_bytes() == (REPO / "scripts" / "handoff").read_bytes()
    assert not (target / "scripts" / "lib" / "gone.py").exists()
    settings = json.loads((target / ".claude" / "settings.json").read_text())
    ours = [g for gs in settings["hooks"].values() for g in gs if _ours(g)]
    assert len(ours) == len(OURS) and all(g["hooks"][0]["timeout"] == 5 for g in ours)
    _install(target, "--uninstall")
    assert (target / ".claude" / "settings.json").read_bytes() == original_settings


def test_hand_formatted_settings_come_back_byte_for_byte(tmp_path):
    target = _git_repo(tmp_path / "handmade")
    (target / ".claude").mkdir()
    text = '{ "hooks": { "Stop": [ {"hooks": [{"type": "command", "command": "true"}]} ] },\n  "model":"opus" }'
    (target / ".claude" / "settings.json").write_text(text)
    _install(target, "--no-venv")
    assert "session_state.py" in (target / ".claude" / "settings.json").read_text()
    _install(target, "--uninstall")
    assert (target / ".claude" / "settings.json").read_text() == text


def test_usage_errors(tmp_path):
    out = _install(tmp_path / "missing", "--no-venv", ok=False)
    assert out.returncode == 1 and "not a directory" in out.stderr
    out = _install(REPO, "--no-venv", ok=False)
    assert out.returncode == 1 and "is the bundle itself" in out.stderr
    target = _git_repo(tmp_path / "never")
    out = _install(target, "--uninstall", ok=False)
    assert out.returncode == 1 and "was not installed here" in out.stderr


def test_upgrade_from_an_older_layout_prunes_what_it_emptied(tmp_path):
    """An older bundle kept its modules flat (scripts/lib/*.py, scripts/lib/schemas/): upgrading
    removes them, their byte code, and the directories that only they filled; a directory where
    the user keeps a file of their own stays."""
    target = _user_repo(tmp_path)
    _install(target, "--no-venv")
    manifest_path = target / ".claude" / "handoff-install.json"
    manifest = json.loads(manifest_path.read_text())
    old = {"scripts/lib/statefiles.py": "# flat\n", "scripts/lib/schemas/session.schema.json": "{}\n",
           "scripts/lib/oldkeep/mod.py": "# flat\n"}
    for rel, text in old.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text)
        manifest["files"][rel] = {"sha256": installer.sha256(text.encode()), "kind": "code"}
    for d in ("scripts/lib/schemas", "scripts/lib/oldkeep"):
        manifest["dirs"].append(d)
    pycache = target / "scripts" / "lib" / "__pycache__"
    pycache.mkdir(exist_ok=True)
    (pycache / "statefiles.cpython-311.pyc").write_bytes(b"\0")
    (target / "scripts" / "lib" / "oldkeep" / "mine.txt").write_text("the user's own file\n")
    manifest_path.write_text(json.dumps(manifest))

    out = _install(target, "--no-venv")
    assert "3 files no longer in the bundle removed" in out.stdout, out.stdout
    assert not (target / "scripts" / "lib" / "statefiles.py").exists()
    assert not (pycache / "statefiles.cpython-311.pyc").exists()
    assert not (target / "scripts" / "lib" / "schemas").exists()
    assert (target / "scripts" / "lib" / "oldkeep" / "mine.txt").exists()
    dirs = json.loads(manifest_path.read_text())["dirs"]
    assert "scripts/lib/schemas" not in dirs and "scripts/lib/oldkeep" in dirs
    assert (target / "scripts" / "lib" / "core" / "statefiles.py").is_file()
    _install(target, "--uninstall")
    assert (target / "scripts" / "lib" / "oldkeep" / "mine.txt").exists()
