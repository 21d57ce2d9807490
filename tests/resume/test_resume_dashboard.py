"""``resume``: the dashboard's content, order and formats, run as the slash command runs it.

Every test builds a real repository in a temp dir and runs ``scripts/handoff_helpers.py resume``
as a subprocess. The helpers come from tests/logtree.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logtree import (  # noqa: F401
    HELPERS,
    NOW,
    REPO,
    backdate,
    clean_env,
    frontmatter,
    resume,
    resume_json,
    run_helper,
    team,
    write_log,
    write_ws,
)


def test_text_dashboard_sections_in_order(repo: Path) -> None:
    team(repo)
    proc = resume(repo, "--operator", "RT")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("/resume \u2014 RT\n")
    assert 'Last session: RT-261120-01 "Title of RT-261120-01" (26h ago)' in out
    assert "  Continue with P3: write the benchmark.\n  Then tune.\n" in out
    assert "Summary:\n  Cache done.\n" in out
    # 1. last session, 2. own workstreams, then others, 3. peer footer, in this order
    heads = ("Last session:", "Your workstreams (2):", "Other workstreams (2):", "Peer activity")
    positions = [out.index(s) for s in heads]
    assert positions == sorted(positions)
    own = out[out.index("Your workstreams"): out.index("Other workstreams")]
    assert "resume-dash" in own and "2/3" in own and "next: P3 bench" in own
    assert own.index("resume-dash") < own.index("old-thing")  # active before done
    others = out[out.index("Other workstreams"): out.index("Peer activity")]
    assert others.index("  AB:") < others.index("  CK:")
    assert "next: P2 refresh" in others
    assert "Warnings" not in out


def test_peer_activity_footer_exact_and_newest_first(repo: Path) -> None:
    team(repo)
    out = resume(repo, "--operator", "RT").stdout
    footer = [line for line in out.splitlines() if line.startswith("Peer activity")]
    assert footer == [
        'Peer activity \u2014 auth: last seen AB-261121-01 ("Token refresh", 2h ago)',
        'Peer activity \u2014 billing: last seen CK-261119-02 ("Invoices", 48h ago)',
    ]
    # From AB's side the peers are RT's and CK's workstreams; the done one has no log, no line.
    out = resume(repo, "--operator", "AB").stdout
    footer = [line for line in out.splitlines() if line.startswith("Peer activity")]
    assert footer == [
        'Peer activity \u2014 resume-dash: last seen RT-261120-01 ("Title of RT-261120-01", 26h ago)',
        'Peer activity \u2014 billing: last seen CK-261119-02 ("Invoices", 48h ago)',
    ]


def test_json_shape(repo: Path) -> None:
    team(repo)
    data = resume_json(repo, "RT")
    assert set(data) == {
        "operator", "last_session", "resume_prompt", "summary", "own_workstreams", "peer_workstreams",
        "peer_activity", "warnings", "last_session_usage", "week", "unfinished_sessions", "reflection",
        "file_collisions", "memory",
    }
    assert data["operator"] == "RT"
    assert data["last_session"] == {"id": "RT-261120-01", "title": "Title of RT-261120-01", "age_hours": 26}
    assert data["resume_prompt"] == "Continue with P3: write the benchmark.\nThen tune."
    assert data["summary"] == "Cache done."
    assert [w["slug"] for w in data["own_workstreams"]] == ["resume-dash", "old-thing"]
    assert data["own_workstreams"][0] == {
        "slug": "resume-dash", "title": "Resume Dash", "owner": "RT", "status": "active", "done": 2, "total": 3,
        "next": "P3 bench",
    }
    assert [(w["owner"], w["slug"]) for w in data["peer_workstreams"]] == [("AB", "auth"), ("CK", "billing")]
    assert data["peer_workstreams"][1]["total"] == 0 and data["peer_workstreams"][1]["next"] is None
    assert data["peer_activity"] == [
        {"slug": "auth", "operator": "AB", "id": "AB-261121-01", "title": "Token refresh", "age_hours": 2},
        {"slug": "billing", "operator": "CK", "id": "CK-261119-02", "title": "Invoices", "age_hours": 48},
    ]
    assert data["warnings"] == []


def test_own_and_peer_partition_is_by_owner_only(repo: Path) -> None:
    team(repo)
    # RT's own log touches AB's workstream: it is AB's workstream all the same, and RT's log counts
    write_log(repo, "RT-261121-01", workstreams=["auth", "resume-dash"], ended_at="2026-11-21T11:30:00Z")
    data = resume_json(repo, "RT")
    assert {w["slug"] for w in data["own_workstreams"]} == {"resume-dash", "old-thing"}
    assert {w["slug"] for w in data["peer_workstreams"]} == {"auth", "billing"}
    assert data["peer_activity"][0] == {
        "slug": "auth", "operator": "RT", "id": "RT-261121-01", "title": "Title of RT-261121-01", "age_hours": 0,
    }


def test_first_session_still_shows_the_rest(repo: Path) -> None:
    team(repo)
    out = resume(repo, "--operator", "ZZ").stdout
    assert "No session log for ZZ yet: this will be your first /handoff." in out
    assert "Your workstreams: none" in out and "Other workstreams (4):" in out
    assert out.count("Peer activity \u2014") == 3
    data = resume_json(repo, "ZZ")
    assert data["last_session"] is None and data["resume_prompt"] is None and data["summary"] is None
    assert [a["slug"] for a in data["peer_activity"]] == ["auth", "resume-dash", "billing"]


def test_empty_repository(repo: Path) -> None:
    proc = resume(repo, "--operator", "RT")
    assert proc.returncode == 0, proc.stderr
    assert "this will be your first /handoff" in proc.stdout
    assert "Your workstreams: none" in proc.stdout
    assert "Peer activity" not in proc.stdout and "Warnings" not in proc.stdout
    data = resume_json(repo, "RT")
    assert data["own_workstreams"] == data["peer_workstreams"] == data["peer_activity"] == data["warnings"] == []


def test_age_falls_back_to_date_and_is_never_negative(repo: Path) -> None:
    write_ws(repo, "auth", "AB")
    write_log(repo, "AB-261120-01", workstreams=["auth"])  # no ended_at: midnight of its date
    write_log(repo, "RT-261122-01", ended_at="2026-11-22T00:00:00Z")  # in the future
    data = resume_json(repo, "RT")
    assert data["peer_activity"][0]["age_hours"] == 36
    assert data["last_session"]["age_hours"] == 0


def test_operator_sources(repo: Path) -> None:
    team(repo)
    assert resume_json(repo, "AB")["operator"] == "AB"
    # --operator-arg: what the slash command passes from $ARGUMENTS (case-insensitive; empty = whoami)
    proc = resume(repo, "--operator-arg=ck", "--json")
    assert json.loads(proc.stdout)["operator"] == "CK"
    proc = resume(repo, "--operator-arg=", "--json", env={"HANDOFF_OPERATOR": "AB"})
    assert json.loads(proc.stdout)["operator"] == "AB"
    proc = resume(repo, "--operator-arg=  ", "--json", env={"HANDOFF_OPERATOR": "RT"})
    assert json.loads(proc.stdout)["operator"] == "RT"


@pytest.mark.parametrize(
    "text, expected",
    [("ck\n", "CK"), ("\n", "RT"), ("", "RT"), ("  ab  \n", "AB")],
)
def test_operator_from_stdin_as_the_slash_command_sends_it(repo: Path, text: str, expected: str) -> None:
    """/resume passes $ARGUMENTS through a quoted heredoc (a trailing newline; empty = whoami)."""
    team(repo)
    argv = [sys.executable, str(HELPERS), "resume", "--root", str(repo), "--operator-stdin", "--json"]
    proc = subprocess.run(argv, input=text, capture_output=True, text=True,
                          env=clean_env({"HANDOFF_OPERATOR": "RT"}), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["operator"] == expected


def test_operator_stdin_with_quotes_is_reported_in_the_output_with_no_fail(repo: Path) -> None:
    team(repo)
    argv = [sys.executable, str(HELPERS), "resume", "--root", str(repo), "--operator-stdin", "--no-fail"]
    proc = subprocess.run(argv, input="what's \"new\" $HOME\n", capture_output=True, text=True,
                          env=clean_env(), timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "/resume argument 'what\\'s \"new\" $HOME': expected operator initials" in proc.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--operator", "rt"], "--operator 'rt'"),
        (["--operator-arg=not initials"], "'not initials'"),
        (["--operator-arg=R2D2"], "'R2D2'"),
    ],
)
def test_bad_operator_is_one_line_error(repo: Path, args, needle) -> None:
    proc = resume(repo, *args)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handoff: ") and needle in lines[0]
    # --no-fail (slash-command pre-exec): the same message on stdout, exit 0
    proc = resume(repo, *args, "--no-fail")
    assert proc.returncode == 0 and proc.stdout.startswith("handoff: ") and needle in proc.stdout


def test_no_operator_anywhere_is_an_error_naming_the_fix(repo: Path) -> None:
    env = {"HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    proc = resume(repo, env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("handoff: ") and "whoami --set" in proc.stderr


def test_titles_are_one_line_in_the_footer(repo: Path) -> None:
    write_ws(repo, "auth", "AB")
    write_log(repo, "AB-261121-01", title="Two\nlines  and\ttabs", workstreams=["auth"],
              ended_at="2026-11-21T10:00:00Z")
    out = resume(repo, "--operator", "RT").stdout
    assert 'Peer activity \u2014 auth: last seen AB-261121-01 ("Two lines and tabs", 2h ago)' in out


def test_compact_is_short_and_has_prompt_and_next_phases(repo: Path) -> None:
    team(repo)
    for i in range(60):
        write_ws(repo, "ws-%02d" % i, "RT", phases=[(False, "P1 step %d" % i)])
    write_log(repo, "RT-261121-01", resume_prompt="\n".join("line %d" % i for i in range(100)),
              ended_at="2026-11-21T11:00:00Z")
    proc = resume(repo, "--operator", "RT", "--compact", "--no-memory")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) <= 40
    # the team memory follows the 40 lines, within its own budget (lib/memory/briefing.py)
    with_memory = resume(repo, "--operator", "RT", "--compact").stdout
    assert with_memory.startswith(proc.stdout.rstrip("\n")) and len(with_memory) - len(proc.stdout) <= 5000 + 2
    assert lines[0].startswith('handoff /resume (RT): last session RT-261121-01 "Title of RT-261121-01" (1h ago)')
    assert "  line 0" in lines and "Next phases:" in lines
    assert any(line.startswith("  resume-dash (active, 2/3): P3 bench") for line in lines)
    assert "Peer activity" not in proc.stdout  # the compact view skips the walk
    assert lines[-1].startswith("Run /resume")


def test_root_from_git_when_claude_project_dir_is_empty(repo: Path) -> None:
    team(repo)
    sub = repo / "docs"
    argv = [sys.executable, str(HELPERS), "resume", "--operator", "RT"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=sub, env=clean_env({"CLAUDE_PROJECT_DIR": ""}))
    assert proc.returncode == 0, proc.stderr
    assert "RT-261120-01" in proc.stdout


def test_latest_reflection_by_week_team_first_title_from_the_body(repo: Path) -> None:
    team(repo)
    assert "Latest reflection" not in resume(repo, "--operator", "RT").stdout
    reflections = repo / "docs" / "reflections"
    reflections.mkdir(parents=True)
    (reflections / "2026-W46.md").write_text("---\nweek: 2026-W46\n---\n# Older\n")
    (reflections / "2026-W47-RT.md").write_text("---\r\nweek: 2026-W47\r\n---\r\n\r\n# Mine\r\n")
    (reflections / "notes.md").write_text("# not a reflection\n")
    line = [x for x in resume(repo, "--operator", "RT").stdout.splitlines() if "reflection" in x]
    assert line == ['Latest reflection: 2026-W47 "Mine" (docs/reflections/2026-W47-RT.md)']
    (reflections / "2026-W47.md").write_text("---\n# inside the frontmatter\ntitle: x\n---\n\n# Team's\n")
    assert resume_json(repo, "RT")["reflection"] == {
        "week": "2026-W47", "title": "Team's", "path": "docs/reflections/2026-W47.md"}
    (reflections / "2026-W48.md").write_text("---\n# never closed\n")
    assert resume_json(repo, "RT")["reflection"] == {
        "week": "2026-W48", "title": "", "path": "docs/reflections/2026-W48.md"}
