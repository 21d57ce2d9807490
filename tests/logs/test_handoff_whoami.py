"""whoami: $HANDOFF_OPERATOR, the cached --set value, git user.name; --last-resume-prompt."""

from __future__ import annotations

import json
import os

import pytest

from handoff_fixtures import make_repo
from lib.logs.operator import initials_from_name


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


@pytest.mark.parametrize(
    "name, initials",
    [
        ("Roman Tester", "RT"),
        ("roman tester", "RT"),
        ("Émile Zola", "EZ"),
        ("Jean-Luc Picard", "JLP"),
        ("Conan O'Brien", "CO"),
        ("Ada", "AD"),
        ("Anna Maria Luisa de Medici", "AMLM"),
        ("  Grace   Hopper  ", "GH"),
        ("山田太郎", None),
        ("X", None),
        ("", None),
        # letters NFKD does not take apart; a first letter with no A-Z equivalent gives None
        ("ßtraße Ölm", "SO"),
        ("Łukasz Żak", "LZ"),
        ("Øyvind Ærø", "OA"),
        ("Đorđe Þórsson", "DT"),
        ("Œdipe Roi", "OR"),
        ("Влад Путин", None),
        ("Roman 李", None),
        ("123 456", None),
    ],
)
def test_initials_from_name(name, initials):
    assert initials_from_name(name) == initials


def test_from_git_user_name(repo):
    out = repo.helper_ok("whoami")
    assert out.stdout == "RT\n"


def test_env_wins_over_cache_and_git(repo):
    repo.helper_ok("whoami", "--set", "ZQ")
    assert repo.helper_ok("whoami", env={"HANDOFF_OPERATOR": "ABC"}).stdout == "ABC\n"


def test_set_is_cached_in_state_dir_and_wins_over_git(repo):
    out = repo.helper_ok("whoami", "--set", "ZQ")
    assert out.stdout == "ZQ\n"
    assert (repo.state / "operator").read_text() == "ZQ\n"
    assert repo.helper_ok("whoami").stdout == "ZQ\n"


def test_state_dir_override(repo, tmp_path):
    other = tmp_path / "elsewhere"
    repo.helper_ok("whoami", "--set", "XY", env={"HANDOFF_STATE_DIR": str(other)})
    assert (other / "operator").read_text() == "XY\n"
    assert repo.helper_ok("whoami").stdout == "RT\n"


@pytest.mark.parametrize("bad", ["rt", "R", "ROMAN", "R1", "R T", ""])
def test_set_rejects_bad_initials(repo, bad):
    out = repo.helper("whoami", "--set", bad)
    assert out.returncode == 1
    assert out.stderr.startswith("handoff: --set:")
    assert "Traceback" not in out.stderr
    assert not (repo.state / "operator").exists()


def test_bad_env_is_an_error_not_a_fallback(repo):
    out = repo.helper("whoami", env={"HANDOFF_OPERATOR": "rt"})
    assert out.returncode == 1
    assert "HANDOFF_OPERATOR" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_corrupt_cache_names_the_file(repo):
    repo.state.mkdir(parents=True)
    (repo.state / "operator").write_text("not initials\n")
    out = repo.helper("whoami")
    assert out.returncode == 1
    assert str(repo.state / "operator") in out.stderr
    assert "whoami --set" in out.stderr


def test_no_source_at_all_is_a_clear_error(tmp_path):
    repo = make_repo(tmp_path, user=None, commit=False)
    out = repo.helper("whoami")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1
    assert "HANDOFF_OPERATOR" in out.stderr and "whoami --set" in out.stderr


@pytest.mark.parametrize("name", ["Влад Путин", "Ann 李"])
def test_name_with_a_non_latin_initial_asks_for_set(tmp_path, name):
    repo = make_repo(tmp_path, user=name, commit=False)
    out = repo.helper("whoami")
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    assert "cannot derive initials" in out.stderr and "whoami --set" in out.stderr


def test_underivable_name_is_a_clear_error(tmp_path):
    repo = make_repo(tmp_path, user="山田太郎", commit=False)
    out = repo.helper("whoami")
    assert out.returncode == 1
    assert "山田太郎" in out.stderr and "whoami --set" in out.stderr


def test_no_fail_reports_in_output_and_exits_zero(tmp_path):
    repo = make_repo(tmp_path, user=None, commit=False)
    out = repo.helper("whoami", "--last-resume-prompt", "--no-fail")
    assert out.returncode == 0
    assert out.stdout.startswith("operator: UNKNOWN: no operator initials")
    assert "handoff started at: " in out.stdout


def _write_log(repo, log_id: str, resume_prompt: str | None = "prompt of " + "x", broken: bool = False):
    repo.sessions.mkdir(parents=True, exist_ok=True)
    path = repo.sessions / f"{log_id}.md"
    if broken:
        path.write_text("---\n: : not yaml [\n---\nbody\n")
    else:
        from lib.logs import frontmatter

        path.write_text(frontmatter.dumps({"id": log_id, "resume_prompt": resume_prompt}, "body\n"))
    return path


def test_last_resume_prompt_is_the_newest_by_day_then_number(repo):
    # Older logs are unreadable on purpose: only the newest one may be read.
    _write_log(repo, "RT-261120-07", broken=True)
    _write_log(repo, "RT-261121-99", broken=True)
    _write_log(repo, "RT-261121-100", resume_prompt="Pick up: the 100th.\n  indented: yes")
    _write_log(repo, "ZZ-271231-01", resume_prompt="another operator")
    (repo.sessions / "README.md").write_text("not a log")
    out = repo.helper_ok("whoami", "--last-resume-prompt")
    lines = out.stdout.splitlines()
    assert lines[0] == "operator: RT (from git config user.name 'Roman Tester')"
    assert lines[1].startswith("handoff started at: 20") and lines[1].endswith("Z")
    assert "previous log: RT-261121-100 (docs/sessions/RT-261121-100.md)" in lines
    assert out.stdout.endswith("previous resume prompt:\nPick up: the 100th.\n  indented: yes\n")


def test_last_resume_prompt_json(repo):
    _write_log(repo, "RT-261121-01", resume_prompt="# a: b\n---\n")
    data = json.loads(repo.helper_ok("whoami", "--last-resume-prompt", "--json").stdout)
    assert data["operator"] == "RT"
    assert data["last_log"] == {
        "id": "RT-261121-01",
        "path": "docs/sessions/RT-261121-01.md",
        "resume_prompt": "# a: b\n---\n",
        "problem": None,
        "skipped": [],  # newer logs that are not the operator's (tests/store/test_log_authorship.py)
    }
    assert data["draft_file"].endswith("/session-unknown.json")


def test_last_resume_prompt_first_log(repo):
    out = repo.helper_ok("whoami", "--last-resume-prompt")
    assert "previous log: none" in out.stdout


def test_unreadable_newest_log_is_reported_not_fatal(repo):
    _write_log(repo, "RT-261121-02", broken=True)
    out = repo.helper_ok("whoami", "--last-resume-prompt")
    assert "previous resume prompt: unreadable:" in out.stdout
    assert "RT-261121-02.md" in out.stdout


def test_draft_file_is_per_session_in_a_private_dir(repo):
    out = repo.helper_ok("whoami", "--last-resume-prompt", env={"CLAUDE_CODE_SESSION_ID": "abc-123"})
    draft_dir = repo.home / "drafts"
    assert f"draft file: {draft_dir}/session-abc-123.json" in out.stdout
    assert oct(os.stat(draft_dir).st_mode & 0o777) == "0o700"


@pytest.mark.parametrize(
    "line",
    ["date: 2026-02-30", "started_at: 2026-11-21T25:00:00Z", "date: 0000-01-01"],
)
def test_no_fail_survives_an_impossible_date_in_the_newest_log(repo, line):
    """/handoff's pre-execution must never abort: the bad log is reported in the output."""
    repo.sessions.mkdir(parents=True)
    (repo.sessions / "RT-261121-09.md").write_text(f"---\nid: RT-261121-09\n{line}\nresume_prompt: r\n---\nbody\n")
    for args in (("--last-resume-prompt", "--no-fail"), ("--last-resume-prompt",)):
        out = repo.helper("whoami", *args)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        assert "previous log: RT-261121-09" in out.stdout
        assert "previous resume prompt: unreadable: " in out.stdout and "RT-261121-09.md" in out.stdout


def test_no_fail_survives_a_newest_log_that_is_a_fifo(repo):
    repo.sessions.mkdir(parents=True)
    os.mkfifo(repo.sessions / "RT-261121-09.md")
    out = repo.helper("whoami", "--last-resume-prompt", "--no-fail", timeout=20)
    assert out.returncode == 0 and "previous resume prompt: unreadable: " in out.stdout


def test_no_fail_turns_any_exception_into_output(monkeypatch, capsys):
    import argparse

    from lib.commands import whoami as cmd_whoami

    def boom(args, project):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cmd_whoami, "_run", boom)
    args = argparse.Namespace(root=None, set=None, last_resume_prompt=True, json=False, no_fail=True)
    assert cmd_whoami.run(args, None) == 0
    assert capsys.readouterr().out == "operator: UNKNOWN: RuntimeError: disk on fire\n"
