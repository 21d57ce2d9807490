"""/recall through the real Claude Code CLI, for both installs.

The repository holds a few session logs, one of which decided something with a rare word. The
scripted model reads what the command showed it (the pre-executed search), opens the best log
with Read, and answers citing its id. What is checked is what our code did: the ranked search
reached the model with the planted log first and its match marked, the Read of that path worked
(allowed-tools), the question text survived the trip through ``$ARGUMENTS`` (apostrophes and all),
and nothing in the repository changed (the command writes nothing).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from .test_commands_e2e import MODES, _last_user_text
from .test_install_e2e import REPO, git, identify, run_install, tool_results

sys.path.insert(0, str(REPO / "tests"))
from hookutil import state_dir  # noqa: E402
from logtree import write_log  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "recall"))
from recalltree import body  # noqa: E402

QUESTION = "what's the decision on lockfiles vs flock?"
PLANTED = "RT-261105-01"


def _plant(project: Path) -> None:
    write_log(project, PLANTED, body("Storage work", decisions="- Chose flock over lockfiles: the kernel releases it"),
              title="Storage work", summary="Storage work.")
    write_log(project, "AB-261106-01", body("Unrelated", did="- mentioned flock once in passing"),
              title="Unrelated", summary="Other work.")
    for i in range(5):
        write_log(project, "CK-2611%02d-01" % (i + 10), body("Noise %d" % i), title="Noise %d" % i)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_recall_answers_from_the_logs(run_claude, git_project: Path, mode: str) -> None:
    extra, env, handoff_cmd, _ = MODES[mode]
    recall_cmd = handoff_cmd.replace("handoff", "recall", 1) if mode == "local" else "/handoff:recall"
    project = identify(git_project)
    if mode == "local":
        run_install(project, "--no-venv")
    _plant(project)
    git(project, "add", "-A")
    # --no-verify: planted logs carry only what the index reads, not a full /handoff log; the
    # installed pre-commit hook (lib/store/precommit.py) would rightly refuse them.
    git(project, "commit", "--no-verify", "-qm", "logs and handoff")
    head = git(project, "rev-parse", "HEAD")

    seen: dict = {}

    def open_turn(body_):
        text = _last_user_text(body_)
        seen["expansion"] = text
        m = re.search(r"\s(docs/sessions/\S+\.md)\n", text)
        seen["path"] = m.group(1) if m else "docs/sessions/MISSING.md"
        return {"tool": "Read", "input": {"file_path": str(project / seen["path"])}}

    def answer_turn(body_):
        seen["read"] = _last_user_text(body_)
        return "Decided flock over lockfiles [%s]." % PLANTED

    result, requests, _ = run_claude(
        project, f"{recall_cmd} {QUESTION}", [open_turn, answer_turn], extra_args=[*extra], env_extra=env, timeout=120
    )
    assert result["num_turns"] >= 2, f"/recall did not run (pre-exec refused?): {result.get('result')}"
    assert not result.get("permission_denials"), result["permission_denials"]
    expansion = seen["expansion"]
    assert "!`" not in expansion and "handoff: " not in expansion, expansion
    assert QUESTION in expansion  # $ARGUMENTS in the body, verbatim
    hits = [line.split()[0] for line in expansion.splitlines() if re.match(r"[A-Z]{2,4}-\d{6}-\d{2}  ", line)]
    assert hits and hits[0] == PLANTED, expansion  # ranked: the planted log first
    assert "**lockfiles**" in expansion
    assert seen["path"] == f"docs/sessions/{PLANTED}.md"
    errors = [r for r in tool_results(requests) if r.get("is_error")]
    assert not errors, errors
    assert "Chose flock over lockfiles" in seen["read"]  # the Read reached the log
    # Writes nothing: same commit, nothing modified or added outside the (ignored) state dir.
    assert git(project, "rev-parse", "HEAD") == head
    status = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert status == [], status  # the state dir is under the git dir: not even an ignored file here
    assert (state_dir(project) / "catalog.sqlite3").is_file()  # the catalog: in the state dir only
