"""The team memory at session start (issue 18 item 5): the SessionStart hook, exactly as
registered, injects `memory`'s briefing, records how many characters it injected, stays within
its time with thousands of logs, and is off with ``"memory_on_start": false``; /resume shows
the same briefing."""

from __future__ import annotations

import json
import sys

import pytest
from memutil import REPO, Team, memory, write_log

sys.path.insert(0, str(REPO / "tests"))
import hookutil  # noqa: E402
from hookutil import error_log, install_bundle, payload, read_state  # noqa: E402
from logtree import write_log as write_file  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "recall"))
from recalltree import body  # noqa: E402


@pytest.fixture
def team(tmp_path):
    return Team(tmp_path)


def _start(actor, source: str = "startup", session: str = "s1"):
    env = {k: v for k, v in actor.env.items() if k.startswith(("HANDOFF_", "GIT_", "HOME", "LC_"))}
    env["HANDOFF_PYTHON"] = sys.executable
    proc = hookutil.run_hook(actor.path, payload("SessionStart", session_id=session, source=source),
                             env_extra=env, timeout=20)
    assert proc.returncode == 0 and proc.stderr == b""
    out = proc.stdout.decode()
    return json.loads(out)["hookSpecificOutput"]["additionalContext"] if out else None


def _installed(actor, on: bool = True):
    install_bundle(actor.path, memory_on_start=on)
    (actor.path / ".git" / "info" / "exclude").write_text("scripts/\n.claude/\n")
    return actor


def test_session_start_injects_the_briefing_and_counts_it(team):
    ab = team.clone("ab", "AB")
    first = write_log(ab, "Storage", decisions=["Use SQLite"], questions=["Which port?"])
    ab.git("push", "-q", "origin", "main")
    cd = _installed(team.clone("cd", "CD"))
    context = _start(cd)
    assert context == memory(cd)["text"]
    assert "%s#D1 (AB, " % first in context and "%s#Q1" % first in context
    record = read_state(cd.path, "s1")
    assert record["start_context_chars"] == len(context)
    assert error_log(cd.path) == ""
    assert _start(cd, source="resume", session="s1") is None  # only fresh starts: startup and clear
    assert read_state(cd.path, "s1")["start_context_chars"] == len(context)
    assert _start(cd, source="clear", session="s2") == context
    # /resume shows the same briefing
    assert json.loads(cd.helper_ok("resume", "--json").stdout)["memory"]["text"] == context
    assert context in cd.helper_ok("resume").stdout


def test_off_in_the_config_no_context_no_count(team):
    ab = team.clone("ab", "AB")
    write_log(ab, "Storage", decisions=["Use SQLite"])
    ab.git("push", "-q", "origin", "main")
    cd = _installed(team.clone("cd", "CD"), on=False)
    assert _start(cd) is None
    assert "start_context_chars" not in read_state(cd.path, "s1")


def test_nothing_to_say_injects_nothing(team):
    cd = _installed(team.clone("cd", "CD"))
    assert _start(cd) is None
    assert read_state(cd.path, "s1")["start_context_chars"] == 0 and error_log(cd.path) == ""


def test_three_thousand_logs_with_thousands_of_open_items_stay_in_budget_and_time(team):
    ab = team.clone("ab", "AB")
    for i in range(3000):
        day = "2611%02d" % (1 + i % 28)
        items = {"decisions": "\n".join("- **D%d** decision %d of log %d" % (k, k, i) for k in (1, 2)),
                 "questions": "- **Q1** open question of log %d?" % i, "learnings": "- **L1** lesson %d" % i}
        write_file(ab.path, "%s-%s-%02d" % (["AB", "CD", "EF"][i % 3], day, 1 + i // 84),
                   body("Log %d" % i, **items), title="Log %d" % i, workstreams=["store"])
    ab.git("add", "-A")
    ab.git("commit", "-q", "--no-verify", "-m", "3000 logs")
    ab.git("push", "-q", "origin", "main")
    cd = _installed(team.clone("cd", "CD"))
    context = _start(cd)  # a fresh clone: the catalog is built inside the hook's time
    assert context is not None, error_log(cd.path)
    assert len(context) <= 6000 and "more: /recall" in context.splitlines()[-1]
    got = memory(cd)
    assert len(got["decisions"]) > 5 and len(got["open_questions"]) > 5 and got["omitted"] > 5000
