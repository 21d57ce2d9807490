"""``backfill --operator XX [--write]``: dry run by default, one inserted line, every other byte kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lib.logs import frontmatter
from logtree import resume_json, run_helper  # noqa: F401

LEGACY = {
    "CONV-plain.md": b"---\ntitle: Old one\ndate: 2024-01-02\nsummary: |\n  kept   as is\n\n---\n# Body\n\ntext  \n",
    "CONV-crlf.md": b"---\r\ntitle: CRLF log\r\ndate: 2024-02-03\r\n---\r\nbody\r\n",
    "CONV-nobody.md": b"---\ntitle: no body, no final newline\n---",
    "CONV-empty-fm.md": b"---\n---\nbody\n",
    "CONV-trailing-comment.md": b"---\ntitle: t # note\n# last comment\n---\nbody with --- inside\n---\n",
    "CONV-keep-chomp.md": b"---\nsummary: |+\n  text\n\n---\nbody\n",
}
HAS_OPERATOR = {"CONV-has.md": b"---\ntitle: mine\noperator: AB\n---\nbody\n"}
PROBLEMS = {
    "CONV-nofm.md": (b"no frontmatter\n", "no frontmatter"),
    "CONV-badyaml.md": (b"---\ntitle: [oops\n---\n", "not valid YAML"),
    "CONV-flowtop.md": (b"---\n{title: x,\n y: 1}\n---\n", "add it by hand"),
    "CONV-docend.md": (b"---\ntitle: x\n...\n---\n", "add it by hand"),
    "CONV-null-op.md": (b"---\ntitle: x\noperator:\n---\n", None),  # has the key: untouched
}


def populate(root: Path) -> dict:
    sessions = root / "docs" / "sessions"
    sessions.mkdir(parents=True)
    files = dict(LEGACY)
    files.update(HAS_OPERATOR)
    files.update({k: v[0] for k, v in PROBLEMS.items()})
    files["RT-261121-01.md"] = b"---\ntitle: named logs are not legacy\n---\n"
    files["NOTES.md"] = b"---\ntitle: not a log\n---\n"
    for name, data in files.items():
        (sessions / name).write_bytes(data)
    os.chmod(sessions / "CONV-plain.md", 0o640)
    return files


def snapshot(root: Path) -> dict:
    sessions = root / "docs" / "sessions"
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in sessions.iterdir()}


def test_dry_run_lists_and_changes_nothing(repo: Path) -> None:  # noqa: F811
    populate(repo)
    before = snapshot(repo)
    proc = run_helper(repo, "backfill", "--operator", "RT")
    assert snapshot(repo) == before
    listed = [line for line in proc.stdout.splitlines() if line.startswith("would add operator: RT to ")]
    assert sorted(line.rsplit("/", 1)[1] for line in listed) == sorted(LEGACY)
    assert "dry run" in proc.stdout
    # problems: one line each on stderr, exit 1
    assert proc.returncode == 1
    problems = proc.stderr.strip().splitlines()
    assert len(problems) == 4 and all(line.startswith("handoff: docs/sessions/CONV-") for line in problems)
    for name, (_, reason) in PROBLEMS.items():
        if reason:
            assert any(name in line and reason in line for line in problems), (name, problems)


def test_write_inserts_exactly_one_line(repo: Path) -> None:  # noqa: F811
    files = populate(repo)
    before = snapshot(repo)
    proc = run_helper(repo, "backfill", "--operator", "RT", "--write")
    assert proc.returncode == 1  # the problem files are reported
    after = snapshot(repo)
    for name, (data, mtime, mode) in before.items():
        new, _, new_mode = after[name]
        if name not in LEGACY:
            assert (new, after[name][1]) == (data, mtime), name  # untouched, not even rewritten
            continue
        assert new_mode == mode
        newline = b"\r\n" if b"\r\n" in files[name] else b"\n"
        line = b"operator: RT" + newline
        at = new.index(line)
        assert new[:at] + new[at + len(line) :] == data, name  # every other byte as it was
        meta = frontmatter.parse(new.decode()).meta
        old_meta = frontmatter.parse(data.decode()).meta if data.count(b"---") >= 2 else {}
        assert meta == dict(old_meta, operator="RT"), name
        assert frontmatter.split(new.decode())[1] == frontmatter.split(data.decode())[1]  # same body
    # idempotent: a second run finds nothing to add
    proc = run_helper(repo, "backfill", "--operator", "RT", "--write")
    assert "would add" not in proc.stdout and "added" not in proc.stdout.split("\n")[0]
    assert snapshot(repo) == after


def test_backfilled_logs_reach_resume(repo: Path) -> None:  # noqa: F811
    populate(repo)
    assert resume_json(repo, "ZZ")["last_session"] is None  # legacy logs without operator: nobody's
    run_helper(repo, "backfill", "--operator", "ZZ", "--write")
    assert resume_json(repo, "ZZ")["last_session"]["id"] == "CONV-crlf"  # the newest dated one
    assert resume_json(repo, "AB")["last_session"]["id"] == "CONV-has"


@pytest.mark.parametrize("bad", ["rt", "R", "ABCDE", "R2"])
def test_bad_operator(repo: Path, bad: str) -> None:  # noqa: F811
    populate(repo)
    before = snapshot(repo)
    proc = run_helper(repo, "backfill", "--operator", bad, "--write")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["handoff: --operator %r: expected 2-4 capital letters (e.g. RT)" % bad]
    assert snapshot(repo) == before


def test_no_sessions_dir(repo: Path) -> None:  # noqa: F811
    proc = run_helper(repo, "backfill", "--operator", "RT")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "0 legacy log(s): 0 to change, 0 already had an operator, 0 skipped"
