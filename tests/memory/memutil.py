"""A team of clones with logs written through the real write-session (tests/memory/)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "store"))
from storeutil import DRAFT, Actor, Team  # noqa: E402,F401


def write_log(actor, title: str, *, decisions=(), questions=(), learnings=(), supersedes=(), resolves=(),
              workstreams=("store",), commit: bool = True, expect_ok: bool = True):
    """One session log by ``actor`` through write-session (its items labelled), committed."""
    actor.rounds += 1
    work = actor.path / "work" / ("%s-%d.txt" % (actor.name, actor.rounds))
    work.parent.mkdir(exist_ok=True)
    work.write_text("step %d\n" % actor.rounds)
    actor.git("add", "--", str(work))
    actor.git("commit", "-q", "-m", "work %d" % actor.rounds)
    body = {"What I Did": ["A step"]}
    for name, items in (("Decisions Made", decisions), ("Open Questions", questions), ("Learnings", learnings)):
        if items:
            body[name] = list(items)
    draft = dict(DRAFT, title=title, workstreams=list(workstreams), body=body)
    if supersedes:
        draft["supersedes"] = list(supersedes)
    if resolves:
        draft["resolves"] = list(resolves)
    out = actor.helper("write-session", stdin=json.dumps(draft),
                       env={"CLAUDE_CODE_SESSION_ID": "sess-%s-%d" % (actor.name, actor.rounds)})
    if not expect_ok:
        return out
    assert out.returncode == 0, out.stdout + out.stderr
    log = json.loads(out.stdout)
    if commit:
        actor.git("add", "--", log["path"])
        actor.git("commit", "-q", "-m", "handoff: %s" % log["id"], "--", log["path"])
    return log["id"]


def memory(actor, *args: str) -> dict:
    out = actor.helper_ok("memory", "--json", *args)
    return json.loads(out.stdout)
