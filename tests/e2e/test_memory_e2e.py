"""The team memory at session start through the real Claude Code CLI, for both installs (issue 18).

A bare remote, a teammate's clone (AB) that pushed two logs to main (the second supersedes a
decision of the first and resolves one of its questions) and a feature branch with a log that is
pushed but not merged, and whose session changed ``src/app.py``. The user's clone (the project
the CLI runs in) changes ``src/app.py`` too. What is checked is what reached the model: the first
request holds the decisions in force and the open question of the trusted branch, with their
ids, and the teammate's log on the same file; it holds neither the superseded decision, nor the
resolved question, nor any text of the unmerged feature branch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .test_commands_e2e import MODES
from .test_install_e2e import REPO, git, run_install

sys.path.insert(0, str(REPO / "tests" / "memory"))
from memutil import Team, write_log  # noqa: E402

CONTEXT = "SessionStart hook additional context: "


def _team(tmp_path: Path):
    (tmp_path / "team").mkdir()
    team = Team(tmp_path / "team")
    ab = team.clone("ab", "AB")
    first = write_log(ab, "Storage", decisions=["Use SQLite for the catalog", "Keep the JSON caches"],
                      questions=["Which port for the viewer?", "Who owns the installer?"])
    second = write_log(ab, "Caches", decisions=["One catalog, no JSON caches"], supersedes=[first + "#D2"],
                       resolves=[first + "#Q1"])
    ab.git("push", "-q", "origin", "main")
    ab.git("checkout", "-q", "-b", "feature")
    (ab.path / "src").mkdir(exist_ok=True)
    (ab.path / "src" / "app.py").write_text("print('feature')\n")
    ab.git("add", "src/app.py")
    ab.git("commit", "-q", "-m", "feature work")
    feature = write_log(ab, "Feature", decisions=["FEATURE-BRANCH-TEXT must not reach anyone"],
                        supersedes=[second + "#D1"])
    ab.git("push", "-q", "origin", "feature")
    return team, first, second, feature


@pytest.mark.parametrize("mode", sorted(MODES))
def test_session_starts_with_the_trusted_memory(run_claude, tmp_path: Path, mode: str) -> None:
    extra, env, _, _ = MODES[mode]
    team, first, second, feature = _team(tmp_path)
    project = tmp_path / "project"
    git(tmp_path, "clone", "-q", str(team.remote), str(project))
    git(project, "config", "user.name", "Roman Tester")
    git(project, "config", "user.email", "rt@example.com")
    (project / "src").mkdir(exist_ok=True)
    (project / "src" / "app.py").write_text("print('mine')\n")  # uncommitted: the file at hand
    if mode == "local":
        run_install(project, "--no-venv")
    _, requests, _ = run_claude(project, "hello", ["done"], extra_args=extra, env_extra=env)
    main = [r for r in requests if r.kind == "main"]
    assert main, "the CLI sent no request"
    text = main[0].text
    assert CONTEXT in text, text[:3000]
    context = text.split(CONTEXT, 1)[1]
    for wanted in (second + "#D1", "One catalog, no JSON caches", first + "#D1", "Use SQLite for the catalog",
                   first + "#Q2", "Who owns the installer?"):
        assert wanted in context, wanted
    for unwanted in ("Keep the JSON caches", "Which port for the viewer?", "FEATURE-BRANCH-TEXT"):
        assert unwanted not in context, unwanted
    # the teammate's log on the same file: facts only (operator, id, branch, file)
    assert feature in context and "src/app.py" in context
