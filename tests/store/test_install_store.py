"""Issue 9 item 6 and the installer's part of item 1: .gitattributes merged (never clobbered),
the merge driver configured, a pre-commit hook that refuses a hand-broken log while chaining the
user's own hook, all removed exactly by uninstall; plus the CI workflow file."""

from __future__ import annotations

import subprocess
import sys

import yaml
from storeutil import CHANGELOG, REPO, Team, base_env

from lib.store import attributes

INSTALL = REPO / "scripts" / "install.py"
USER_ATTRS = "*.png binary\nCHANGELOG.md text eol=lf"  # no final newline: kept exactly
USER_HOOK = "#!/bin/sh\necho ran > \"$(git rev-parse --show-toplevel)/user-hook-ran\"\nexit 0\n"


def git(path, *args, env=None, check=True):
    out = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, env=env)
    assert not check or out.returncode == 0, out.stderr
    return out


def install_py(target, env, *flags):
    argv = [sys.executable, str(INSTALL), *(flags or ("--no-venv",)), str(target)]
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def installed(tmp_path, hooks_path=None):
    (tmp_path / "home").mkdir()
    env = dict(base_env(tmp_path / "home"), HANDOFF_PYTHON=sys.executable)
    target = tmp_path / "proj"
    target.mkdir()
    git(target, "init", "-q", "-b", "main", env=env)
    for k, v in (("user.name", "Ann Bee"), ("user.email", "ab@example.com"), ("commit.gpgsign", "false")):
        git(target, "config", k, v, env=env)
    (target / ".gitattributes").write_text(USER_ATTRS)
    hooks = target / (hooks_path or ".git/hooks")
    if hooks_path:
        git(target, "config", "core.hooksPath", hooks_path, env=env)
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "pre-commit").write_text(USER_HOOK)
    (hooks / "pre-commit").chmod(0o755)
    out = install_py(target, env)
    assert out.returncode == 0, out.stderr
    git(target, "add", "-A", env=env)
    git(target, "commit", "-q", "-m", "install handoff", env=env)  # what a user does next (and our hook passes it)
    assert (target / "user-hook-ran").exists()  # ... and then runs the user's own hook
    (target / "user-hook-ran").unlink()
    return target, hooks, env, out.stdout


def commit_log(target, env, text, name="AB-261121-01"):
    log = target / "docs" / "sessions" / (name + ".md")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(text)
    git(target, "add", "--", str(log), env=env)
    return git(target, "commit", "-q", "-m", "log", "--", str(log), env=env, check=False)


def test_install_merges_gitattributes_hook_and_driver_and_uninstall_restores_them(tmp_path):
    target, hooks, env, said = installed(tmp_path)
    text = (target / ".gitattributes").read_text()
    union = "".join(x + "\n" for x in attributes.union_lines(CHANGELOG))
    assert text.startswith(USER_ATTRS + "\n") and text.endswith(union)
    assert "your merge=" not in said
    assert (hooks / "pre-commit.handoff-chained").read_text() == USER_HOOK
    driver = git(target, "config", "merge.handoff.driver").stdout
    assert driver.startswith("python3 scripts/handoff_helpers.py merge-driver")
    assert "merge=handoff" in (target / ".git" / "info" / "attributes").read_text()
    # a second install changes nothing
    again = install_py(target, env)
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout
    assert (target / ".gitattributes").read_text() == text

    # a hand-broken log cannot be committed; the user's hook does not run for a refused commit
    bad = commit_log(target, env, "---\nid: AB-261121-01\ntitle: [broken\n---\n")
    assert bad.returncode == 1
    assert "docs/sessions/AB-261121-01.md: (frontmatter)" in bad.stdout + bad.stderr
    assert "commit refused" in bad.stderr and not (target / "user-hook-ran").exists()
    # what is checked is the staged version: fixing the work tree alone does not help
    (target / "docs" / "sessions" / "AB-261121-01.md").write_text("fine now?\n")
    assert git(target, "commit", "-q", "-m", "x", env=env, check=False).returncode == 1
    git(target, "reset", "-q", env=env)
    # a valid document passes and the user's hook runs after ours
    (target / "docs" / "sessions" / "AB-261121-01.md").unlink()
    (target / "workstreams" / "ok.md").write_text("---\ntitle: Fine\nowner: AB\nstatus: active\n---\n\n## Phases\n")
    git(target, "add", "workstreams/ok.md", env=env)
    ok = git(target, "commit", "-q", "-m", "ok", env=env, check=False)
    assert ok.returncode == 0, ok.stderr
    assert (target / "user-hook-ran").exists()
    (target / "user-hook-ran").unlink()

    # a worktree shares the hook
    wt = tmp_path / "wt"
    git(target, "worktree", "add", "-q", "-b", "side", str(wt), env=env)
    bad_wt = commit_log(wt, env, "---\nid: nope\n---\n", "AB-261121-02")
    assert bad_wt.returncode == 1 and "AB-261121-02.md" in bad_wt.stderr

    out = install_py(target, env, "--uninstall")
    assert out.returncode == 0, out.stderr
    assert (target / ".gitattributes").read_text() == USER_ATTRS
    assert (hooks / "pre-commit").read_text() == USER_HOOK and not (hooks / "pre-commit.handoff-chained").exists()
    assert git(target, "config", "--get-regexp", "merge.handoff", check=False).stdout == ""
    assert not (target / ".git" / "info" / "attributes").exists() or "handoff" not in (
        target / ".git" / "info" / "attributes"
    ).read_text()


def test_core_hooks_path_is_respected(tmp_path):
    target, hooks, env, _ = installed(tmp_path, hooks_path=".githooks")
    assert "handoff" in (hooks / "pre-commit").read_text()
    assert not (target / ".git" / "hooks" / "pre-commit").exists()
    assert commit_log(target, env, "---\ntitle: x\n---\n").returncode == 1
    subprocess.run([sys.executable, str(INSTALL), "--uninstall", str(target)], check=True, capture_output=True, env=env)
    assert (hooks / "pre-commit").read_text() == USER_HOOK


def test_ci_workflow_is_valid_yaml_and_runs_validate(tmp_path):
    workflow = yaml.load((REPO / "docs" / "ci" / "handoff-validate.yml").read_text(), Loader=yaml.CSafeLoader)
    steps = workflow["jobs"]["validate"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[-1] == "scripts/handoff validate"
    assert "scripts/handoff-requirements.txt" in runs[0]
    # run exactly those commands in an installed project (pip replaced by the test's venv)
    target, _, env, _ = installed(tmp_path)
    assert (target / "scripts" / "handoff-requirements.txt").is_file()
    out = subprocess.run(["sh", "-c", runs[-1]], cwd=target, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr


def test_validate_names_a_stale_index_and_changelog_duplicates_and_missing_entries(tmp_path):
    team = Team(tmp_path)
    a = team.clone("c1", "AB")
    log_id = a.handoff_round()
    a.handoff_round()
    assert a.helper("validate").returncode == 0
    index = a.path / "docs" / "sessions" / "INDEX.md"
    index.write_text(index.read_text().replace("c1 round 1", "edited by hand"))
    out = a.helper("validate")
    assert out.returncode == 1
    assert "docs/sessions/INDEX.md: (index): out of date (rows differ for %s)" % log_id in out.stdout
    a.helper_ok("regen-indexes")

    path = a.path / CHANGELOG
    text = path.read_text()
    entry = [x for x in text.splitlines() if "step 1" in x][0]
    sha = entry.split("(`")[1][:12]
    path.write_text(text + entry + "\n")
    out = a.helper("validate")
    assert CHANGELOG + ": `%s`: listed 2 times" % sha in out.stdout and out.returncode == 1
    path.write_text(text.replace(entry + "\n", ""))  # a merge resolved by hand that lost a line
    a.git("commit", "-q", "-am", "lose an entry")
    out = a.helper("validate")
    assert out.returncode == 1 and CHANGELOG + ": `%s`: missing (added by commit" % sha in out.stdout


def test_an_older_version_of_our_hook_is_upgraded_in_place_keeping_the_chained_one(tmp_path):
    from lib.store import precommit

    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text(USER_HOOK)
    first = precommit.install(str(repo))
    assert first["chained"] and (hooks / precommit.CHAINED).read_text() == USER_HOOK
    old = precommit.SCRIPT.replace("exit 0\n", "true\nexit 0\n")  # what an older bundle installed
    (hooks / "pre-commit").write_text(old)
    again = precommit.install(str(repo))
    assert (hooks / "pre-commit").read_text() == precommit.SCRIPT and again["chained"]
    assert (hooks / precommit.CHAINED).read_text() == USER_HOOK  # not chained twice, not lost
    assert precommit.uninstall(again) is None
    assert (hooks / "pre-commit").read_text() == USER_HOOK and not (hooks / precommit.CHAINED).exists()


def offered(stdout: str) -> dict:
    """{workflow file name: the command the install offers for it}."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("handoff install: optional, GitHub Actions"):
            command = line.split("): ", 1)[1]
            out[command.rsplit("/", 1)[1]] = command
    return out


def test_install_offers_each_ci_workflow_until_the_project_has_it(tmp_path):
    target, _, env, stdout = installed(tmp_path)
    offers = offered(stdout)
    assert set(offers) == {"handoff-validate.yml", "handoff-pr-summary.yml"}
    out = subprocess.run(["sh", "-c", offers["handoff-validate.yml"]], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    added = target / ".github" / "workflows" / "handoff-validate.yml"
    assert added.read_bytes() == (REPO / "docs" / "ci" / "handoff-validate.yml").read_bytes()
    again = install_py(target, env)
    assert again.returncode == 0, again.stderr
    assert set(offered(again.stdout)) == {"handoff-pr-summary.yml"}  # the one taken is not offered again
    assert not (target / ".github" / "workflows" / "handoff-pr-summary.yml").exists()  # offered, never installed


def test_ci_pr_summary_workflow_is_valid_yaml_and_runs_pr_summary(tmp_path):
    from lib.report.pr_summary import MARKER

    workflow = yaml.load((REPO / "docs" / "ci" / "handoff-pr-summary.yml").read_text(), Loader=yaml.CSafeLoader)
    assert list(workflow[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = workflow["jobs"]["pr-summary"]["steps"]
    checkout = steps[0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    by_name = {s.get("name"): s for s in steps}
    assert "scripts/handoff-requirements.txt" in by_name["Install the helpers' packages"]["run"]
    assert "$GITHUB_STEP_SUMMARY" in by_name["Job summary"]["run"]
    comment = by_name["Comment (one, updated in place)"]["run"]
    assert MARKER in comment and "PATCH" in comment  # found by pr-summary's first line, updated in place
    # the Summarize step exactly, in an installed project with a commit on a branch
    summarize = by_name["Summarize"]
    target, _, env, _ = installed(tmp_path)
    base = git(target, "rev-parse", "HEAD", env=env).stdout.strip()
    git(target, "switch", "-q", "-c", "feature", env=env)
    (target / "work.txt").write_text("work\n")
    git(target, "add", "work.txt", env=env)
    git(target, "commit", "-q", "-m", "work without a session", env=env)
    run_env = dict(env, BASE_SHA=base, GITHUB_STEP_SUMMARY=str(tmp_path / "step-summary.md"))
    out = subprocess.run(["sh", "-c", summarize["run"]], cwd=target, capture_output=True, text=True, env=run_env)
    assert out.returncode == 0, out.stdout + out.stderr
    posted = (target / "handoff-pr-summary.md").read_text()
    assert posted.startswith(MARKER + "\n") and "work without a session" in posted
    out = subprocess.run(["sh", "-c", by_name["Job summary"]["run"]], cwd=target, capture_output=True, env=run_env)
    assert out.returncode == 0 and (tmp_path / "step-summary.md").read_text() == posted
