"""Same files (issue 18 item 4): a teammate's recent log whose changed files meet the files at hand.

Real git throughout: a bare remote, a clone per operator (HANDOFF_OPERATOR), the teammate's
session written by the real ``write-session`` and pushed on a feature branch, and the answer
read by ``/resume`` as users run it (``scripts/handoff resume --json``) or by
``memory.collisions.find``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from storeutil import DRAFT, REPO, Team, iso  # noqa: E402

from lib.core.project import Project  # noqa: E402
from lib.memory import collisions  # noqa: E402

LAUNCHER = REPO / "scripts" / "handoff"
DAY = 86400


def write(actor, files: dict) -> None:
    for rel, text in files.items():
        path = actor.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def session(actor, files: dict, *, uncommitted: dict | None = None, at: float | None = None,
            branch: str = "feature") -> dict:
    """A teammate's session: commit ``files``, leave ``uncommitted`` as it is, write the log
    (``at``: the clock write-session sees), commit only the log and push ``branch``."""
    at = time.time() if at is None else at
    write(actor, files)
    actor.git("add", "--", *files)
    actor.git("commit", "-q", "-m", "work of %s" % actor.operator)
    write(actor, uncommitted or {})
    draft = dict(DRAFT, title="%s's session" % actor.operator, since=iso(min(at, time.time()) - 120))
    env = {"CLAUDE_CODE_SESSION_ID": "sess-%s-%d" % (actor.name, time.time_ns()), "HANDOFF_NOW": iso(at)}
    log = json.loads(actor.helper_ok("write-session", stdin=json.dumps(draft), env=env).stdout)
    actor.git("add", "--", log["path"])
    actor.git("commit", "-q", "-m", "handoff: %s" % log["id"], "--", log["path"])
    actor.git("push", "-q", "origin", "HEAD:refs/heads/" + branch)
    return log


def meta_of(actor, log: dict) -> dict:
    from lib.logs import frontmatter

    return frontmatter.load(str(actor.path / log["path"])).meta


@pytest.fixture
def team(tmp_path: Path):
    t = Team(tmp_path)
    seed = t.clone("seeder", "ZZ")
    write(seed, {"src/a.py": "a = 1\n", "src/b.py": "b = 1\n", "src/c.py": "c = 1\n"})
    seed.git("add", "-A")
    seed.git("commit", "-q", "-m", "src")
    seed.git("push", "-q", "origin", "main")
    t.me = t.clone("me", "RT")
    t.tk = t.clone("tk", "TK")
    t.tk.git("switch", "-q", "-c", "feature")
    return t


def find(actor, operator: str | None = None, base: str | None = "refs/remotes/origin/HEAD", days: int = 7,
         warnings: list | None = None) -> list:
    project = Project.at(str(actor.path))
    return collisions.find(project, base, operator or actor.operator, time.time(), days=days, warnings=warnings)


def resume_json(actor) -> dict:
    env = dict(actor.env, HANDOFF_PYTHON=sys.executable)
    out = subprocess.run(["sh", str(LAUNCHER), "resume", "--json"], cwd=actor.path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    return json.loads(out.stdout)


# ---- the log records the files its session changed


def test_the_log_records_committed_and_uncommitted_files_but_never_handoffs_own(team) -> None:
    tk = team.tk
    log = session(tk, {"src/a.py": "a = 2\n"},
                  uncommitted={"src/new.py": "n = 1\n", "src/b.py": "b = 2\n", "docs/sessions/CHANGELOG.md": "x\n",
                               "workstreams/store.md": "---\ntitle: t\n---\n", "docs/reflections/2026-W01.md": "r\n"})
    meta = meta_of(tk, log)
    assert meta["changed_files"] == ["src/a.py", "src/b.py", "src/new.py"]
    assert meta["changed_files_omitted"] == 0
    assert tk.helper("validate", log["path"]).returncode == 0


def test_a_rename_records_both_names_and_a_huge_session_is_capped(team) -> None:
    tk = team.tk
    tk.git("mv", "src/c.py", "src/renamed.py")
    many = {"zz/f%04d.py" % i: "x = %d\n" % i for i in range(350)}
    log = session(tk, many)
    meta = meta_of(tk, log)
    assert {"src/c.py", "src/renamed.py"} <= set(meta["changed_files"])  # committed with the rename
    assert len(meta["changed_files"]) == 300 and meta["changed_files_omitted"] == 352 - 300
    assert meta["changed_files"] == sorted(meta["changed_files"])


# ---- collisions


def test_a_teammates_pushed_log_on_the_same_file_is_named(team) -> None:
    log = session(team.tk, {"src/a.py": "a = 2\n"})
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"src/a.py": "a = 3\n", "src/b.py": "b = 3\n"})  # uncommitted
    assert find(me) == [{"operator": "TK", "log": log["id"], "branch": "origin/feature", "files": ["src/a.py"]}]


def test_this_branchs_commits_count_and_no_overlap_is_nothing(team) -> None:
    log = session(team.tk, {"src/a.py": "a = 2\n"})
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"src/b.py": "b = 3\n"})
    assert find(me) == []
    me.git("switch", "-q", "-c", "mine")
    write(me, {"src/a.py": "a = 3\n"})
    me.git("commit", "-qam", "mine")  # committed on this branch, not in origin/main
    assert [c["log"] for c in find(me)] == [log["id"]]
    assert find(me, base=None) == []  # no base: uncommitted changes only (none that overlap)


def test_a_log_older_than_seven_days_and_ones_own_log_do_not_count(team) -> None:
    session(team.tk, {"src/a.py": "a = 2\n"}, at=time.time() - 8 * DAY)
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"src/a.py": "a = 3\n"})
    assert find(me) == []
    assert len(find(me, days=9)) == 1
    assert find(me, operator="TK", days=9) == []  # TK's own log is not a collision for TK


def test_handoffs_own_files_never_collide(team) -> None:
    """A log that (hand-edited, or from an older writer) lists the changelog, docs/sessions/ or
    workstreams/ does not collide with a clone changing those: every /handoff writes them."""
    tk = team.tk
    log = session(tk, {"src/z.py": "z\n"})
    from lib.logs import frontmatter

    path = tk.path / log["path"]
    doc = frontmatter.load(str(path))
    doc.meta["changed_files"] = ["docs/sessions/CHANGELOG.md", "docs/sessions/INDEX.md", "src/z.py",
                                 "workstreams/store.md"]
    path.write_text(frontmatter.dumps(doc.meta, doc.body))
    tk.git("commit", "-qam", "hand edit")
    tk.git("push", "-q", "origin", "HEAD:feature")
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"docs/sessions/CHANGELOG.md": "mine\n", "docs/sessions/INDEX.md": "i\n", "workstreams/store.md": "w\n"})
    assert find(me) == []
    write(me, {"src/z.py": "mine\n"})
    assert [c["files"] for c in find(me)] == [["src/z.py"]]


def test_a_garbled_log_on_a_branch_is_skipped(team) -> None:
    tk = team.tk
    good = session(tk, {"src/a.py": "a = 2\n"})
    day = good["id"].split("-")[1]
    bad = {
        "TK-%s-90.md" % day: "---\nchanged_files: [src/a.py\n---\n",  # YAML that does not parse
        "TK-%s-91.md" % day: "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                             "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                             "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                             "changed_files: [src/a.py]\n---\n",  # an alias bomb
        "TK-%s-92.md" % day: "no frontmatter at all, src/a.py\n",
        "TK-%s-93.md" % day: '---\nchanged_files: "src/a.py"\n---\n',  # not a list
        "TK-%s-94.md" % day: "---\nchanged_files: [1, 2]\n---\n",
    }
    write(tk, {"docs/sessions/" + name: text for name, text in bad.items()})
    (tk.path / "docs/sessions" / ("TK-%s-95.md" % day)).write_bytes(b"---\nchanged_files: [src/a.py]\n\xff\xfe---\n")
    huge = b"---\nchanged_files: [src/a.py]\n---\n" + b"x" * (16 << 20)  # over what any reader opens
    (tk.path / "docs/sessions" / ("TK-%s-96.md" % day)).write_bytes(huge)
    tk.git("add", "-A")
    tk.git("commit", "-qm", "garbage", "--no-verify")
    tk.git("push", "-q", "origin", "HEAD:feature")
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"src/a.py": "a = 3\n"})
    assert [c["log"] for c in find(me)] == [good["id"]]


def test_a_log_already_merged_here_is_history_not_a_collision(team) -> None:
    session(team.tk, {"src/a.py": "a = 2\n"})
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"src/a.py": "a = 3\n"})
    assert len(find(me)) == 1
    me.git("stash", "-q")
    me.git("merge", "-q", "--no-edit", "origin/feature")
    me.git("stash", "pop", "-q", check=False)
    write(me, {"src/a.py": "a = 3\n"})
    assert find(me) == []


def test_no_remote_at_all_reads_local_branches(tmp_path: Path) -> None:
    team = Team(tmp_path)
    me = team.clone("solo", "RT")
    me.git("remote", "remove", "origin")
    me.git("switch", "-q", "-c", "pairing")
    pair = type(me)(team, "pair", me.path, "TK")  # another operator in the same clone (a pairing machine)
    write(pair, {"src/a.py": "a = 2\n"})
    pair.git("add", "-A")
    pair.git("commit", "-qm", "pair work")
    out = pair.helper_ok("write-session", stdin=json.dumps(dict(DRAFT, title="pairing", since=iso(time.time() - 60))),
                         env={"CLAUDE_CODE_SESSION_ID": "pair-1"})
    log = json.loads(out.stdout)
    pair.git("add", "-A")
    pair.git("commit", "-qm", "handoff")
    me.git("switch", "-q", "main")
    write(me, {"src/a.py": "a = 3\n"})
    assert find(me, base=None) == [{"operator": "TK", "log": log["id"], "branch": "pairing", "files": ["src/a.py"]}]
    assert resume_json(me)["file_collisions"][0]["log"] == log["id"]


def test_a_shallow_clone(team) -> None:
    log = session(team.tk, {"src/a.py": "a = 2\n"})
    path = team.tmp / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch", "file://%s" % team.remote, str(path)],
                   check=True, env=team.env, capture_output=True)
    me = type(team.me)(team, "shallow", path, "RT")
    me.identity()
    write(me, {"src/a.py": "a = 3\n"})
    warnings: list = []
    assert [c["log"] for c in find(me, warnings=warnings)] == [log["id"]] and warnings == []
    # the cut hides the merge base with origin/feature (and a ref that does not exist has none):
    # the uncommitted changes still count, and one warning says the rest was not compared
    for base in ("refs/remotes/origin/feature", "refs/remotes/origin/gone"):
        warnings = []
        assert [c["log"] for c in find(me, base=base, warnings=warnings)] == [log["id"]]
        assert len(warnings) == 1 and "uncommitted changes only" in warnings[0], warnings
    data = resume_json(me)
    assert [c["log"] for c in data["file_collisions"]] == [log["id"]]


def test_resume_names_the_collision(team) -> None:
    log = session(team.tk, {"src/a.py": "a = 2\n"})
    me = team.me
    me.git("fetch", "-q", "origin")
    write(me, {"src/a.py": "a = 3\n"})
    data = resume_json(me)
    assert data["file_collisions"] == [{"operator": "TK", "log": log["id"], "branch": "origin/feature",
                                        "files": ["src/a.py"]}]
    env = dict(me.env, HANDOFF_PYTHON=sys.executable)
    for mode in ([], ["--compact"]):
        out = subprocess.run(["sh", str(LAUNCHER), "resume", *mode], cwd=me.path, env=env,
                             capture_output=True, text=True, timeout=120)
        assert "TK (%s, on origin/feature): src/a.py" % log["id"] in out.stdout, out.stdout
        assert "Same files" in out.stdout
    assert "TK's session" not in json.dumps(data)  # facts only: none of the log's text
    out = subprocess.run(["sh", str(LAUNCHER), "resume", "--operator", "TK", "--json"], cwd=me.path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout)["file_collisions"] == data["file_collisions"]  # this clone's files, RT's view
    write(me, {"src/a.py": "a = 1\n"})  # back as committed: nothing at hand
    assert resume_json(me)["file_collisions"] == []


@pytest.mark.parametrize("operator", ["RT"])
def test_outside_git_is_nothing(tmp_path: Path, operator: str) -> None:
    (tmp_path / "docs" / "sessions").mkdir(parents=True)
    project = Project.at(str(tmp_path))
    assert collisions.find(project, None, operator, time.time()) == []
    assert os.listdir(tmp_path / "docs" / "sessions") == []
