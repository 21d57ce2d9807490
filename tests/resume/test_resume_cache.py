"""The resume cache: hits, invalidation on edit/add/delete, and a corrupt or foreign cache."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from hookutil import state_dir
from logtree import backdate, resume, resume_json, stats, team, write_log, write_ws  # noqa: F401

CACHE = "resume-cache.json"


def test_warm_run_parses_nothing(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    cold = stats(repo)
    assert cold["parsed"] > 0 and cold["cache_misses"] >= cold["logs"] + cold["workstreams"]
    warm = stats(repo)
    assert warm["parsed"] == 0 and warm["scanned"] == 0 and warm["cache_misses"] == 0
    assert warm["cache_hits"] >= warm["logs"] + warm["workstreams"] == 8


def test_hit_is_served_from_the_cache(repo: Path) -> None:  # noqa: F811
    """Same size and mtime: the cache is believed (that is what it is keyed by)."""
    team(repo)
    backdate(repo)
    before = resume_json(repo, "RT")
    path = repo / "docs" / "sessions" / "AB-261121-01.md"
    st = path.stat()
    text = path.read_text()
    path.write_text(text.replace("Token refresh", "Token REFRESH"))  # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert resume_json(repo, "RT") == before


def test_edit_is_seen_on_the_next_run(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    path = repo / "docs" / "sessions" / "AB-261121-01.md"
    path.write_text(path.read_text().replace("Token refresh", "Token refresh, edited"))
    backdate(repo, 3600)  # a later mtime, still old enough to be cached
    data = resume_json(repo, "RT")
    assert data["peer_activity"][0]["title"] == "Token refresh, edited"
    s = stats(repo)
    assert s["parsed"] == 0 and s["cache_misses"] == 0  # and now cached again


def test_same_size_edit_with_new_mtime_is_seen(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    ws = repo / "workstreams" / "resume-dash.md"
    ws.write_text(ws.read_text().replace("- [ ] P3 bench", "- [x] P3 bench"))
    data = resume_json(repo, "RT")
    assert data["own_workstreams"][0]["done"] == 3 and data["own_workstreams"][0]["next"] is None


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
    data = resume_json(repo, "RT")
    assert [w["slug"] for w in data["peer_workstreams"]] == ["billing"]
    cache = json.loads((state_dir(repo) / CACHE).read_text())
    assert "AB-261121-01.md" not in cache["logs"]["names"] and "auth.md" not in cache["workstreams"]


def test_added_workstream_makes_the_walk_go_on(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    write_ws(repo, "legacy-import", "DM")
    write_log(repo, "CONV-ancient", date="2020-01-01", workstreams=["legacy-import"], title="Ancient")
    data = resume_json(repo, "RT")
    assert data["peer_activity"][-1]["slug"] == "legacy-import" and data["peer_activity"][-1]["id"] == "CONV-ancient"


def test_fresh_files_are_not_cached(repo: Path) -> None:  # noqa: F811
    """A file changed in the last 2 s might change again within the same mtime tick."""
    team(repo)
    first = stats(repo)
    second = stats(repo)
    assert second["parsed"] == first["parsed"] > 0
    backdate(repo)
    stats(repo)
    assert stats(repo)["parsed"] == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b"\xff\xfe garbage",
        b"[]",
        b'{"format": "something-else", "version": 1}',
        b'{"format": "handoff-resume-cache", "version": 99}',
        b'{"format": "handoff-resume-cache", "version": 1, "root": "/elsewhere", "logs": {}, "workstreams": {}}',
        b"[" * 100000,
    ],
    ids=["empty", "text", "binary", "list", "foreign", "future", "other-root", "deep"],
)
def test_corrupt_or_foreign_cache_is_discarded(repo: Path, content: bytes) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    expected = resume_json(repo, "RT")
    path = state_dir(repo) / CACHE
    path.write_bytes(content)
    data = resume_json(repo, "RT")
    assert data["warnings"] and "resume-cache.json: discarded" in data["warnings"][0]
    data["warnings"] = []
    assert data == expected
    # and it was rebuilt: the next run is clean and warm
    assert resume_json(repo, "RT") == expected
    assert stats(repo)["parsed"] == 0


def _doctor(repo: Path, change) -> dict:  # noqa: F811
    path = state_dir(repo) / CACHE
    cache = json.loads(path.read_text())
    change(cache)
    path.write_text(json.dumps(cache))
    return cache


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["logs"].__setitem__("size", c["logs"]["size"][:-1]),
        lambda c: c["logs"].__setitem__("names", [1] * len(c["logs"]["names"])),
        lambda c: c["logs"]["ws"].__setitem__(0, 5),
        lambda c: c["logs"].__setitem__("records", []),
        lambda c: c.__setitem__("workstreams", []),
        lambda c: c["logs"].__setitem__("names", [c["logs"]["names"][0]] * len(c["logs"]["names"])),
    ],
    ids=["short-column", "names-not-str", "ws-not-str", "records-not-dict", "workstreams-not-dict", "dup-names"],
)
def test_cache_with_wrong_shape_is_discarded(repo: Path, change) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    expected = resume_json(repo, "RT")
    _doctor(repo, change)
    data = resume_json(repo, "RT")
    assert "discarded" in data["warnings"][0]
    data["warnings"] = []
    assert data == expected


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["logs"]["records"].update({k: {"full": 1, "title": 7} for k in c["logs"]["records"]}),
        lambda c: c["logs"]["records"].update({k: {"err": 3} for k in c["logs"]["records"]}),
        lambda c: c["logs"]["records"].update({k: "x" for k in c["logs"]["records"]}),
        lambda c: c["workstreams"].update({k: [v[0], v[1], {"title": 1}] for k, v in c["workstreams"].items()}),
        lambda c: c["workstreams"].update({k: "junk" for k in c["workstreams"]}),
    ],
    ids=["record-bad-title", "record-bad-err", "record-not-dict", "ws-bad-summary", "ws-not-list"],
)
def test_bad_entries_are_never_trusted(repo: Path, change) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    expected = resume_json(repo, "RT")
    _doctor(repo, change)
    assert resume_json(repo, "RT") == expected


def test_cache_copied_from_another_checkout_is_not_used(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, copy_function=shutil.copy2)  # same sizes and mtimes
    path = clone / "docs" / "sessions" / "AB-261121-01.md"
    st = path.stat()
    path.write_text(path.read_text().replace("Token refresh", "Token REFRESH"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    data = resume_json(clone, "RT")
    assert "written for another checkout" in data["warnings"][0]
    assert data["peer_activity"][0]["title"] == "Token REFRESH"


def test_written_atomically_and_private(repo: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    resume_json(repo, "RT")
    state = state_dir(repo)
    # no temp files left (collisions.json: /resume's id-collision answer, lib/store/collisions.py)
    assert sorted(p.name for p in state.iterdir()) == ["collisions.json", "resume-cache.json"]
    assert (state / "resume-cache.json").stat().st_mode & 0o077 == 0
    before = (state / "resume-cache.json").stat().st_mtime_ns
    time.sleep(0.01)
    resume_json(repo, "RT")
    assert (state / "resume-cache.json").stat().st_mtime_ns == before  # nothing changed: not rewritten


def test_state_dir_override(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    backdate(repo)
    elsewhere = tmp_path / "state"
    proc = resume(repo, "--operator", "RT", env={"HANDOFF_STATE_DIR": str(elsewhere)})
    assert proc.returncode == 0
    assert (elsewhere / "resume-cache.json").exists() and not (state_dir(repo) / CACHE).exists()


def test_unwritable_state_dir_is_a_warning_not_a_failure(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    proc = resume(repo, "--operator", "RT", "--json", env={"HANDOFF_STATE_DIR": str(blocker / "state")})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["last_session"]["id"] == "RT-261120-01"
    assert any("cache not saved" in w for w in data["warnings"])
