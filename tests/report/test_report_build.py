"""``report`` as users run it: where it writes, what it refuses, bad logs, ``--since``, the page
size at scale, and a site that is never half written."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from reportutil import count_on, listed, report, site_of, small_team

from logtree import NOW, write_log

MAX_FILE = 2 * 1024 * 1024


def one_line_error(proc) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handoff: "), proc.stderr
    return lines[0]


def test_default_folder_is_in_the_state_dir_and_a_rerun_replaces_it(repo: Path) -> None:
    small_team(repo)
    proc = report(repo)
    site = site_of(proc)
    assert site == repo / ".git" / "handoff" / "state" / "report"
    assert proc.stdout.startswith("report: 6 sessions, 2 weeks, ")
    os.unlink(repo / "docs" / "sessions" / "CK-261121-01.md")
    write_log(repo, "DM-261121-01", title="New one", ended_at="2026-11-21T11:30:00Z")
    assert site_of(report(repo)) == site
    assert (site / "sessions" / "DM-261121-01.html").is_file()
    assert not (site / "sessions" / "CK-261121-01.html").exists()  # the whole folder was replaced
    assert count_on(site / "index.html") == 6
    assert [p.name for p in site.parent.iterdir() if p.name.startswith(".report.")] == []


def test_no_log_gives_an_empty_report(repo: Path) -> None:
    site = site_of(report(repo))
    assert count_on(site / "index.html") == 0 and listed(site, "index") == []


def test_a_folder_that_is_not_a_report_is_never_replaced(repo: Path, tmp_path: Path) -> None:
    small_team(repo)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("precious")
    line = one_line_error(report(repo, "--out", str(mine), ok=False))
    assert "is not a handoff report" in line
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert "not a folder" in one_line_error(report(repo, "--out", str(a_file), ok=False))
    assert a_file.read_text() == "x"
    out = tmp_path / "new" / "site"
    assert site_of(report(repo, "--out", str(out))) == out
    assert site_of(report(repo, "--out", str(out))) == out  # its own report: replaced


def test_since_selects_the_sessions_of_that_day_or_later(repo: Path) -> None:
    small_team(repo)
    site = site_of(report(repo, "--since", "2026-11-20"))
    assert sorted(listed(site, "index")) == ["AB-261121-01", "CK-261121-01", "RT-261120-01"]
    assert not (site / "weeks" / "2026-W46.html").exists()
    for bad in ("yesterday", "2026-02-30"):
        assert "--since" in one_line_error(report(repo, "--since", bad, ok=False))


def test_since_from_the_slash_commands_arguments(repo: Path) -> None:
    import subprocess

    from logtree import HELPERS, clean_env

    small_team(repo)

    def run(text: str):
        return subprocess.run([sys.executable, str(HELPERS), "report", "--root", str(repo), "--no-fail",
                               "--since-stdin"], input=text, capture_output=True, text=True, env=clean_env())

    assert run("2026-11-21\n").stdout.startswith("report: 2 sessions")
    assert run("\n").stdout.startswith("report: 6 sessions")
    bad = run("next week\n")
    assert bad.returncode == 0 and bad.stdout.startswith("handoff: /report argument")


def test_a_huge_title_and_invalid_utf8_are_pages_with_their_warning(repo: Path) -> None:
    small_team(repo)
    write_log(repo, "RT-261119-07", title="T" * 10_000, ended_at="2026-11-19T08:00:00Z",
              body="# " + "T" * 10_000 + "\n\n## Summary\n\nlong\n")
    bad = repo / "docs" / "sessions" / "AB-261119-08.md"
    bad.write_bytes(b"---\ntitle: broken bytes\noperator: AB\n---\n# broken bytes\n\n## Summary\n\nbad \xff\xfe here\n")
    # Days that are no date, or far away: a page each, no week, and no week asked for in between.
    write_log(repo, "RT-261345-01", title="Month 13")
    write_log(repo, "CONV-far-future", title="Far", date="9999-12-31")
    write_log(repo, "CONV-year-one", title="Old", date="0001-01-01")
    link = repo / "docs" / "sessions" / "AB-261119-09.md"
    (repo / "outside.md").write_text("---\ntitle: outside\n---\nSECRETCONTENT\n")
    link.symlink_to(repo / "outside.md")
    proc = report(repo)
    site = site_of(proc)
    assert count_on(site / "index.html") == 12
    assert not any(b"SECRETCONTENT" in p.read_bytes() for p in site.rglob("*") if p.is_file())
    assert "symbolic link" in (site / "sessions" / "AB-261119-09.html").read_text()
    assert sorted(p.name for p in (site / "weeks").glob("*.html")) == ["2026-W46.html", "2026-W47.html"]
    for name in ("RT-261345-01", "CONV-far-future", "CONV-year-one"):
        assert (site / "sessions" / (name + ".html")).is_file()
    index = (site / "index.html").read_text()
    assert "T" * 159 + "\u2026" in index and "T" * 161 not in index  # a list shows it shortened
    page = (site / "sessions" / "AB-261119-08.html").read_text()
    assert "not valid UTF-8" in page and "bad \ufffd\ufffd here" in page
    assert "AB-261119-08" in proc.stderr  # warned, not fatal


def test_no_file_is_over_2_mb_at_scale(repo: Path) -> None:
    """600 logs of 25 KB (the session pages go through the workers; the search data spans
    several files), one log of almost 4 MB of characters that escaping multiplies, and one whose
    frontmatter names 1,000 workstreams, tools, invariants and commits."""
    filler = ("word " * 5000)[:25_000]
    for i in range(600):
        day = 1 + i % 28
        write_log(repo, "RT-2611%02d-%02d" % (day, 1 + i // 28), title="Log %d" % i,
                  ended_at="2026-11-%02dT10:00:00Z" % day, body="# Log %d\n\n## What I Did\n\n%s\n" % (i, filler))
    write_log(repo, "AB-261105-01", title="Huge", body="# Huge\n\n" + '"<&' * 1_300_000 + "\n")
    many = ["w%d" % i for i in range(1_000)]  # a frontmatter bloated by hand: capped, not fatal
    write_log(repo, "AB-261106-01", title="Bloated", workstreams=many, tool_calls={k: 1 for k in many},
              invariants={k: {"count": 1, "ok": False} for k in many}, commit_shas=many)
    site = site_of(report(repo))
    assert count_on(site / "index.html") == 602
    assert len(listed(site, "index")) == 602 and (site / "index-4.html").is_file()
    assert len(list((site / "by" / "workstream").glob("*.html"))) == 50
    assert len(list((site / "search").glob("data-*.js"))) > 1
    assert len(list((site / "sessions").glob("*.html"))) == 602
    sizes = {p: p.stat().st_size for p in site.rglob("*") if p.is_file()}
    assert max(sizes.values()) <= MAX_FILE, max(sizes.items(), key=lambda kv: kv[1])
    assert "only its start is shown" in (site / "sessions" / "AB-261105-01.html").read_text()


def test_a_failed_build_leaves_the_previous_report_whole(repo: Path, monkeypatch) -> None:
    from lib.core.discovery import discover
    from lib.report import build, week_page

    small_team(repo)
    monkeypatch.setenv("HANDOFF_NOW", NOW)
    project = discover(str(repo))
    first = build.build(project, None, None)
    site = Path(first["out"])
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    write_log(repo, "DM-261121-01", title="New one", ended_at="2026-11-21T11:30:00Z")

    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(week_page, "render", crash)
    with pytest.raises(RuntimeError):
        build.build(project, None, None)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert [p.name for p in site.parent.iterdir() if p.name.startswith(".report.")] == []


def test_a_week_page_shows_the_decisions_still_in_force_and_the_questions_still_open(repo: Path) -> None:
    """The team memory's lifecycle (issue 18): a later log superseding a decision of the week, or
    resolving its question, takes it off the week's page (counted, not listed)."""
    from reportutil import commit_all

    small_team(repo)
    write_log(repo, "AB-261125-01", title="Later", ended_at="2026-11-25T10:00:00Z",
              supersedes=["AB-261118-01#D1"], resolves=["AB-261118-01#Q1"],
              body="# Later\n\n## Decisions Made\n\n- **D1** Use tokens of 64 bytes.\n")
    commit_all(repo)
    site = site_of(report(repo))
    week = (site / "weeks" / "2026-W47.html").read_text()
    assert "Use tokens of 32 bytes." not in week and "Rotate keys weekly?" not in week
    assert "1 more of this week superseded by a later session." in week
    assert "1 more of this week resolved by a later session." in week
    later = (site / "weeks" / "2026-W48.html").read_text()
    assert "Use tokens of 64 bytes." in later and "AB-261125-01#D1" in later
