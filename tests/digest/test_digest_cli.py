"""``scripts/handoff digest`` on real git repositories, through the real helper process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from digestutil import NOW, body, commit_file, digest, digest_json, git, session

from logtree import HELPERS, backdate, clean_env, write_log

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
USAGE = {"input_tokens": 1000, "output_tokens": 200, "cache_creation_tokens": 50, "cache_read_tokens": 5000,
         "requests": 7, "cost_usd": 1.25, "cost_source": "price-table", "by_model": {}, "unpriced_models": []}


@pytest.fixture
def week_repo(repo: Path) -> Path:
    """2026-W47 (previous) and 2026-W48 (current, NOW is its Friday): commits, logs, a phase."""
    git(repo, "config", "user.name", "R T")
    commit_file(repo, "a.txt", 3, "2026-11-16T09:00:00Z", "a")
    commit_file(repo, "workstreams/auth.md", 0, "2026-11-17T09:00:00Z", "ws")
    phases = "---\ntitle: Auth\n---\n## Phases\n\n- [ ] P1 tokens\n- [ ] P2 refresh\n"
    (repo / "workstreams" / "auth.md").write_text(phases)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ws phases", at="2026-11-17T10:00:00Z")
    commit_file(repo, "b.txt", 5, "2026-11-24T10:00:00Z", "b1")
    commit_file(repo, "b.txt", 2, "2026-11-24T11:00:00Z", "b2")
    text = (repo / "workstreams" / "auth.md").read_text().replace("- [ ] P1 tokens", "- [x] P1 tokens")
    (repo / "workstreams" / "auth.md").write_text(text)
    git(repo, "commit", "-qam", "P1 done", at="2026-11-26T10:00:00Z")

    session(repo, "RT-261124-01", "2026-11-24T12:00:00Z", tool_calls_total=10,
            tool_calls={"Bash": 6, "mcp__github__*": 4}, mcp={"github": {"create_pr": 4}},
            subagents={"total": 2, "by_type": {"Explore": 2}}, failures=1, interruptions_count=1, usage=USAGE,
            invariants={"notion_writes": {"count": 1, "ok": False}},
            body=body(["Chose SVG over PNG: no dependency"], ["Chromium renders SVG exactly"], ["Trend on 12 weeks?"]))
    session(repo, "AB-261126-01", "2026-11-26T09:00:00Z", tool_calls_total=5, tool_calls={"Edit": 5},
            body=body(["Kept the cache format"]))
    session(repo, "CK-261126-01", "2026-11-26T15:00:00Z", tool_calls_total="many", failures=-1)
    session(repo, "AB-261117-01", "2026-11-17T08:00:00Z", tool_calls_total=3, tool_calls={"Read": 3})
    bad = repo / "docs" / "sessions" / "RT-261120-01.md"
    bad.write_text("---\ntitle: [unclosed\n---\n")
    # Outside both weeks, and broken: never opened (a warning would name it).
    (repo / "docs" / "sessions" / "RT-261001-01.md").write_text("---\ntitle: [unclosed\n---\n")
    return repo


def test_figures_side_by_side(week_repo: Path) -> None:
    d = digest_json(week_repo, "--week", "2026-W48")
    assert {"week", "current", "previous", "decisions", "learnings", "open_questions"} <= set(d)
    cur, prev = d["current"], d["previous"]
    assert {"sessions", "commits", "tool_calls", "failures", "subagents", "cost_usd", "by_day"} <= set(cur)
    assert d["week"] == "2026-W48" and d["previous_week"] == "2026-W47"
    assert cur["sessions"] == 3 and cur["operators"] == ["AB", "CK", "RT"]
    assert cur["commits"] == 3 and cur["files_changed"] == 2 and cur["insertions"] == 7 + 1
    assert cur["tool_calls"] == 15 and cur["subagents"] == 2 and cur["failures"] == 1 and cur["interruptions"] == 1
    assert cur["top_tools"][0] == ["Bash", 6] and cur["mcp_servers"] == {"github": 4}
    assert cur["cost_usd"] == 1.25 and cur["sessions_without_cost"] == 0
    assert cur["tokens"] == {"input_tokens": 1000, "output_tokens": 200, "cache_creation_tokens": 50,
                             "cache_read_tokens": 5000, "requests": 7}
    assert cur["breaches"] == [{"id": "RT-261124-01", "invariant": "notion_writes", "count": 1}]
    assert [(p["workstream"], p["phase"]) for p in cur["phases_completed"]] == [("auth", "P1 tokens")]
    assert list(cur["by_day"]) == list(DAYS)
    assert cur["by_day"]["Tue"] == {"sessions": 1, "commits": 2, "tool_calls": 10}
    assert cur["by_day"]["Thu"] == {"sessions": 2, "commits": 1, "tool_calls": 5}
    assert sum(v["commits"] for v in cur["by_day"].values()) == cur["commits"]

    assert prev["sessions"] == 1 and prev["commits"] == 3 and prev["tool_calls"] == 3
    assert prev["cost_usd"] is None and prev["tokens"] is None  # absent, not zero
    assert d["change"]["sessions"] == 2 and d["change"]["commits"] == 0 and d["change"]["tool_calls"] == 12
    assert d["change"]["cost_usd"] is None

    assert [(q["id"], q["text"]) for q in d["decisions"]] == [
        ("RT-261124-01", "Chose SVG over PNG: no dependency"), ("AB-261126-01", "Kept the cache format")]
    assert d["learnings"] == [{"id": "RT-261124-01", "item": "RT-261124-01#L1", "operator": "RT",
                              "text": "Chromium renders SVG exactly"}]
    assert [q["text"] for q in d["open_questions"]] == ["Trend on 12 weeks?"]
    # odd fields: warned, the session still counted; unreadable log: warned, not counted
    warnings = "\n".join(d["warnings"])
    assert "CK-261126-01.md: tool_calls_total: 'many' is not a count" in warnings
    assert "CK-261126-01.md: failures: '-1' is not a count" in warnings
    assert "RT-261120-01.md: frontmatter is not valid YAML" in warnings and "not counted" in warnings
    assert "RT-261001-01" not in warnings  # outside the weeks: never opened


def test_text_names_rows_and_not_available(week_repo: Path) -> None:
    out = digest(week_repo, "--week", "2026-W48", env={"PATH": "/usr/bin:/bin"}).stdout
    lines = out.splitlines()
    row = next(line for line in lines if line.startswith("Commits"))
    assert row.split() == ["Commits", "3", "3", "0"]
    assert next(line for line in lines if line.startswith("Sessions")).split() == ["Sessions", "3", "1", "+2"]
    prs = next(line for line in lines if line.startswith("PRs opened"))
    assert "not available: gh is not installed" in prs and " 0" not in prs
    assert "Invariant breach: RT-261124-01 notion_writes = 1" in out
    assert "  - [RT-261124-01] Chose SVG over PNG: no dependency" in out
    assert "Phase completed: auth: P1 tokens" in out


def _fake_gh(tmp_path: Path, authenticated: bool) -> dict:
    """A real `gh` executable on PATH standing in for GitHub (an external service)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    prs = [{"number": 1, "createdAt": "2026-11-24T10:00:00Z", "mergedAt": "2026-11-25T10:00:00Z"},
           {"number": 2, "createdAt": "2026-11-18T10:00:00Z", "mergedAt": "2026-11-24T09:00:00Z"},
           {"number": 3, "createdAt": "2026-11-19T10:00:00Z", "mergedAt": None}]
    issues = [{"number": 9, "createdAt": "2026-11-23T00:00:00Z", "closedAt": None}]
    script = bindir / "gh"
    script.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "%s/calls"\n'
        'case "$1" in\n'
        "  auth) exit %d ;;\n"
        "  pr) echo '%s' ;;\n"
        "  issue) echo '%s' ;;\n"
        "esac\n" % (tmp_path, 0 if authenticated else 1, json.dumps(prs), json.dumps(issues))
    )
    script.chmod(0o755)
    return {"PATH": f"{bindir}:{os.environ['PATH']}"}


def test_github_rows_from_gh(week_repo: Path, tmp_path: Path) -> None:
    d = digest_json(week_repo, "--week", "2026-W48", env=_fake_gh(tmp_path, True))
    cur, prev = d["current"], d["previous"]
    assert d["github"] == "available"
    assert (cur["prs_opened"], cur["prs_merged"], cur["issues_opened"], cur["issues_closed"]) == (1, 2, 1, 0)
    assert (prev["prs_opened"], prev["prs_merged"]) == (2, 0)
    assert "pr list --state all" in (tmp_path / "calls").read_text()


def test_github_unauthenticated_is_not_available(week_repo: Path, tmp_path: Path) -> None:
    d = digest_json(week_repo, "--week", "2026-W48", env=_fake_gh(tmp_path, False))
    assert d["current"]["prs_opened"] is None and "not authenticated" in d["github"]
    calls = (tmp_path / "calls").read_text()
    assert "auth status" in calls and "pr list" not in calls


def test_gh_not_installed_says_not_available(week_repo: Path) -> None:
    d = digest_json(week_repo, "--week", "2026-W48", env={"PATH": "/usr/bin:/bin"})
    assert d["github"] == "not available: gh is not installed"
    assert all(d["current"][k] is None for k in ("prs_opened", "prs_merged", "issues_opened", "issues_closed"))


def test_operator_scope(week_repo: Path) -> None:
    d = digest_json(week_repo, "--week", "2026-W48", "--operator", "AB")
    assert d["scope"] == "AB" and d["current"]["sessions"] == 1 and d["current"]["tool_calls"] == 5
    assert d["current"]["commits"] == 3  # git figures are the repository's
    assert [q["id"] for q in d["decisions"]] == ["AB-261126-01"]


def test_week_without_logs_still_has_its_commits(week_repo: Path) -> None:
    commit_file(week_repo, "c.txt", 1, "2026-11-10T10:00:00Z", "older")  # W46
    proc = digest(week_repo, "--week", "2026-W46")
    assert "No session logs in 2026-W46: the figures come from git only." in proc.stdout
    d = digest_json(week_repo, "--week", "2026-W46")
    assert d["current"]["sessions"] == 0 and d["current"]["commits"] == 1


def test_time_zone_moves_a_session_across_the_week_edge(repo: Path) -> None:
    session(repo, "RT-261122-01", "2026-11-22T23:30:00Z", tool_calls_total=4)  # Sunday UTC, Monday in Paris
    utc = digest_json(repo, "--week", "2026-W47")
    paris = digest_json(repo, "--week", "2026-W48", "--tz", "Europe/Paris")
    assert utc["current"]["sessions"] == 1 and utc["current"]["by_day"]["Sun"]["sessions"] == 1
    assert paris["current"]["sessions"] == 1 and paris["current"]["by_day"]["Mon"]["sessions"] == 1
    assert paris["tz"] == "Europe/Paris" and paris["previous"]["sessions"] == 0
    assert digest_json(repo, "--week", "2026-W48")["current"]["sessions"] == 0


def test_w53_and_turn_of_year(repo: Path) -> None:
    session(repo, "RT-270102-01", "2027-01-02T10:00:00Z", tool_calls_total=1)
    commit_file(repo, "x.txt", 1, "2026-12-31T10:00:00Z", "nye")
    d = digest_json(repo, "--week", "2026-W53", env={"HANDOFF_NOW": "2027-01-05T00:00:00Z"})
    assert d["current"]["sessions"] == 1 and d["current"]["commits"] == 1
    assert d["current"]["by_day"]["Thu"]["commits"] == 1 and d["current"]["by_day"]["Sat"]["sessions"] == 1
    assert d["previous_week"] == "2026-W52"
    proc = digest(repo, "--week", "2025-W53", ok=False)
    assert proc.returncode == 1 and proc.stderr.strip() == "handoff: --week '2025-W53': 2025 has weeks 01..52"


def test_repository_without_commits(repo: Path) -> None:
    session(repo, "RT-261124-01", "2026-11-24T12:00:00Z", tool_calls_total=2)
    d = digest_json(repo, "--week", "2026-W48")
    assert d["current"]["commits"] == 0 and d["current"]["sessions"] == 1
    assert "This repository has no commits yet: the git figures are 0." in d["notes"]


def test_future_week_is_one_line_and_exit_1(repo: Path) -> None:
    proc = digest(repo, "--week", "2026-W50", ok=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == "handoff: --week 2026-W50: is in the future (this week is 2026-W48)\n"
    proc = digest(repo, "--week-arg", "2026-W50", "--no-fail")
    assert proc.stdout.startswith("handoff: --week 2026-W50: is in the future")


def test_not_a_repository(tmp_path: Path) -> None:
    proc = digest(tmp_path, "--week", "2026-W48", ok=False)
    assert proc.returncode == 1
    assert proc.stderr == f"handoff: {tmp_path}: not a git repository (digest reads its history)\n"


def test_an_edit_in_place_with_its_mtime_put_back_is_seen(week_repo: Path) -> None:
    """Same size, same mtime (rsync -t, tar): the next digest still counts the new figure."""
    backdate(week_repo)
    assert digest_json(week_repo, "--week", "2026-W48")["current"]["tool_calls"] == 15
    path = week_repo / "docs" / "sessions" / "AB-261126-01.md"
    before = path.stat()
    text = path.read_text()
    with open(path, "r+") as f:  # in place: same inode, as an editor that saves in place
        f.write(text.replace("tool_calls_total: 5", "tool_calls_total: 9"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert digest_json(week_repo, "--week", "2026-W48")["current"]["tool_calls"] == 19


def test_a_corrupt_catalog_is_moved_aside_and_rebuilt(week_repo: Path) -> None:
    backdate(week_repo)
    digest(week_repo, "--week", "2026-W48")
    catalog = next(week_repo.rglob("catalog.sqlite3"))
    catalog.write_bytes(b"garbage, not a database" * 100)
    d = digest_json(week_repo, "--week", "2026-W48")
    assert any("catalog.sqlite3: " in w and "moved aside to catalog.sqlite3.moved-aside and rebuilt" in w
               for w in d["warnings"]), d["warnings"]
    assert d["current"]["sessions"] == 3 and d["current"]["tool_calls"] == 15
    assert digest_json(week_repo, "--week", "2026-W48")["warnings"] == [
        w for w in d["warnings"] if "catalog.sqlite3" not in w]  # rebuilt: the next run is clean


def test_a_log_written_by_write_session_is_quoted_without_warnings(repo: Path) -> None:

    git(repo, "commit", "-q", "--allow-empty", "-m", "start", at="2026-11-20T10:00:00Z")
    draft = {"title": "Real log", "summary": "S.", "resume_prompt": "R.", "confidence": "M", "workstreams": [],
             "body": {"What I Did": ["did"], "Decisions Made": ["Pick A: because B"], "Learnings": "Prose.\n\nMore.",
                      "Open Questions": ["Q1?"]}}
    proc = subprocess.run([sys.executable, str(HELPERS), "write-session", "--root", str(repo)], input=json.dumps(draft),
                          capture_output=True, text=True, env=clean_env({"HANDOFF_OPERATOR": "RT", "HANDOFF_NOW": NOW}))
    assert proc.returncode == 0, proc.stderr
    d = digest_json(repo, "--week", "2026-W48")
    assert d["warnings"] == [] and d["current"]["sessions"] == 1 and d["current"]["by_day"]["Fri"]["sessions"] == 1
    assert [q["text"] for q in d["decisions"]] == ["Pick A: because B"]
    assert [q["text"] for q in d["learnings"]] == ["Prose.", "More."]
    assert d["open_questions"] == [{"id": "RT-261127-01", "item": "RT-261127-01#Q1", "operator": "RT", "text": "Q1?"}]


def test_a_log_without_times_is_placed_by_its_day_and_warned(repo: Path) -> None:
    write_log(repo, "RT-261125-01", tool_calls_total=3)  # no ended_at / started_at
    d = digest_json(repo, "--week", "2026-W48")
    assert d["current"]["sessions"] == 1 and d["current"]["by_day"]["Wed"]["tool_calls"] == 3
    assert d["warnings"] == ["docs/sessions/RT-261125-01.md: no ended_at/started_at; placed at noon UTC of its day"]


def test_legacy_logs_are_counted_by_their_frontmatter(repo: Path) -> None:
    """CONV-* logs carry their operator and day in their frontmatter only."""
    write_log(repo, "CONV-20261124-0001", operator="RT", date="2026-11-24", ended_at="2026-11-24T10:00:00Z",
              tool_calls_total=4, body=body(["Moved off Notion"]))
    write_log(repo, "CONV-20261001-0002", date="2026-10-01", tool_calls_total=1)  # another week: not read
    write_log(repo, "CONV-undated-0003", tool_calls_total=2)  # no day at all: read, placed nowhere
    d = digest_json(repo, "--week", "2026-W48")
    assert d["current"]["sessions"] == 1 and d["current"]["operators"] == ["RT"] and d["current"]["tool_calls"] == 4
    assert d["decisions"] == [{"id": "CONV-20261124-0001", "item": "CONV-20261124-0001#D1", "operator": "RT",
                              "text": "Moved off Notion"}]
    assert d["warnings"] == [
        "docs/sessions/CONV-undated-0003.md: no ended_at, started_at or date; not placed in any week"]


def test_date_range_and_its_previous_range(week_repo: Path) -> None:
    d = digest_json(week_repo, "--since", "2026-11-24", "--until", "2026-11-26")
    assert d["week"] == "2026-11-24..2026-11-26" and d["previous_week"] == "2026-11-21..2026-11-23"
    assert d["current"]["sessions"] == 3 and d["current"]["commits"] == 3 and d["previous"]["commits"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (("--tz", "Mars/Olympus"), "handoff: --tz 'Mars/Olympus': not a known time zone (e.g. UTC, Europe/Paris)"),
    (("--since", "2026-11-01"), "handoff: --since and --until go together (dates, both inclusive)"),
    (("--since", "2026-11-10", "--until", "2026-11-01"), "handoff: --until 2026-11-01: before --since 2026-11-10"),
    (("--operator", "rt"), "handoff: --operator 'rt': expected 2-4 capital letters (e.g. RT)"),
    (("--week", "2026-W5"), "handoff: --week '2026-W5': expected an ISO week like 2026-W47"),
])
def test_bad_arguments_are_one_line(repo: Path, args: tuple, message: str) -> None:
    proc = digest(repo, *args, ok=False)
    assert proc.returncode == 1 and proc.stderr == message + "\n" and proc.stdout == ""


def test_a_multi_line_item_is_quoted_whole(repo: Path) -> None:
    session(repo, "RT-261124-01", "2026-11-24T12:00:00Z", body=body(["Use SVG\n  because GitHub renders it"]))
    d = digest_json(repo, "--week", "2026-W48")
    assert [q["text"] for q in d["decisions"]] == ["Use SVG\nbecause GitHub renders it"]  # as logs/sections.py gives it
    assert "  - [RT-261124-01] Use SVG because GitHub renders it\n" in digest(repo, "--week", "2026-W48").stdout


def test_week_from_stdin_as_reflect_sends_it(repo: Path) -> None:
    """/reflect passes $ARGUMENTS through a quoted heredoc (FINDINGS 29): quotes stay text and
    come back in the one-line problem instead of aborting the slash command."""
    def run(text: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, str(HELPERS), "digest", "--root", str(repo), "--week-stdin", "--no-fail"]
        return subprocess.run(argv, input=text, capture_output=True, text=True,
                              env=clean_env({"HANDOFF_NOW": NOW}), timeout=60)

    proc = run("last week's \"numbers\"\n")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("handoff: /reflect argument 'last week\\'s \"numbers\"': expected one ISO week")
    proc = run("2026-W50\n")
    assert proc.stdout.startswith("handoff: --week 2026-W50: is in the future")


def test_the_installed_workstreams_readme_is_not_a_workstream(week_repo: Path) -> None:
    """The README the installer seeds shows a workstream with two checked phases, in a code
    block: committing it completes no phase of a workstream "README" (issue 20 item 2)."""
    from logtree import REPO

    readme = (REPO / "workstreams" / "README.md").read_text()
    assert "- [x] P1" in readme and "- [x] P2" in readme  # what made it count
    (week_repo / "workstreams" / "README.md").write_text(readme)
    (week_repo / "workstreams" / "INDEX.md").write_text("- [x] not a phase either\n")
    git(week_repo, "add", "-A")
    git(week_repo, "commit", "-qm", "install handoff", at="2026-11-25T10:00:00Z")
    cur = digest_json(week_repo, "--week", "2026-W48")["current"]
    assert [(p["workstream"], p["phase"]) for p in cur["phases_completed"]] == [("auth", "P1 tokens")]
