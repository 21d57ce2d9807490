"""/resume reads the catalog (lib/catalog/store.py): every change is seen by the very next run,
and a catalog that cannot be used is moved aside and rebuilt, never fatal."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hookutil import state_dir
from logtree import backdate, resume, resume_json, team, write_log, write_ws  # noqa: F401

CATALOG = "catalog.sqlite3"


def _same_size_edit_mtime_put_back(path: Path, old: str, new: str) -> None:
    """What rsync -t or tar do: other bytes, same size, the old mtime."""
    assert len(old) == len(new)
    st = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_edit_in_place_with_mtime_put_back_is_seen(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)  # old enough that a catalog would trust (size, mtime) alone
    resume_json(repo, "RT")
    _same_size_edit_mtime_put_back(repo / "docs" / "sessions" / "AB-261121-01.md", "Token refresh", "Token REFRESH")
    assert resume_json(repo, "RT")["peer_activity"][0]["title"] == "Token REFRESH"
    _same_size_edit_mtime_put_back(repo / "docs" / "sessions" / "RT-261120-01.md", "Then tune.", "Then TUNE.")
    assert resume_json(repo, "RT")["resume_prompt"] == "Continue with P3: write the benchmark.\nThen TUNE."
    _same_size_edit_mtime_put_back(repo / "workstreams" / "resume-dash.md", "- [ ] P3 bench", "- [x] P3 bench")
    own = resume_json(repo, "RT")["own_workstreams"][0]
    assert own["slug"] == "resume-dash" and own["done"] == 3 and own["next"] is None


def test_edit_is_seen_on_the_next_run(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    path = repo / "docs" / "sessions" / "AB-261121-01.md"
    path.write_text(path.read_text().replace("Token refresh", "Token refresh, edited"))
    backdate(repo, 3600)
    assert resume_json(repo, "RT")["peer_activity"][0]["title"] == "Token refresh, edited"


def test_added_log_is_seen(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    write_log(repo, "RT-261121-01", title="Brand new", resume_prompt="new prompt")
    data = resume_json(repo, "RT")
    assert data["last_session"]["id"] == "RT-261121-01" and data["resume_prompt"] == "new prompt"
    write_log(repo, "CK-261121-05", title="CK again", workstreams=["auth"])
    assert resume_json(repo, "RT")["peer_activity"][0]["id"] == "CK-261121-05"


def test_deleted_log_and_workstream_are_seen(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    (repo / "docs" / "sessions" / "AB-261121-01.md").unlink()
    data = resume_json(repo, "RT")
    found = [(a["slug"], a["id"]) for a in data["peer_activity"]]
    assert found == [("billing", "CK-261119-02"), ("auth", "CK-261119-02")]
    (repo / "workstreams" / "auth.md").unlink()
    assert [w["slug"] for w in resume_json(repo, "RT")["peer_workstreams"]] == ["billing"]


def test_added_workstream_makes_the_walk_go_on(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    write_ws(repo, "legacy-import", "DM")
    write_log(repo, "CONV-ancient", date="2020-01-01", workstreams=["legacy-import"], title="Ancient")
    data = resume_json(repo, "RT")
    assert data["peer_activity"][-1]["slug"] == "legacy-import" and data["peer_activity"][-1]["id"] == "CONV-ancient"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=root, check=True, capture_output=True)


def test_branch_checkout_is_seen(repo: Path) -> None:  # noqa: F811
    (repo / ".gitignore").write_text(".claude/\n")
    team(repo)
    _git(repo, "checkout", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "team")
    _git(repo, "checkout", "-q", "-b", "side")
    write_log(repo, "RT-261121-01", title="On the side branch", resume_prompt="side prompt")
    path = repo / "docs" / "sessions" / "AB-261121-01.md"
    path.write_text(path.read_text().replace("Token refresh", "Token REFRESH"))  # same size
    write_ws(repo, "auth", "AB", status="done", phases=[(True, "P1 tokens")], title="Auth rewrite")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "side")
    side = resume_json(repo, "RT")
    assert side["last_session"]["id"] == "RT-261121-01" and side["peer_activity"][0]["title"] == "Token REFRESH"
    _git(repo, "checkout", "-q", "main")
    main = resume_json(repo, "RT")
    assert main["last_session"]["id"] == "RT-261120-01" and main["resume_prompt"].startswith("Continue with P3")
    assert main["peer_activity"][0]["title"] == "Token refresh"
    assert [(w["slug"], w["status"]) for w in main["peer_workstreams"]] == [("auth", "active"), ("billing", "paused")]
    _git(repo, "checkout", "-q", "side")
    assert resume_json(repo, "RT") == side


@pytest.mark.parametrize(
    "content",
    [b"", b"not a database at all", b"\xff\xfe garbage" * 1000, b"SQLite format 3\x00" + b"\x00" * 200],
    ids=["empty", "text", "binary", "truncated-header"],
)
def test_corrupt_catalog_is_moved_aside_and_rebuilt(repo: Path, content: bytes) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    expected = resume_json(repo, "RT")
    path = state_dir(repo) / CATALOG
    for suffix in ("-wal", "-shm"):
        (state_dir(repo) / (CATALOG + suffix)).unlink(missing_ok=True)
    path.write_bytes(content)
    data = resume_json(repo, "RT")
    if content:  # an empty file is an empty database: simply built
        assert any("moved aside" in w for w in data["warnings"]), data["warnings"]
    data["warnings"] = []
    assert data == expected
    assert resume_json(repo, "RT") == expected  # rebuilt: the next run is clean


@pytest.mark.parametrize("kind", ["foreign", "future"])
def test_foreign_or_future_catalog_is_moved_aside_and_rebuilt(repo: Path, kind: str) -> None:  # noqa: F811
    import sqlite3

    team(repo)
    expected = resume_json(repo, "RT")
    path = state_dir(repo) / CATALOG
    conn = sqlite3.connect(path)
    if kind == "foreign":
        conn.execute("PRAGMA application_id = 7")
    else:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('999_from_the_future', 'now')")
    conn.commit()
    conn.close()
    data = resume_json(repo, "RT")
    assert any("moved aside" in w for w in data["warnings"]), data["warnings"]
    data["warnings"] = []
    assert data == expected
    assert resume_json(repo, "RT") == expected


def test_copied_checkout_with_the_same_mtimes_reads_its_own_files(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, copy_function=shutil.copy2)  # same sizes and mtimes, and the catalog
    _same_size_edit_mtime_put_back(clone / "docs" / "sessions" / "AB-261121-01.md", "Token refresh", "Token REFRESH")
    assert resume_json(clone, "RT")["peer_activity"][0]["title"] == "Token REFRESH"
    assert resume_json(repo, "RT")["peer_activity"][0]["title"] == "Token refresh"


def test_one_derived_database_and_the_old_caches_are_deleted(repo: Path) -> None:  # noqa: F811
    team(repo)
    state = state_dir(repo)
    state.mkdir(parents=True)
    for old in ("resume-cache.json", "resume-cache.sibling.json", "index-cache.json"):
        (state / old).write_text("{}")
    resume_json(repo, "RT")
    names = sorted(p.name for p in state.iterdir())
    assert not [n for n in names if "cache" in n], names
    assert [n for n in names if n.startswith(CATALOG)] and all(
        n.startswith(CATALOG) or n in ("catalog.lock", "collisions.json") for n in names), names


def test_state_dir_override(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    elsewhere = tmp_path / "state"
    proc = resume(repo, "--operator", "RT", env={"HANDOFF_STATE_DIR": str(elsewhere)})
    assert proc.returncode == 0
    assert (elsewhere / CATALOG).exists() and not (state_dir(repo) / CATALOG).exists()


def test_unwritable_state_dir_is_a_warning_not_a_failure(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    proc = resume(repo, "--operator", "RT", "--json", env={"HANDOFF_STATE_DIR": str(blocker / "state")})
    assert proc.returncode == 0, proc.stderr
    import json

    data = json.loads(proc.stdout)
    assert data["last_session"]["id"] == "RT-261120-01"
    assert any("temporary catalog" in w for w in data["warnings"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any mode")
def test_read_only_state_dir_is_a_warning_not_a_failure(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o555)
    try:
        data = resume_json(repo, "RT", env={"HANDOFF_STATE_DIR": str(state)})
    finally:
        state.chmod(0o755)
    assert data["last_session"]["id"] == "RT-261120-01"
    assert any("temporary catalog" in w for w in data["warnings"])
