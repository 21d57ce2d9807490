"""Issue 9 item 1: what /handoff writes never conflicts, and ends canonical, across a team.

Real git throughout: a bare remote, three clones and a worktree of one of them (four distinct
operators), rounds of /handoff's real steps in a seeded random order, synced by ``pull`` (merge)
or ``pull --rebase``, plus rounds made on a topic branch and brought over by ``cherry-pick``.
Two clones (and the worktree, which shares its clone's config) have the ``handoff`` merge driver
(as /handoff's pre-execution sets it up); the third has only the committed ``union`` attributes
(no per-clone set-up at all). The invariants, each failing on the bug it names:

- conflicts == 0 (before issue 9: 9 of 11 merges conflicted on CHANGELOG.md and INDEX.md);
- every log written is in a fresh clone of the remote (none lost);
- with the driver, CHANGELOG.md is canonical right after every merge;
- after the next /handoff, indexes equal regen-indexes' output and ``validate`` (schemas, stale
  index, changelog duplicates / missing entries / order) passes in a fresh clone.
"""

from __future__ import annotations

import random

import pytest
from storeutil import CHANGELOG, Team

ROUNDS = 3


def _round(team, actor, rng) -> None:
    if rng.random() < 0.25:  # work on a topic branch, then cherry-pick it onto main
        actor.git("checkout", "-q", "-b", "topic-%d" % actor.rounds)
        actor.handoff_round()
        topic = actor.git("rev-parse", "HEAD").stdout.strip()
        actor.git("checkout", "-q", "-")
        assert actor.pull(rng.choice(("merge", "rebase")))
        assert actor.run_merge("cherry-pick", "%s~2..%s" % (topic, topic))
    else:
        actor.handoff_round()
    actor.sync(rng.choice(("merge", "rebase")))


@pytest.mark.parametrize("seed", [2026])
def test_rounds_in_random_order_never_conflict_and_end_canonical(tmp_path, seed):
    rng = random.Random(seed)
    team = Team(tmp_path)
    a = team.clone("c1", "AB")
    b = team.clone("c2", "CD")
    c = team.clone("c3", "EF")
    w = team.worktree(a, "wt", "GH")
    team.configure_driver(a)
    team.configure_driver(b)
    team.driver[w.name] = True  # the worktree shares c1's config and info/attributes
    actors = [a, b, c, w]
    order = [actor for actor in actors for _ in range(ROUNDS)]
    rng.shuffle(order)
    # Let several actors commit before anyone syncs, so that most merges bring in others' work.
    pending = []
    for actor in order:
        pending.append(actor)
        if len(pending) >= rng.randint(1, 3):
            for p in pending:
                _round(team, p, rng)
            pending = []
    for p in pending:
        _round(team, p, rng)
    assert team.conflicts == []

    # the next /handoff (in the union-only clone: its merges were not canonicalized)
    c.pull("rebase")
    c.handoff_round("closing round")
    c.sync("merge")
    assert team.conflicts == []

    fresh = team.clone("fresh", "QQ")
    written = sorted(x for actor in actors for x in actor.written)
    assert len(written) == len(set(written)) == 4 * ROUNDS + 1
    on_remote = sorted(p.stem for p in (fresh.path / "docs" / "sessions").glob("*-*-*.md"))
    assert on_remote == written
    out = fresh.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr
    assert fresh.helper("regen-indexes", "--check").returncode == 0
    team.assert_changelog_canonical(fresh)
    text = (fresh.path / CHANGELOG).read_text()
    entries = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(entries) == len(set(entries)) >= 4 * ROUNDS
    # each clone, once synced, holds the same canonical bytes
    for actor in (a, b):
        actor.pull("merge")
        team.assert_changelog_canonical(actor)


def test_union_alone_never_conflicts_where_the_text_merge_does(tmp_path):
    """The failure this pins: without the attribute, two clones appending conflict."""
    team = Team(tmp_path)
    a = team.clone("c1", "AB")
    b = team.clone("c2", "CD")
    a.handoff_round()
    a.sync("merge")
    b.handoff_round()
    b.sync("rebase")
    assert team.conflicts == []
    # the same two rounds with the attribute switched off conflict (the test can fail)
    for actor in (a, b):
        (actor.path / ".git" / "info").mkdir(exist_ok=True)
        no_driver = "CHANGELOG.md -merge\n/docs/sessions/INDEX.md -merge\n"
        (actor.path / ".git" / "info" / "attributes").write_text(no_driver)
    a.pull("merge")
    a.handoff_round()
    a.sync("merge")
    b.handoff_round()
    assert not b.pull("merge")
    assert any("CONFLICT" in c[2] for c in team.conflicts)


def test_detached_head_and_shallow_clone(tmp_path):
    team = Team(tmp_path)
    a = team.clone("c1", "AB")
    a.handoff_round()
    a.sync("merge")
    shallow = team.clone("shallow", "CD", "--depth", "1", "--no-local")
    team.configure_driver(shallow)
    shallow.handoff_round()
    a.handoff_round()
    a.sync("rebase")
    shallow.sync("rebase")
    out = shallow.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr
    # detached HEAD: the round runs, then the detached commits are merged into main
    det = team.clone("det", "EF")
    det.git("checkout", "-q", "--detach")
    det.handoff_round()
    head = det.git("rev-parse", "HEAD").stdout.strip()
    det.git("checkout", "-q", "main")
    a.handoff_round()
    a.sync("merge")
    assert det.pull("merge")
    assert det.run_merge("merge", "-q", "--no-edit", head)
    det.helper_ok("changelog")
    det.helper_ok("regen-indexes")
    if det.git("status", "--porcelain").stdout:  # det has no driver: the union may be out of order
        det.git("commit", "-q", "-am", "handoff: canonical after merge")
    det.sync("merge")
    assert team.conflicts == []
    fresh = team.clone("fresh", "QQ")
    out = fresh.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(p.stem for p in (fresh.path / "docs" / "sessions").glob("*-*-*.md")) == sorted(
        a.written + shallow.written + det.written
    )


def test_driver_missing_falls_back_to_union(tmp_path):
    """A driver command that cannot run (moved plugin, no python3) still merges as union."""
    team = Team(tmp_path)
    a = team.clone("c1", "AB")
    b = team.clone("c2", "CD")
    team.configure_driver(b)
    moved = "/nonexistent/handoff merge-driver %O %A %B %P || git merge-file --union %A %O %B"
    b.git("config", "merge.handoff.driver", moved)
    team.check_after_merge = False
    a.handoff_round()
    a.sync("merge")
    b.handoff_round()
    b.sync("merge")
    assert team.conflicts == []
    text = (b.path / CHANGELOG).read_text()
    assert "<<<<<<<" not in text
    assert text.count("feat(c1): step 1 (") == 1 and text.count("feat(c2): step 1 (") == 1
