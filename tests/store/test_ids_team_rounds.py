"""Issue 9 items 2 and 3 inside the team's rounds (tests/store/test_team_store.py's `Team`): one
operator works from a clone, from a second worktree of it, and from a second clone, all on the
same day, with rounds synced through the bare remote by merge and ``pull --rebase``.

Invariants: ids distinct; the worktree never collides with its clone (one lock in the common dir,
ids counted across worktrees and refs); the second clone, offline for a while, takes an id the
first clone pushed, and back online either renumbers before a merge (`validate` names the
collision against origin/main) or, pulling with ``--rebase``, renumbers in the rebase stopped on
the add/add conflict of that log (the only conflict allowed: the one the collision is); no other
conflict; every log written is in a fresh clone of the remote and `validate` passes there.
"""

from __future__ import annotations

import json
import random
import subprocess

import pytest
from storeutil import Team


def _renumber(actor, path: str) -> str:
    new = json.loads(actor.helper_ok("renumber", path, "--json").stdout)["id"]
    old = path.rsplit("/", 1)[1][:-3]
    actor.written[actor.written.index(old)] = new
    return old


def _colliding(actor, kind: str) -> list:
    out = actor.helper("validate")
    tag = ": id: collision (%s)" % kind
    return sorted({line.split(tag, 1)[0] for line in out.stdout.splitlines() if tag in line})


def sync_after_collisions(actor, mode: str) -> list:
    """Bring the remote in and push, renumbering the logs whose ids another clone pushed first.

    merge: fetch, `renumber` each log `validate` names (committed as its own commit), pull, push.
    rebase: a replayed commit that adds a taken id stops on an add/add conflict (the rename
    commit comes later in the replay), so `renumber` runs in the stopped rebase, which then
    continues. Returns the renumbered ids."""
    fixed = []
    if mode == "merge":
        actor.git("fetch", "-q", "origin")
        fixed += [_renumber(actor, path) for path in _colliding(actor, "remote")]
        actor.sync("merge")
        return fixed
    out = actor.git("pull", "-q", "--rebase", "origin", "main", check=False)
    while out.returncode != 0:
        stopped = _colliding(actor, "add/add")
        assert stopped, "a rebase stopped on something else than an id collision: " + out.stdout + out.stderr
        fixed += [_renumber(actor, path) for path in stopped]
        out = subprocess.run(["git", "-C", str(actor.path), "rebase", "--continue"], capture_output=True, text=True,
                             env=dict(actor.env, GIT_EDITOR="true"))
    actor.sync("rebase")
    return fixed


@pytest.mark.parametrize("seed,back_online", [(9, "merge"), (2026, "rebase")])
def test_one_operator_in_a_worktree_and_two_clones_same_day(tmp_path, seed, back_online):
    rng = random.Random(seed)
    team = Team(tmp_path)
    home = team.clone("c1", "AB")
    peer = team.clone("c2", "CD")
    wt = team.worktree(home, "wt", "AB")  # the same operator's second worktree
    laptop = team.clone("laptop", "AB")  # the same operator's second clone
    for actor in (home, peer, laptop):  # union-only clones are test_team_store.py's subject, not this one's
        team.configure_driver(actor)
    team.driver[wt.name] = True
    url = laptop.git("remote", "get-url", "origin").stdout.strip()
    renumbered = []
    for rnd in range(3):
        order = [home, wt, peer]
        rng.shuffle(order)
        offline = rnd == 1  # the laptop cannot reach the remote this round, after the others pushed
        order.insert(len(order) if offline else rng.randint(0, 3), laptop)
        for actor in order:
            if actor is laptop and offline:
                laptop.git("remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
                laptop.handoff_round()
                laptop.git("remote", "set-url", "origin", url)
                continue
            actor.handoff_round()
            if actor is laptop and rnd == 2:  # back online: its offline log took an id pushed meanwhile
                renumbered += sync_after_collisions(laptop, back_online)
                assert renumbered, "the offline round should have collided with a pushed id"
            elif actor is laptop:
                renumbered += sync_after_collisions(laptop, rng.choice(("merge", "rebase")))
            else:
                actor.sync(rng.choice(("merge", "rebase")))
    renumbered += sync_after_collisions(laptop, "merge")
    assert team.conflicts == []
    assert renumbered, "the offline round should have collided with a pushed id"
    # the next /handoff (from the worktree) makes indexes and changelog canonical again
    wt.pull("rebase")
    wt.handoff_round("closing round")
    wt.sync("merge")
    assert team.conflicts == []
    written = sorted(x for a in (home, wt, peer, laptop) for x in a.written)
    assert len(written) == len(set(written)) == 13
    fresh = team.clone("fresh", "QQ")
    on_remote = sorted(p.stem for p in (fresh.path / "docs" / "sessions").glob("*-*-*.md"))
    assert on_remote == written  # no log lost, every id distinct
    out = fresh.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr
