"""Issue 20 item 2: handoff never rewrites what the user owns.

A project's own changelog (Keep a Changelog, release notes, an empty placeholder, CRLF without a
final newline: `tests/fixtures/changelogs/`) stays byte for byte through ``changelog``, install,
``/handoff`` rounds on two clones synced by merge and ``pull --rebase``, and uninstall; handoff's
commit log is a file of its own (core/changelog_path.py) that still merges without conflicts;
merge attributes (committed and per clone) name no file of the user's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from storeutil import CHANGELOG, REPO, Team, base_env

from handoff_fixtures import make_repo
from lib.core import changelog_path
from lib.logs import changelog

FIXTURES = REPO / "tests" / "fixtures" / "changelogs"
USERS = sorted(p.name for p in FIXTURES.iterdir())
INSTALL = REPO / "scripts" / "install.py"
SINCE = "2000-01-01T00:00:00Z"


def theirs(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def merge_attr(path: Path, rel: str) -> str:
    out = subprocess.run(["git", "-C", str(path), "check-attr", "merge", "--", rel], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().rsplit(": ", 1)[1]


def test_the_fixtures_are_not_ours_and_our_formats_are():
    assert {"keep-a-changelog.md", "release-notes.md", "empty.md", "crlf-no-final-newline.md"} <= set(USERS)
    for name in USERS:
        assert not changelog_path.is_ours(theirs(name).decode()), name
    v2 = changelog.update(None, []).text or changelog.render([], [])
    assert v2.splitlines()[2] == changelog.MARKER and changelog.MARKER.startswith(changelog_path.MARKER_PREFIX)
    assert changelog_path.is_ours(v2)
    assert changelog_path.is_ours("# Changelog\n\nIntro.\n\n## 2026-11-20\n\n- feat: x (`abcdef012345`)\n")  # v1


@pytest.mark.parametrize("name", USERS)
def test_changelog_leaves_the_users_file_byte_for_byte_and_writes_its_own(tmp_path, name):
    repo = make_repo(tmp_path)
    (repo.path / "CHANGELOG.md").write_bytes(theirs(name))
    first = repo.commit("feat: one")
    out = json.loads(repo.helper_ok("changelog", "--since", SINCE).stdout)
    second = repo.commit("fix: two")
    again = json.loads(repo.helper_ok("changelog", "--since", SINCE).stdout)
    assert (repo.path / "CHANGELOG.md").read_bytes() == theirs(name)
    assert out["path"] == again["path"] == CHANGELOG
    ours = (repo.path / CHANGELOG).read_text()
    assert changelog.canonical(ours) == ours
    assert {first[:12], second[:12]} <= {e.sha for e in changelog.parse(ours).entries}
    out = repo.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr  # neither file is a log, ours is canonical


def test_a_configured_path_is_used_and_a_file_there_that_is_not_ours_is_refused(tmp_path):
    repo = make_repo(tmp_path)
    config = repo.path / ".claude" / "handoff.json"
    config.parent.mkdir(exist_ok=True)
    config.write_text(json.dumps({"changelog": "notes/handoff-log.md"}))
    repo.commit("feat: one")
    out = json.loads(repo.helper_ok("changelog", "--since", SINCE).stdout)
    assert out["path"] == "notes/handoff-log.md" and (repo.path / "notes" / "handoff-log.md").is_file()
    assert not (repo.path / "CHANGELOG.md").exists() and not (repo.path / CHANGELOG).exists()

    config.write_text(json.dumps({"changelog": "CHANGELOG.md"}))  # pointed at the user's own file
    (repo.path / "CHANGELOG.md").write_bytes(theirs("keep-a-changelog.md"))
    out = repo.helper("changelog", "--since", SINCE)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("handoff: CHANGELOG.md: not handoff's commit log") and out.stderr.count("\n") == 1
    assert (repo.path / "CHANGELOG.md").read_bytes() == theirs("keep-a-changelog.md")
    out = repo.helper("validate")
    assert out.returncode == 1 and "CHANGELOG.md: (file): not handoff's commit log" in out.stdout

    for bad in ("../outside.md", "/abs/log.md", ".git/log.md", "has space.md", "log.txt", 7):
        config.write_text(json.dumps({"changelog": bad}))
        out = repo.helper("changelog", "--since", SINCE)
        assert out.returncode == 1 and out.stderr.startswith("handoff: .claude/handoff.json: changelog: "), bad
        assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    assert (repo.path / "CHANGELOG.md").read_bytes() == theirs("keep-a-changelog.md")


def test_a_changelog_that_already_is_ours_keeps_its_place(tmp_path):
    repo = make_repo(tmp_path)
    first = repo.commit("feat: one")
    ours = changelog.update(None, [type("C", (), {"sha": first, "at": SINCE, "subject": "feat: one"})()]).text
    (repo.path / "CHANGELOG.md").write_text(ours)
    repo.commit("add our log")
    second = repo.commit("fix: two")
    out = json.loads(repo.helper_ok("changelog", "--since", SINCE).stdout)
    assert out["path"] == "CHANGELOG.md" and out["added"][-1] == second[:12]
    assert not (repo.path / CHANGELOG).exists()


# -- install, /handoff rounds on two clones, uninstall -------------------------------------------


def git(path: Path, *args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, env=env)
    assert not check or out.returncode == 0, out.stderr
    return out


def install(target: Path, env: dict, *flags: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(INSTALL), *(flags or ("--no-venv",)), str(target)]
    out = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def user_project(tmp_path: Path, name: str) -> tuple:
    home = tmp_path / "home"
    home.mkdir()
    env = dict(base_env(home), HANDOFF_PYTHON=sys.executable)
    target = tmp_path / "proj"
    target.mkdir()
    git(target, "init", "-q", "-b", "main", env=env)
    for k, v in (("user.name", "Ann Bee"), ("user.email", "ab@example.com"), ("commit.gpgsign", "false")):
        git(target, "config", k, v, env=env)
    (target / "CHANGELOG.md").write_bytes(theirs(name))
    (target / ".gitattributes").write_text("*.png binary\n")
    git(target, "add", "-A", env=env)
    git(target, "commit", "-q", "-m", "the user's project", env=env)
    return target, env


@pytest.mark.parametrize("name", ["keep-a-changelog.md", "release-notes.md", "empty.md"])
def test_install_names_no_user_file_and_a_handoff_commit_passes_the_hook(tmp_path, name):
    target, env = user_project(tmp_path, name)
    said = install(target, env).stdout
    assert "CHANGELOG.md is yours (no handoff marker): left as it is; handoff's commit log is %s" % CHANGELOG in said
    assert (target / "CHANGELOG.md").read_bytes() == theirs(name)
    attrs = (target / ".gitattributes").read_text()
    assert "/CHANGELOG.md" not in attrs.replace("/" + CHANGELOG, "")
    assert merge_attr(target, "CHANGELOG.md") == "unspecified"  # neither .gitattributes nor info/attributes
    assert merge_attr(target, CHANGELOG) == "handoff"  # info/attributes (this clone's driver) wins over union
    git(target, "add", "-A", env=env)
    git(target, "commit", "-q", "-m", "install handoff", env=env)
    # one /handoff: the commit log of our own is staged with the log, and the pre-commit hook passes it
    work = git(target, "commit", "-q", "--allow-empty", "-m", "feat: work", env=env)
    assert work.returncode == 0
    draft = {"title": "t", "summary": "s.", "resume_prompt": "r.", "confidence": "M", "workstreams": [],
             "since": SINCE, "body": {"What I Did": ["x"]}}
    helper = [sys.executable, str(target / "scripts" / "handoff_helpers.py")]
    run = dict(capture_output=True, text=True, env=dict(env, HANDOFF_OPERATOR="AB"), cwd=target)
    log = json.loads(subprocess.run([*helper, "write-session"], input=json.dumps(draft), check=True, **run).stdout)
    cl = json.loads(subprocess.run([*helper, "changelog", "--since", SINCE], check=True, **run).stdout)
    assert cl["path"] == CHANGELOG and "feat: work" in (target / CHANGELOG).read_text()
    git(target, "add", "--", log["path"], cl["path"], env=env)
    out = git(target, "commit", "-q", "-m", "handoff: %s t" % log["id"], "--", log["path"], cl["path"], env=env,
              check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (target / "CHANGELOG.md").read_bytes() == theirs(name)
    assert "is up to date" in install(target, env).stdout  # a re-run changes and says nothing more
    install(target, env, "--uninstall")
    assert (target / ".gitattributes").read_text() == "*.png binary\n"
    assert (target / "CHANGELOG.md").read_bytes() == theirs(name)


def test_an_older_install_that_named_the_users_changelog_is_corrected_and_still_uninstalls_exactly(tmp_path):
    """The install before this fix put ``/CHANGELOG.md merge=union`` (and ``merge=handoff``) on
    the user's file; installing this version takes exactly those lines out again."""
    target, env = user_project(tmp_path, "keep-a-changelog.md")
    old_lines = "# handoff: what /handoff writes merges without conflicts (scripts/lib/store/attributes.py)\n"
    old_lines += "".join("%s merge=union\n" % p for p in ("/CHANGELOG.md", "/docs/sessions/INDEX.md",
                                                          "/workstreams/INDEX.md"))
    install(target, env)
    manifest_path = target / ".claude" / "handoff-install.json"
    manifest = json.loads(manifest_path.read_text())
    # make the record and the files what the older install left (its lines named /CHANGELOG.md)
    (target / ".gitattributes").write_text("*.png binary\n" + old_lines)
    manifest["store"]["gitattributes"]["lines"] = old_lines.splitlines()
    info = target / ".git" / "info" / "attributes"
    info.write_text(info.read_text().replace("/" + CHANGELOG + " merge=handoff", "/CHANGELOG.md merge=handoff"))
    driver = manifest["store"]["merge_driver"]["attributes"]
    driver["lines"] = [line.replace("/" + CHANGELOG, "/CHANGELOG.md") for line in driver["lines"]]
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    assert merge_attr(target, "CHANGELOG.md") == "handoff"  # the state this fixes

    said = install(target, env).stdout
    assert "taken out, no longer ours: /CHANGELOG.md merge=union" in said
    assert merge_attr(target, "CHANGELOG.md") == "unspecified"
    assert merge_attr(target, CHANGELOG) == "handoff"
    assert "/%s merge=union" % CHANGELOG in (target / ".gitattributes").read_text()
    install(target, env, "--uninstall")
    assert (target / ".gitattributes").read_text() == "*.png binary\n"
    assert not info.exists() or "handoff" not in info.read_text()
    assert (target / "CHANGELOG.md").read_bytes() == theirs("keep-a-changelog.md")


def test_two_clones_handoff_rounds_never_conflict_and_never_touch_the_users_changelog(tmp_path):
    team = Team(tmp_path)
    owner = team.clone("owner", "ZZ")
    (owner.path / "CHANGELOG.md").write_bytes(theirs("keep-a-changelog.md"))
    owner.git("add", "CHANGELOG.md")
    owner.git("commit", "-q", "-m", "docs: the project's changelog")
    owner.git("push", "-q", "origin", "main")
    a, b = team.clone("c1", "AB"), team.clone("c2", "CD")
    (b.path / ".git" / "info").mkdir(exist_ok=True)
    (b.path / ".git" / "info" / "attributes").write_text("/CHANGELOG.md merge=handoff\n")  # an older /handoff's
    team.configure_driver(b)
    assert merge_attr(b.path, "CHANGELOG.md") == "unspecified"
    for _ in range(2):
        a.handoff_round()
        a.sync("merge")
        b.handoff_round()
        b.sync("rebase")
    a.pull("merge")
    assert team.conflicts == []
    for actor in (a, b):
        assert (actor.path / "CHANGELOG.md").read_bytes() == theirs("keep-a-changelog.md")
        team.assert_changelog_canonical(actor)
    subjects = [e.subject for e in changelog.parse((a.path / CHANGELOG).read_text()).entries]
    assert {"feat(%s): step %d" % (c, n) for c in ("c1", "c2") for n in (1, 2)} <= set(subjects)
    out = a.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr
