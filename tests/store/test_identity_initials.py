"""Item 4 of issue 9: one person, one set of initials.

Roman Tester and Rita Taylor both derive ``RT`` from their names. Before: both wrote RT-* logs,
and /resume showed each one's work as the other's own. Now the second person is refused the
derived initials (the first person's logs were added under another author email) and asked for
``whoami --set``; with that, /resume splits own and peer work right.
"""

from __future__ import annotations

import json
import os

from idsutil import clone, commit_all, git, helper, make_remote, try_write_session, write_session


def _team(tmp_path):
    bare = make_remote(tmp_path)
    roman = clone(bare, tmp_path / "roman", "Roman Tester", "roman@example.com")
    rita = clone(bare, tmp_path / "rita", "Rita Taylor", "rita@example.com")
    out = helper(roman, "whoami")
    assert out.returncode == 0 and out.stdout.strip() == "RT"
    first = try_write_session(roman, "roman-1", operator=None, title="Roman's work")
    assert first.returncode == 0, first.stderr
    commit_all(roman, "handoff: roman")
    git(roman, "push", "-q", "origin", "main")
    git(rita, "pull", "-q", "origin", "main")
    return roman, rita


def test_derived_initials_used_by_another_person_are_refused(tmp_path):
    roman, rita = _team(tmp_path)
    out = helper(rita, "whoami")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "handoff: initials RT (derived from git user.name 'Rita Taylor') are already used by roman@example.com "
        "in this repo's session logs; one person, one set of initials: choose yours with "
        "scripts/handoff whoami --set XX (or set $HANDOFF_OPERATOR)"]
    # write-session refuses too: no RT log of Rita's is ever written
    out = try_write_session(rita, "rita-1", operator=None)
    assert out.returncode == 1 and "already used by roman@example.com" in out.stderr
    assert sorted(p.name for p in (rita / "docs" / "sessions").glob("RT-*.md")) == \
        sorted(p.name for p in (roman / "docs" / "sessions").glob("RT-*.md"))
    # Roman himself keeps deriving RT (his own email added those logs)
    assert helper(roman, "whoami").stdout.strip() == "RT"


def test_with_set_initials_resume_splits_own_and_peer_work(tmp_path):
    roman, rita = _team(tmp_path)
    assert helper(rita, "whoami", "--set", "RY").returncode == 0
    assert helper(rita, "whoami").stdout.strip() == "RY"
    mine = write_session(rita, "rita-1", operator="RY")
    assert mine["id"].startswith("RY-")
    dash = json.loads(helper(rita, "resume", "--json").stdout)
    assert dash["operator"] == "RY" and dash["last_session"]["id"] == mine["id"]
    roman_dash = json.loads(helper(roman, "resume", "--json").stdout)
    assert roman_dash["operator"] == "RT" and roman_dash["last_session"]["title"] == "Roman's work"


def test_set_to_initials_of_another_person_warns(tmp_path):
    roman, rita = _team(tmp_path)
    out = helper(rita, "whoami", "--set", "RT")
    assert out.returncode == 0 and out.stdout.strip() == "RT"
    assert "warning: initials RT (set with --set) are already used by roman@example.com" in out.stderr


def test_the_check_runs_git_log_once_per_head(tmp_path):
    roman, rita = _team(tmp_path)
    trace = tmp_path / "trace"
    for _ in range(2):
        helper(rita, "whoami", GIT_TRACE=str(trace))
    logs = [line for line in trace.read_text().splitlines() if "'log'" in line or " log " in line]
    assert len([x for x in logs if "built-in: git log" in x]) == 1, logs
    commit_all(rita, "a new commit") if (rita / "x").write_text("x") else None
    os.unlink(trace)
    helper(rita, "whoami", GIT_TRACE=str(trace))
    assert "built-in: git log" in trace.read_text()  # HEAD moved: asked again
