"""/report through the real Claude Code CLI, for both installs: the pre-executed build reaches
the model with the sessions counted and the ``index.html`` to open (inside the state dir), the
date argument survives ``$ARGUMENTS``, and the repository is left as it was."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from .test_commands_e2e import MODES, _last_user_text
from .test_install_e2e import REPO, git, identify, run_install

sys.path.insert(0, str(REPO / "tests"))
from hookutil import state_dir  # noqa: E402
from logtree import write_log  # noqa: E402


@pytest.mark.parametrize("mode", sorted(MODES))
def test_report_prints_the_page_to_open(run_claude, git_project: Path, mode: str) -> None:
    extra, env, handoff_cmd, _ = MODES[mode]
    report_cmd = handoff_cmd.replace("handoff", "report", 1) if mode == "local" else "/handoff:report"
    project = identify(git_project)
    if mode == "local":
        run_install(project, "--no-venv")
    for name, day in (("RT-261105-01", "05"), ("AB-261106-01", "06"), ("CK-261110-01", "10")):
        write_log(project, name, title="Work of " + name, ended_at="2026-11-%sT10:00:00Z" % day)
    git(project, "add", "-A")
    git(project, "commit", "--no-verify", "-qm", "logs and handoff")  # planted logs: not full /handoff logs
    head = git(project, "rev-parse", "HEAD")
    seen: dict = {}

    def answer_turn(body_):
        seen["expansion"] = _last_user_text(body_)
        return "Open the index."

    result, _, _ = run_claude(project, f"{report_cmd} 2026-11-06", [answer_turn], extra_args=[*extra],
                              env_extra=env, timeout=120)
    assert not result.get("permission_denials"), result["permission_denials"]
    expansion = seen["expansion"]
    assert "!`" not in expansion and "handoff: " not in expansion, expansion
    assert "report: 2 sessions" in expansion, expansion  # --since from $ARGUMENTS
    index = Path(re.search(r"^(/\S+/index\.html)$", expansion, re.MULTILINE).group(1))
    assert index == state_dir(project) / "report" / "index.html" and index.is_file()
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain", "--untracked-files=all").splitlines() == []
