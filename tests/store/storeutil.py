"""A team of real clones around a bare remote, each running /handoff's steps through the real helpers.

`Team` makes the bare remote (seeded with the committed ``.gitattributes`` union lines, the two
README seeds and a workstream) and `Actor` is one clone or worktree with its own operator.
`Actor.handoff_round` does what ``/handoff`` does (write-session, changelog, regen-indexes, one
commit) after a work commit; `Actor.sync` pulls (merge or ``--rebase``) and pushes, retrying
when the push is rejected. Every git command that fails with a conflict is counted, aborted and
recorded, so a test asserts ``conflicts == []``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELPERS = REPO / "scripts" / "handoff_helpers.py"
sys.path.insert(0, str(REPO / "scripts"))

from lib.core.changelog_path import OWN as CHANGELOG  # noqa: E402  (no CHANGELOG.md: the commit log is ours)
from lib.store import attributes  # noqa: E402

DRAFT = {
    "summary": "Worked on the shared store.",
    "resume_prompt": "Continue with the next step of the store work.",
    "confidence": "M",
    "workstreams": ["store"],
    "body": {"What I Did": ["A step"], "Learnings": ["Merges must not conflict"]},
}


def base_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HANDOFF_", "GIT_"))}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C", HOME=str(home))
    env["HANDOFF_DRAFT_DIR"] = str(home / "drafts")
    return env


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class Actor:
    def __init__(self, team: Team, name: str, path: Path, operator: str, push_ref: str = "main"):
        self.team, self.name, self.path, self.operator, self.push_ref = team, name, path, operator, push_ref
        self.env = dict(team.env, HANDOFF_OPERATOR=operator)
        self.rounds = 0
        self.written: list[str] = []

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True, env=self.env)
        if check and out.returncode != 0:
            raise AssertionError("%s: git %s: %s%s" % (self.name, " ".join(args), out.stdout, out.stderr))
        return out

    def helper(self, *args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        argv = [sys.executable, str(HELPERS), args[0], "--root", str(self.path), *args[1:]]
        out = subprocess.run(argv, input=stdin, capture_output=True, text=True, env={**self.env, **(env or {})},
                             cwd=self.path, timeout=120)
        assert "Traceback" not in out.stderr, out.stderr
        return out

    def helper_ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        out = self.helper(*args, **kw)
        assert out.returncode == 0, "%s: %s: %s%s" % (self.name, args, out.stdout, out.stderr)
        return out

    def identity(self) -> None:
        self.git("config", "user.name", "Person " + self.operator)
        self.git("config", "user.email", "%s@example.com" % self.operator.lower())
        self.git("config", "commit.gpgsign", "false")

    def handoff_round(self, title: str | None = None) -> str:
        """A work commit, then /handoff's steps through the real helpers; returns the log id."""
        self.rounds += 1
        since = iso(time.time() - 1)
        work = self.path / "work" / ("%s-%d.txt" % (self.name, self.rounds))
        work.parent.mkdir(exist_ok=True)
        work.write_text("step %d by %s\n" % (self.rounds, self.operator))
        self.git("add", "--", str(work))
        self.git("commit", "-q", "-m", "feat(%s): step %d" % (self.name, self.rounds))
        draft = dict(DRAFT, title=title or "%s round %d" % (self.name, self.rounds), since=since)
        session = "sess-%s-%d" % (self.name, self.rounds)
        out = self.helper_ok("write-session", stdin=json.dumps(draft), env={"CLAUDE_CODE_SESSION_ID": session})
        log = json.loads(out.stdout)
        changed = json.loads(self.helper_ok("changelog", "--since", since).stdout)
        self.helper_ok("regen-indexes")
        paths = [log["path"], changed["path"], "docs/sessions/INDEX.md", "workstreams/INDEX.md"]
        self.git("add", "--", *paths)
        self.git("commit", "-q", "-m", "handoff: %s %s" % (log["id"], draft["title"]), "--", *paths)
        self.written.append(log["id"])
        return log["id"]

    def run_merge(self, *args: str) -> bool:
        """A git command that merges; a conflict (or any failure) is recorded and aborted."""
        before = self.git("rev-parse", "HEAD").stdout.strip()
        out = self.git(*args, check=False)
        if out.returncode == 0:
            if self.team.check_after_merge and self.team.driver.get(self.name) and not self._fast_forwarded(before):
                self.team.assert_changelog_canonical(self)
            return True
        self.team.conflicts.append((self.name, args, out.stdout + out.stderr))
        for abort in (("rebase", "--abort"), ("merge", "--abort"), ("cherry-pick", "--abort")):
            self.git(*abort, check=False)
        return False

    def _fast_forwarded(self, before: str) -> bool:
        """HEAD moved to the remote's commit without a merge here: no driver ran, so the file is
        whatever the pusher committed (a union-only clone's union is not canonical until its next
        /handoff), and "canonical after a merge" says nothing about it."""
        head = self.git("rev-parse", "HEAD").stdout.strip()
        upstream = self.git("rev-parse", "--verify", "-q", "origin/main", check=False).stdout.strip()
        ancestor = self.git("merge-base", "--is-ancestor", before, head, check=False).returncode == 0
        return head == upstream and ancestor

    def pull(self, mode: str) -> bool:
        flag = "--rebase" if mode == "rebase" else "--no-rebase"
        return self.run_merge("pull", "-q", flag, "origin", "main")

    def sync(self, mode: str) -> None:
        for _ in range(10):
            if not self.pull(mode):
                raise AssertionError("%s: pull failed: %s" % (self.name, self.team.conflicts[-1]))
            if self.git("push", "-q", "origin", "HEAD:" + self.push_ref, check=False).returncode == 0:
                return
        raise AssertionError("%s: push kept being rejected" % self.name)


class Team:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        home = tmp / "home"
        home.mkdir()
        self.env = base_env(home)
        self.remote = tmp / "remote.git"
        self.conflicts: list = []
        self.driver: dict = {}
        self.check_after_merge = True
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.remote)], check=True, env=self.env)
        seed = self.clone("seed", "ZZ")
        union = "".join(x + "\n" for x in attributes.union_lines(CHANGELOG))
        (seed.path / ".gitattributes").write_text("*.png binary\n" + union)
        (seed.path / "docs" / "sessions").mkdir(parents=True)
        (seed.path / "docs" / "sessions" / "README.md").write_text("# Session logs\n")
        (seed.path / "workstreams").mkdir()
        (seed.path / "workstreams" / "README.md").write_text("# Workstreams\n")
        (seed.path / "workstreams" / "store.md").write_text(
            "---\ntitle: Team store\nowner: AB\nstatus: active\n---\n\n## Phases\n\n- [ ] P1 merges\n"
        )
        (seed.path / ".gitignore").write_text(".claude/state/\n")
        seed.git("add", "-A")
        seed.git("commit", "-q", "-m", "seed")
        seed.git("push", "-q", "origin", "main")

    def clone(self, name: str, operator: str, *extra: str) -> Actor:
        path = self.tmp / name
        subprocess.run(["git", "clone", "-q", *extra, str(self.remote), str(path)], check=True, env=self.env,
                       capture_output=True)
        actor = Actor(self, name, path, operator)
        actor.identity()
        return actor

    def worktree(self, of: Actor, name: str, operator: str) -> Actor:
        path = self.tmp / name
        of.git("fetch", "-q", "origin")
        of.git("worktree", "add", "-q", "-b", name, str(path), "origin/main")
        actor = Actor(self, name, path, operator)
        return actor

    def configure_driver(self, actor: Actor) -> None:
        out = actor.helper_ok("merge-driver", "--configure", "--no-fail")
        assert out.stdout.startswith("merge driver: configured"), out.stdout
        # the helpers live outside this clone (as a plugin's do): the driver names them absolutely
        driver = actor.git("config", "merge.handoff.driver").stdout
        assert driver.startswith("python3 %s merge-driver " % HELPERS), driver
        again = actor.helper_ok("merge-driver", "--configure", "--no-fail")
        assert again.stdout == "merge driver: up to date\n"  # idempotent: /handoff runs it every time
        self.driver[actor.name] = True

    def assert_changelog_canonical(self, actor: Actor) -> None:
        from lib.logs import changelog

        path = actor.path / CHANGELOG
        if path.exists():
            text = path.read_text()
            assert changelog.canonical(text) == text, "%s: %s not canonical after a merge" % (actor.name, CHANGELOG)
