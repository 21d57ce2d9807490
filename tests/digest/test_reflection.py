"""``reflect-write``: the reflection file and its charts, validated, updated in place, never half written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from digestutil import NOW, body, commit_file, session

from lib.logs import frontmatter
from logtree import resume, run_helper

DRAFT = {"week": "2026-W48", "title": "The week the charts landed",
         "sections": {"What Shifted": "More sessions.", "What Is Next": ["Ship /reflect", "Tune"]}}


@pytest.fixture
def small_repo(repo: Path) -> Path:
    commit_file(repo, "a.txt", 2, "2026-11-24T10:00:00Z")
    session(repo, "RT-261124-01", "2026-11-24T12:00:00Z", tool_calls_total=9,
            body=body(["Decided X: because Y"], ["Learned Z"]))
    return repo


def write(root: Path, tmp_path: Path, draft: dict, *args: str):
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(draft))
    proc = run_helper(root, "reflect-write", "--input", str(path), *args, env={"HANDOFF_NOW": NOW})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, path


def test_writes_a_valid_reflection_with_its_charts(small_repo: Path, tmp_path: Path) -> None:
    proc, draft = write(small_repo, tmp_path, DRAFT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["action"] == "created" and out["path"] == "docs/reflections/2026-W48.md"
    assert out["commit_paths"] == ["docs/reflections/2026-W48.md", "docs/reflections/2026-W48-week.svg",
                                   "docs/reflections/2026-W48-trend.svg"]
    assert not draft.exists()  # consumed
    doc = frontmatter.load(str(small_repo / out["path"]))
    meta = doc.meta
    assert meta["week"] == "2026-W48" and meta["scope"] == "team" and meta["generated_at"] == NOW
    assert meta["figures"]["commits"] == 1 and meta["figures"]["sessions"] == 1 and meta["figures"]["tool_calls"] == 9
    assert meta["figures"]["prs_opened"] is None and meta["figures"]["cost_usd"] is None
    assert meta["previous"]["week"] == "2026-W47"
    assert "![Activity per day of 2026-W48: commits, sessions, tool calls](2026-W48-week.svg)" in doc.body
    assert "- Decided X: because Y (RT-261124-01)" in doc.body
    assert "## What Is Next\n\n- Ship /reflect\n- Tune" in doc.body
    check = run_helper(small_repo, "validate", "docs/reflections")
    assert check.returncode == 0 and "1 file(s) ok" in check.stdout, check.stdout + check.stderr


def test_again_for_the_same_week_updates_it(small_repo: Path, tmp_path: Path) -> None:
    write(small_repo, tmp_path, DRAFT)
    session(small_repo, "AB-261125-01", "2026-11-25T12:00:00Z", tool_calls_total=1)
    proc, _ = write(small_repo, tmp_path, {**DRAFT, "title": "Second take"})
    out = json.loads(proc.stdout)
    assert out["action"] == "updated"
    assert sorted(p.name for p in (small_repo / "docs" / "reflections").iterdir()) == [
        "2026-W48-trend.svg", "2026-W48-week.svg", "2026-W48.md"]
    meta = frontmatter.load(str(small_repo / out["path"])).meta
    assert meta["title"] == "Second take" and meta["figures"]["sessions"] == 2


def test_operator_reflection_has_its_own_file(small_repo: Path, tmp_path: Path) -> None:
    proc, _ = write(small_repo, tmp_path, {**DRAFT, "operator": "RT", "tz": "Europe/Paris"})
    out = json.loads(proc.stdout)
    assert out["path"] == "docs/reflections/2026-W48-RT.md"
    meta = frontmatter.load(str(small_repo / out["path"])).meta
    assert meta["scope"] == "RT" and meta["tz"] == "Europe/Paris"
    assert run_helper(small_repo, "validate", "docs/reflections").returncode == 0


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        ({**DRAFT, "extra": 1}, "handoff: input: unknown field 'extra'"),
        ({**DRAFT, "week": "2026-W50"}, "handoff: week 2026-W50: is in the future"),
        ({**DRAFT, "week": "2025-W53"}, "handoff: --week '2025-W53': 2025 has weeks 01..52"),
        ({**DRAFT, "sections": {"Other": "x"}}, "handoff: input: sections: unknown section 'Other'"),
        ({**DRAFT, "sections": {"What Shifted": "## Sneaky\nx"}}, "contains a '## ' heading"),
        ({**DRAFT, "title": "two\nlines"}, "handoff: input: title: one line"),
        ({**DRAFT, "operator": "rt"}, "handoff: input: operator: 'rt' is not 2-4 capital letters"),
    ],
)
def test_bad_drafts_write_nothing(small_repo: Path, tmp_path: Path, draft: dict, message: str) -> None:
    proc, path = write(small_repo, tmp_path, draft)
    assert proc.returncode == 1 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (small_repo / "docs" / "reflections").exists()
    assert path.exists()  # the draft is kept for the retry


def test_validate_catches_a_reflection_filed_under_the_wrong_week(small_repo: Path, tmp_path: Path) -> None:
    write(small_repo, tmp_path, DRAFT)
    reflections = small_repo / "docs" / "reflections"
    (reflections / "2026-W47.md").write_text((reflections / "2026-W48.md").read_text())
    doc = frontmatter.parse((reflections / "2026-W48.md").read_text())
    doc.meta["figures"]["commits"] = -1  # whatever shape the frontmatter is written in
    (reflections / "2026-W46.md").write_text(frontmatter.dumps(doc.meta, doc.body))
    proc = run_helper(small_repo, "validate")
    assert proc.returncode == 1
    wrong = "docs/reflections/2026-W47.md: week: week '2026-W48' and scope 'team' mean the file 2026-W48.md"
    assert wrong in proc.stdout
    assert "docs/reflections/2026-W46.md: figures.commits: must be >= 0, not -1" in proc.stdout


def test_resume_names_the_latest_reflection(small_repo: Path, tmp_path: Path) -> None:
    assert "Latest reflection" not in resume(small_repo, "--operator", "RT").stdout
    write(small_repo, tmp_path, {**DRAFT, "week": "2026-W47", "title": "Older"})
    write(small_repo, tmp_path, DRAFT)
    lines = [x for x in resume(small_repo, "--operator", "RT").stdout.splitlines() if "reflection" in x]
    assert lines == ['Latest reflection: 2026-W48 "The week the charts landed" (docs/reflections/2026-W48.md)']
