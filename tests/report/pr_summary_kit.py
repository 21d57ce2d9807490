"""Real repositories for the pr-summary tests: a bare remote, a clone, sessions made the way
/handoff makes them (the SessionStart hook records the start, work commits, write-session,
changelog, then the /handoff commit of exactly the log and the commit log)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from handoff_fixtures import Repo, clean_env, make_repo, request


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    out = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, env=env or clean_env())
    assert out.returncode == 0, f"git {args}: {out.stderr}"
    return out.stdout


def origin(tmp_path: Path) -> tuple[Repo, Path]:
    """A clone (``proj``, on ``main``) of a bare remote holding its first commit."""
    repo = make_repo(tmp_path)
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "-u", "origin", "main")
    return repo, bare


def session(repo: Repo, sid: str, works: list, title: str = "A session", env: dict | None = None, **draft) -> dict:
    """One session: SessionStart, one commit per (message, files) of ``works`` (``env`` for
    them, e.g. a committer clock days behind), write-session, changelog and the /handoff
    commit. Returns {"id", "shas" (work commits, oldest first), "handoff" (its commit)}."""
    repo.hook("SessionStart", sid)
    shas = []
    for message, files in works:
        for rel, text in files.items():
            target = repo.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        repo.git("add", "-A")
        repo.git("commit", "-q", "-m", message, env=env)
        shas.append(repo.git("rev-parse", "HEAD").strip())
    written = repo.write_ok(request(title=title, **draft), sid)
    changelog = json.loads(repo.helper_ok("changelog", env={"CLAUDE_CODE_SESSION_ID": sid}).stdout)
    paths = [written["path"], changelog["path"]]
    repo.git("add", "--", *paths)
    repo.git("commit", "-q", "-m", "handoff: %s %s" % (written["id"], title), "--", *paths, env=env)
    return {"id": written["id"], "shas": shas, "handoff": repo.git("rev-parse", "HEAD").strip()}


def pr_summary(repo_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    from handoff_fixtures import HELPERS, PY

    return subprocess.run([PY, str(HELPERS), "pr-summary", *args, "--root", str(repo_path)], capture_output=True,
                          env=env or clean_env(HOME=str(repo_path.parent / "home-ci")), cwd=repo_path, timeout=120)


def summary_json(repo_path: Path, *args: str) -> dict:
    out = pr_summary(repo_path, *args, "--json")
    assert out.returncode == 0, out.stderr.decode()
    assert b"Traceback" not in out.stderr
    return json.loads(out.stdout)


def fresh_clone(tmp_path: Path, bare: Path, name: str, *args: str) -> Path:
    path = tmp_path / name
    if path.exists():
        shutil.rmtree(path)
    git(tmp_path, "clone", "-q", *args, "file://" + str(bare), str(path))
    return path
