"""Real git repositories for the id tests: clones of a bare remote, worktrees, helper processes.

Nothing is mocked: every repository is made by the ``git`` binary and every helper runs as the
launcher runs it (``scripts/handoff_helpers.py <command> --root <dir>``), in its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELPERS = REPO / "scripts" / "handoff_helpers.py"
sys.path.insert(0, str(REPO / "scripts"))

from storeutil import DRAFT as TEAM_DRAFT  # noqa: E402
from storeutil import base_env  # noqa: E402

DRAFT = dict(TEAM_DRAFT, title="A session", workstreams=[])


def env_for(home: Path, **extra) -> dict:
    env = base_env(home)
    env["HANDOFF_FETCH_TIMEOUT"] = "5"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def git(cwd: Path, *args: str, env: dict | None = None, check: bool = True) -> str:
    out = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, env=env or env_for(cwd))
    if check and out.returncode != 0:
        raise AssertionError("git %s in %s: %s%s" % (" ".join(args), cwd, out.stdout, out.stderr))
    return out.stdout


def identity(path: Path, name: str, email: str) -> None:
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", email)
    git(path, "config", "commit.gpgsign", "false")


def commit_all(path: Path, message: str) -> str:
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD").strip()


def make_remote(tmp: Path) -> Path:
    """A bare remote seeded with one commit on main (README, docs/sessions/README.md)."""
    bare = tmp / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    identity(seed, "Seed", "seed@example.com")
    (seed / "docs" / "sessions").mkdir(parents=True)
    (seed / "docs" / "sessions" / "README.md").write_text("Session logs.\n")
    (seed / "README.md").write_text("project\n")
    (seed / ".gitignore").write_text(".claude/state/\n")
    commit_all(seed, "seed")
    git(seed, "remote", "add", "origin", str(bare))
    git(seed, "push", "-q", "origin", "main")
    return bare


def clone(bare: Path, dest: Path, name: str = "Roman Tester", email: str = "rt@example.com", depth=None) -> Path:
    args = ["git", "clone", "-q"] + (["--depth", str(depth), "--no-local"] if depth else []) + [str(bare), str(dest)]
    subprocess.run(args, check=True, capture_output=True, env=env_for(dest.parent))
    identity(dest, name, email)
    return dest


def helper(root: Path, *args: str, stdin: str | None = None, **env) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(HELPERS), args[0], "--root", str(root), *args[1:]]
    out = subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd=root, timeout=120,
                         env=env_for(root.parent, **env))
    assert "Traceback" not in out.stderr, out.stderr
    return out


def try_write_session(root: Path, session_id: str, operator: str | None = "RT", **env) -> subprocess.CompletedProcess:
    """``write-session`` of `DRAFT` (title overridable with ``title=``) as ``operator`` (None: whoami's)."""
    draft = dict(DRAFT, title=env.pop("title", DRAFT["title"]))
    if operator:
        env["HANDOFF_OPERATOR"] = operator
    return helper(root, "write-session", stdin=json.dumps(draft), CLAUDE_CODE_SESSION_ID=session_id, **env)


def write_session(root: Path, session_id: str, operator: str | None = "RT", **env) -> dict:
    out = try_write_session(root, session_id, operator, **env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def start_write_session(root: Path, session_id: str, operator: str = "RT", **env) -> subprocess.Popen:
    argv = [sys.executable, str(HELPERS), "write-session", "--root", str(root)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=root, env=env_for(root.parent, HANDOFF_OPERATOR=operator,
                                                  CLAUDE_CODE_SESSION_ID=session_id, **env))
    return proc


def log_names(root: Path) -> list:
    d = root / "docs" / "sessions"
    return sorted(p.name for p in d.glob("*-*-*.md")) if d.is_dir() else []


def one_log_pushed(tmp_path: Path, session_id: str = "s-a"):
    """A bare remote, clones ``a`` and ``b`` of one person, and a log ``a`` wrote, committed and
    pushed (``b`` has not fetched it): ``(bare, a, b, that log's write-session result)``."""
    bare = make_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    first = write_session(a, session_id)
    commit_all(a, "handoff: a")
    git(a, "push", "-q", "origin", "main")
    return bare, a, b, first
