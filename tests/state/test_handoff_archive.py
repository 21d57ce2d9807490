"""archive-state: the move under the session lock (racing live hooks), parts, transcripts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from handoff_fixtures import HELPERS, HOOK, PY, make_repo

SECRET_LINE = json.dumps({"type": "user", "message": {"content": "export GITHUB_TOKEN=ghp_" + "a" * 36}})
PLAIN_LINE = json.dumps({"type": "assistant", "message": {"content": "all good: é 🚀"}}, ensure_ascii=False)


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def transcript(repo, session_id: str, lines=(PLAIN_LINE, SECRET_LINE, PLAIN_LINE)) -> str:
    path = repo.home / "transcripts" / f"{session_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def empty_transcript(repo) -> str:
    """An empty regular file (a device such as /dev/null is refused as a transcript)."""
    path = repo.home / "empty.jsonl"
    path.touch()
    return str(path)


def archive(repo, session_id, log_id="RT-261121-01", *extra, env=None):
    env = {"TRANSCRIPTS_DIR": str(repo.home / "archive-tx"), **(env or {})}
    return repo.helper("archive-state", "--session-id", session_id, "--log-id", log_id, *extra, env=env)


def test_moves_record_and_lock_and_copies_redacted_transcript(repo):
    sid = "arch-1"
    repo.hook("SessionStart", sid)
    repo.tool_calls(sid, 2)
    transcript(repo, sid)  # the path the hook recorded
    out = archive(repo, sid)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    base = repo.state / "archive" / f"session-{sid}.RT-261121-01.1"
    assert result["moved"] == [
        {"from": str(repo.state / f"session-{sid}.json"), "to": str(base) + ".json"},
        {"from": str(repo.state / f"session-{sid}.lock"), "to": str(base) + ".lock"},
    ]
    assert result["part"] == 1
    assert not (repo.state / f"session-{sid}.json").exists()
    assert json.loads(Path(str(base) + ".json").read_text())["tool_calls_total"] == 2
    tx = result["transcript"]
    dest = repo.home / "archive-tx" / "RT-261121-01.jsonl"
    assert tx["to"] == str(dest) and tx["redactions"] == 1 and tx["by_family"] == {"github_token": 1}
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    lines = dest.read_text().splitlines()
    assert lines[0] == PLAIN_LINE and lines[2] == PLAIN_LINE
    assert "ghp_" not in lines[1] and json.loads(lines[1])["message"]["content"].endswith("[REDACTED:github_token]")


def test_default_transcripts_dir_is_outside_the_repo(repo):
    sid = "arch-home"
    repo.tool_calls(sid, 1)
    transcript(repo, sid)
    out = repo.helper("archive-state", "--session-id", sid, "--log-id", "RT-261121-01")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["transcript"]["to"] == str(
        repo.home / ".claude" / "handoff-transcripts" / "RT-261121-01.jsonl"
    )


def test_transcripts_dir_inside_the_repo_must_be_ignored(repo):
    sid = "arch-in"
    repo.tool_calls(sid, 1)
    transcript(repo, sid)
    inside = repo.path / "transcripts"
    out = archive(repo, sid, env={"TRANSCRIPTS_DIR": str(inside)})
    assert out.returncode == 1
    assert "is inside the repository and git does not ignore transcripts/RT-261121-01.jsonl" in out.stderr
    assert not inside.exists()
    assert (repo.state / f"session-{sid}.json").exists()  # nothing was archived
    (repo.path / ".gitignore").write_text(".claude/state/\ntranscripts/\n")
    out = archive(repo, sid, env={"TRANSCRIPTS_DIR": str(inside)})
    assert out.returncode == 0, out.stderr
    assert (inside / "RT-261121-01.jsonl").exists()


def test_second_handoff_of_a_session_archives_a_second_part(repo):
    sid = "arch-2"
    repo.tool_calls(sid, 3)
    assert archive(repo, sid, "RT-261121-01", "--transcript", empty_transcript(repo)).returncode == 0
    repo.tool_calls(sid, 4)
    out = archive(repo, sid, "RT-261121-01", "--transcript", empty_transcript(repo))
    assert json.loads(out.stdout)["part"] == 2
    parts = sorted(p.name for p in (repo.state / "archive").glob(f"session-{sid}.*.json"))
    assert parts == [f"session-{sid}.RT-261121-01.1.json", f"session-{sid}.RT-261121-01.2.json"]
    totals = [json.loads((repo.state / "archive" / p).read_text())["tool_calls_total"] for p in parts]
    assert totals == [3, 4]


def test_rerun_after_archive_moves_nothing(repo):
    sid = "arch-rerun"
    repo.tool_calls(sid, 1)
    transcript(repo, sid)
    assert archive(repo, sid).returncode == 0
    out = archive(repo, sid)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["moved"] == [] and result["part"] is None
    assert result["transcript"]["redactions"] == 1  # from the transcript path of the archived part


def test_errors_are_one_line(repo):
    out = archive(repo, "never-seen")
    assert out.returncode == 1
    assert out.stderr.startswith("handoff: unknown session 'never-seen'") and out.stderr.count("\n") == 1
    repo.tool_calls("s", 1)
    out = archive(repo, "s", "../../etc/passwd")
    assert out.returncode == 1 and "--log-id: '../../etc/passwd' is not a log id" in out.stderr
    out = archive(repo, "s", "RT-261121-01", "--transcript", str(repo.home / "missing.jsonl"))
    assert out.returncode == 1 and "missing.jsonl: transcript not found" in out.stderr
    assert (repo.state / "session-s.json").exists()
    out = repo.helper("archive-state", "--log-id", "RT-261121-01")
    assert out.returncode == 1 and "--session-id: missing" in out.stderr


def test_missing_recorded_transcript_is_a_warning(repo):
    sid = "arch-nots"
    repo.tool_calls(sid, 1)  # its transcript_path points to a file that does not exist
    out = archive(repo, sid)
    assert out.returncode == 0
    assert "handoff: warning: transcript" in out.stderr and "not found" in out.stderr
    assert json.loads(out.stdout)["moved"]


def _hook_storm(repo, sid: str, n: int, start: threading.Event, results: list) -> None:
    payload = json.dumps(repo.hook_payload("PostToolUse", sid)).encode()
    start.wait()
    procs = [
        subprocess.Popen(
            ["python3", "-S", str(HOOK)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=repo.path,
            env=repo.hook_env(sid),
        )
        for _ in range(n)
    ]
    for proc in procs:
        proc.stdin.write(payload)
        proc.stdin.close()
    results.extend(proc.wait(timeout=120) for proc in procs)


def test_archive_racing_live_hooks_loses_nothing(repo):
    sid = "race"
    repo.tool_calls(sid, 5)
    n = 60
    start = threading.Event()
    results: list = []
    storm = threading.Thread(target=_hook_storm, args=(repo, sid, n, start, results))
    storm.start()
    start.set()
    out = archive(repo, sid, "RT-261121-01", "--transcript", empty_transcript(repo))
    archived_path = repo.state / "archive" / f"session-{sid}.RT-261121-01.1.json"
    archived_at_return = archived_path.read_bytes()
    storm.join(timeout=180)
    assert out.returncode == 0, out.stderr
    assert results == [0] * n
    errors = repo.state / "hook-errors.log"
    assert not errors.exists() or "dropped" not in errors.read_text(), errors.read_text()
    archived = json.loads(archived_path.read_bytes())
    live_path = repo.state / f"session-{sid}.json"
    live = json.loads(live_path.read_text()) if live_path.exists() else {"tool_calls_total": 0}
    assert archived["tool_calls_total"] + live["tool_calls_total"] == 5 + n
    assert archived_path.read_bytes() == archived_at_return  # nothing landed after the move
    # and write-session adds the parts up
    meta_out = repo.write_ok({"title": "t", "summary": "s", "resume_prompt": "r", "confidence": "H"}, session_id=sid)
    assert repo.log(meta_out["id"]).meta["tool_calls_total"] == 5 + n


def test_state_dir_override_is_honoured(repo, tmp_path):
    state = tmp_path / "custom-state"
    sid = "arch-env"
    env = {"HANDOFF_STATE_DIR": str(state)}
    payload = json.dumps(repo.hook_payload("PostToolUse", sid)).encode()
    subprocess.run(
        ["python3", "-S", str(HOOK)], input=payload, cwd=repo.path, env={**repo.hook_env(sid), **env}, check=True
    )
    out = archive(repo, sid, "RT-261121-01", "--transcript", empty_transcript(repo), env=env)
    assert out.returncode == 0, out.stderr
    assert (state / "archive" / f"session-{sid}.RT-261121-01.1.json").exists()


# --- what --transcript may name, and where the copy may go ---------------------------------


def test_transcripts_dir_in_the_repo_but_outside_a_subdir_root_is_refused(repo):
    """A monorepo: --root is a subdirectory; the work tree is still the whole repository."""
    sid = "arch-mono"
    app = repo.path / "app"
    app.mkdir()
    src = transcript(repo, sid)
    inside = repo.path / "transcripts"
    args = ["archive-state", "--session-id", sid, "--log-id", "RT-261121-01", "--transcript", src]
    out = subprocess.run(
        [PY, str(HELPERS), *args, "--root", str(app)],
        capture_output=True,
        text=True,
        env={**repo.env, "TRANSCRIPTS_DIR": str(inside)},
    )
    assert out.returncode == 1, out.stdout
    assert "is inside the repository and git does not ignore transcripts/RT-261121-01.jsonl" in out.stderr
    assert not inside.exists()


@pytest.mark.parametrize("kind", ["fifo", "link-to-file", "link-to-dev-zero", "dev-zero", "directory"])
def test_transcript_must_be_a_regular_file(repo, kind):
    sid = "arch-odd"
    secret = repo.home / "shadow"
    secret.write_text("root:$6$hash:19000:0:99999:7:::\n")
    path = repo.home / "odd.jsonl"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-to-file":
        path.symlink_to(secret)
    elif kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    else:
        path = repo.home
    out = archive(repo, sid, "RT-261121-01", "--transcript", str(path))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    assert "not copied" in out.stderr or "symbolic link" in out.stderr
    assert not (repo.home / "archive-tx" / "RT-261121-01.jsonl").exists()


def test_large_transcript_is_streamed_and_redacted(repo):
    sid = "arch-big"
    lines = [PLAIN_LINE] * 20_000 + [SECRET_LINE] + [PLAIN_LINE] * 20_000
    src = transcript(repo, sid, lines)
    out = archive(repo, sid, "RT-261121-01", "--transcript", src)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)["transcript"]
    dest = Path(result["to"])
    assert result["redactions"] == 1 and result["bytes"] == dest.stat().st_size
    assert dest.read_text().count("\n") == len(lines) and "ghp_" not in dest.read_text()
