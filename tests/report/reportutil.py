"""Helpers for the report tests: a small team's logs, running ``report``, reading its pages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from logtree import run_helper, team, write_log

ROW_RE = re.compile(r'<tr><td><a href="(?:\.\./)*sessions/([^"]+)\.html">')
COUNT_RE = re.compile(r'<span id="session-count">([\d,]+)</span>')


def commit_all(root: Path, message: str = "logs") -> None:
    env = {"GIT_AUTHOR_NAME": "R T", "GIT_AUTHOR_EMAIL": "rt@example.com", "GIT_COMMITTER_NAME": "R T",
           "GIT_COMMITTER_EMAIL": "rt@example.com", "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z",
           "GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", message], check=True, env=env)


def small_team(root: Path) -> list:
    """The team of tests/logtree.py plus logs in an earlier week and a usage-priced one: their ids."""
    team(root)
    write_log(root, "RT-261110-01", title="Earlier week", workstreams=["auth"], ended_at="2026-11-10T10:00:00Z",
              body="# Earlier week\n\n## Decisions Made\n\n- Keep the cache warm.\n\n## Open Questions\n\n- Why 3?\n",
              usage={"input_tokens": 100, "output_tokens": 50, "cache_creation_tokens": 0, "cache_read_tokens": 0,
                     "requests": 2, "cost_usd": 1.25})
    write_log(root, "AB-261118-01", title="Week work", workstreams=["auth", "billing"],
              ended_at="2026-11-18T15:00:00Z", usage={"input_tokens": 10, "cost_usd": 0.5},
              body="# Week work\n\n## Decisions Made\n\n- Use tokens of 32 bytes.\n\n## Open Questions\n\n"
                   "- Rotate keys weekly?\n")
    commit_all(root)
    return ["RT-261120-01", "AB-261121-01", "CK-261119-02", "CK-261121-01", "RT-261110-01", "AB-261118-01"]


def report(root: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    proc = run_helper(root, "report", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def site_of(proc: subprocess.CompletedProcess) -> Path:
    """The folder of the report a run printed (its last line: the index.html to open)."""
    index = Path(proc.stdout.strip().splitlines()[-1])
    assert index.name == "index.html" and index.is_file(), proc.stdout
    return index.parent


def listed(site: Path, base: str) -> list:
    """The session ids of every page of a listing (``index``, ``by/operator/RT``...), in order."""
    ids, page = [], 1
    while True:
        path = site / ("%s.html" % base if page == 1 else "%s-%d.html" % (base, page))
        if not path.is_file():
            return ids
        ids += ROW_RE.findall(path.read_text())
        page += 1


def count_on(page: Path) -> int:
    return int(COUNT_RE.search(page.read_text()).group(1).replace(",", ""))
