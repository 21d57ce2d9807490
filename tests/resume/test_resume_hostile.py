"""Hostile and broken files: each becomes one warning naming the path; the dashboard survives."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from logtree import backdate, resume, resume_json, run_helper, team, write_ws  # noqa: F401

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    "%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n" % ((c, c) + (p,) * 10)
    for p, c in zip("abcdefgh", "bcdefghi")
)

HOSTILE = {
    "alias-bomb": ("---\n" + ALIAS_BOMB + "workstreams: [auth]\n---\n").encode(),
    "huge-frontmatter": ("---\nworkstreams: [auth]\nsummary: " + "x" * 70000 + "\n---\n").encode(),
    "never-closed": b"---\ntitle: t\nworkstreams: [auth]\n",
    "huge-never-closed": b"---\ntitle: t\n" + b"y: z\n" * 40000,
    "no-frontmatter": b"just text\n",
    "not-utf8": b"---\ntitle: \xff\xfe\nworkstreams: [auth]\n---\n",
    "binary": bytes(range(256)) * 64,
    "not-a-mapping": b"---\n- a\n- b\n---\n",
    "bad-yaml": b"---\ntitle: [unclosed\nworkstreams: [auth]\n---\n",
    "python-tag": b"---\ntitle: !!python/object/apply:os.system ['touch PWNED']\nworkstreams: [auth]\n---\n",
    "deep-nesting": b"---\nworkstreams: " + b"[" * 5000 + b"]" * 5000 + b"\n---\n",
    "empty": b"",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_log_is_a_warning(repo: Path, kind: str) -> None:  # noqa: F811
    team(repo)
    bad = repo / "docs" / "sessions" / "AB-261121-09.md"  # the newest log touching "auth" and AB's latest
    bad.write_bytes(HOSTILE[kind])
    t0 = time.monotonic()
    proc = resume(repo, "--operator", "AB", "--json")
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [w.split(": ")[0] for w in data["warnings"]] == ["docs/sessions/AB-261121-09.md"]
    assert data["last_session"]["id"] == "AB-261121-01"  # the next readable one
    assert not (repo / "PWNED").exists()
    # text mode: warnings come last, named by path with the reason
    out = resume(repo, "--operator", "RT").stdout
    tail = out.rstrip().splitlines()
    assert tail[-2] == "Warnings (1):" and tail[-1].startswith("  docs/sessions/AB-261121-09.md: ")
    assert 'Peer activity \u2014 auth: last seen AB-261121-01 ("Token refresh", 2h ago)' in out


@pytest.mark.parametrize(
    "content, reason",
    [
        ("---\ntitle: t\nowner: rt\nstatus: active\n---\n", "owner: 'rt' is not 2-4 capital letters"),
        ("---\ntitle: t\nowner: RT\nstatus: doing\n---\n", "status: 'doing' is not one of active, paused, done"),
        ("---\nowner: RT\nstatus: active\n---\n", "title: missing"),
        ("---\ntitle: t\nowner: RT\nstatus: active\nupdated: soon\n---\n", "updated: 'soon' is not a date"),
        ("no frontmatter\n", "no frontmatter"),
        ("---\n" + ALIAS_BOMB + "title: t\nowner: RT\nstatus: active\n---\n", "alias bomb"),
        ("---\ntitle: " + "x" * 70000 + "\n---\n", "frontmatter is over 65536 bytes"),
    ],
)
def test_bad_workstream_is_a_warning(repo: Path, content: str, reason: str) -> None:  # noqa: F811
    team(repo)
    (repo / "workstreams" / "broken.md").write_text(content)
    data = resume_json(repo, "RT")
    assert len(data["warnings"]) == 1
    assert data["warnings"][0].startswith("workstreams/broken.md: ") and reason in data["warnings"][0]
    assert {w["slug"] for w in data["own_workstreams"]} == {"resume-dash", "old-thing"}


def test_bad_workstream_file_name_is_a_warning(repo: Path) -> None:  # noqa: F811
    team(repo)
    write_ws(repo, "Bad_Name", "RT")
    (repo / "workstreams" / "README.md").write_text("# not a workstream\n")
    (repo / "workstreams" / "INDEX.md").write_text("# not one either\n")
    (repo / "workstreams" / "notes.txt").write_text("ignored\n")
    data = resume_json(repo, "RT")
    assert data["warnings"] == [
        "workstreams/Bad_Name.md: 'Bad_Name' is not a workstream slug (lowercase letters and digits in "
        "hyphen-separated words)"
    ]


def test_many_hostile_files_stay_fast(repo: Path) -> None:  # noqa: F811
    team(repo)
    sessions = repo / "docs" / "sessions"
    for i in range(30):
        (sessions / ("ZZ-261121-%02d.md" % (i + 1))).write_bytes(HOSTILE["alias-bomb"])
    t0 = time.monotonic()
    data = resume_json(repo, "RT")
    assert time.monotonic() - t0 < 15
    assert len(data["warnings"]) == 30
    # the next runs do not read them again
    backdate(repo)
    resume_json(repo, "RT")
    t0 = time.monotonic()
    assert len(resume_json(repo, "RT")["warnings"]) == 30
    assert time.monotonic() - t0 < 5


def test_a_log_that_is_a_symbolic_link_is_never_followed(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    team(repo)
    link = repo / "docs" / "sessions" / "AB-261121-07.md"
    link.symlink_to(tmp_path / "missing-target.md")  # a dangling link
    outside = repo / "docs" / "sessions" / "AB-261121-08.md"
    (tmp_path / "outside.md").write_text("---\ntitle: from outside the repository\n---\n")
    outside.symlink_to(tmp_path / "outside.md")
    data = resume_json(repo, "AB")
    assert data["warnings"] == ["docs/sessions/AB-261121-08.md: is a symbolic link; not read",
                                "docs/sessions/AB-261121-07.md: is a symbolic link; not read"]
    assert data["last_session"]["id"] == "AB-261121-01"


def test_file_names_that_are_not_utf8(repo: Path) -> None:  # noqa: F811
    team(repo)
    sessions = repo / "docs" / "sessions"
    bad_log = os.path.join(os.fsencode(sessions), b"CONV-\xff.md")
    with open(bad_log, "wb") as f:
        f.write(b"---\ntitle: x: y\n---\n")
    with open(os.path.join(os.fsencode(repo / "workstreams"), b"w\xfe.md"), "wb") as f:
        f.write(b"---\ntitle: t\n---\n")
    backdate(repo)
    for _ in range(2):  # a new catalog, then the same one: the catalog cannot hold such a name
        proc = resume(repo, "--operator", "RT")
        assert proc.returncode == 0, proc.stderr
        assert "docs/sessions/CONV-\ufffd.md: the name is not UTF-8; not read (rename it)" in proc.stdout
        assert "workstreams/w\ufffd.md: the name is not UTF-8; not read (rename it)" in proc.stdout
        data = resume_json(repo, "RT")
        assert len(data["warnings"]) == 2 and data["last_session"]["id"] == "RT-261120-01"
    proc = run_helper(repo, "regen-indexes")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "docs/sessions/CONV-\ufffd.md: the name is not UTF-8" in proc.stderr
    assert "CONV-" not in (sessions / "INDEX.md").read_text()
    proc = run_helper(repo, "backfill", "--operator", "RT")
    assert "Traceback" not in proc.stderr and "CONV-\\udcff.md" in proc.stderr


@pytest.mark.parametrize("kind", ["fifo", "symlink-to-dev-zero", "directory"])
def test_a_log_path_that_is_not_a_regular_file_is_a_warning_not_a_hang(repo: Path, kind: str) -> None:  # noqa: F811
    team(repo)
    bad = repo / "docs" / "sessions" / "AB-261121-09.md"
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "symlink-to-dev-zero":
        bad.symlink_to("/dev/zero")
    else:
        bad.mkdir()
    t0 = time.monotonic()
    proc = resume(repo, "--operator", "AB", "--json")
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [w.split(": ")[0] for w in data["warnings"]] == ["docs/sessions/AB-261121-09.md"]
    assert data["last_session"]["id"] == "AB-261121-01"
