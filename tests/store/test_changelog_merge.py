"""The changelog format merges by construction: union of any two sides, then canonical, is the
same bytes whichever way the merge goes, with every entry once (lib/logs/changelog.py, lib/store/merge.py)."""

from __future__ import annotations

import itertools
import random
import subprocess

from storeutil import HELPERS, REPO  # noqa: F401  (sys.path for lib)

from lib.logs import changelog
from lib.logs.gitstats import Commit
from lib.store import merge

V1 = (
    "# Changelog\n\nHand-written intro.\n\n## 2026-11-20\n\n- old one (`aaaaaaaaaaaa`)\n- no hash here\n\n"
    "## 2026-11-21\n\n- two (`bbbbbbbbbbbb`)\n"
)


def commit(sha, subject, when="2026-11-22T09:00:00Z"):
    return Commit(sha=sha * 40 if len(sha) == 1 else sha, at=when, subject=subject, authored_at=when)


def test_v1_is_read_and_rewritten_in_v2_keeping_notes():
    text = changelog.canonical(V1)
    assert text == (
        "# Changelog\n\nHand-written intro.\n\n" + changelog.MARKER + "\n\n"
        "- 2026-11-20 no hash here\n- 2026-11-20 old one (`aaaaaaaaaaaa`)\n- 2026-11-21 two (`bbbbbbbbbbbb`)\n"
    )
    assert changelog.canonical(text) == text  # idempotent


def test_update_adds_once_skips_handoff_commits_and_rebased_copies():
    up = changelog.update(V1, [commit("c", "feat: x"), commit("d", "handoff: RT-261122-01 log")])
    assert [c.subject for c in up.added] == ["feat: x"] and up.changed
    assert up.text.endswith("- 2026-11-22 09:00 feat: x (`cccccccccccc`)\n")
    again = changelog.update(up.text, [commit("c", "feat: x"), commit("e", "feat: x")])  # e: a rebased copy of c
    assert again.added == [] and len(again.skipped) == 2 and not again.changed
    assert changelog.update(None, []).text == "" and not changelog.update(None, []).changed


def _git_union(tmp_path, base, ours, theirs):
    files = []
    for name, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        p = tmp_path / name
        p.write_text(text)
        files.append(str(p))
    return merge.union(files[1], files[0], files[2]).decode()


def test_any_two_sides_merge_to_the_same_canonical_bytes(tmp_path):
    rng = random.Random(9)
    seed = [commit(c, "base %s" % c, "2026-11-2%sT08:00:00Z" % i) for i, c in enumerate("abc")]
    base = changelog.update(None, seed).text
    for _trial in range(25):
        sides = []
        for _ in range(2):
            commits = [commit("%012x" % rng.randrange(16**12), "s%d" % rng.randrange(5),
                              "2026-11-2%dT%02d:00:00Z" % (rng.randrange(5), rng.randrange(24))) for _ in range(3)]
            commits.append(commit("f", "both sides list it", "2026-11-23T10:00:00Z"))
            sides.append(changelog.update(base, commits).text)
        ab = changelog.canonical(_git_union(tmp_path, base, sides[0], sides[1]))
        ba = changelog.canonical(_git_union(tmp_path, base, sides[1], sides[0]))
        assert ab == ba
        parsed = changelog.parse(ab)
        keys = [e.key for e in parsed.entries]
        assert len(keys) == len(set(keys))  # every entry once
        want = {e.key for s in sides for e in changelog.parse(s).entries}
        assert set(keys) == want  # none lost


def test_union_alone_duplicates_what_canonical_removes(tmp_path):
    """The union driver's failure mode, pinned: both sides add the same entry with different
    neighbours -> the raw union lists it twice; canonical lists it once."""
    base = changelog.update(None, [commit("a", "base")]).text
    shared = commit("f", "shared", "2026-11-23T10:00:00Z")
    ours = changelog.update(base, [commit("b", "o1", "2026-11-23T09:00:00Z"), shared,
                                   commit("d", "o2", "2026-11-23T11:00:00Z")]).text
    theirs = changelog.update(base, [commit("c", "t1", "2026-11-23T09:30:00Z"), shared,
                                     commit("e", "t2", "2026-11-23T11:30:00Z")]).text
    raw = _git_union(tmp_path, base, ours, theirs)
    assert raw.count("(`ffffffffffff`)") == 2
    assert [(e.sha, n) for e, n in changelog.duplicates(changelog.parse(raw).entries)] == [("ffffffffffff", 2)]
    assert changelog.canonical(raw).count("(`ffffffffffff`)") == 1


def test_v1_and_v2_sides_merge(tmp_path):
    """One clone already rewrote the file in v2, another (an older handoff) appended in v1."""
    v2 = changelog.update(V1, [commit("c", "new in v2")]).text
    v1_more = V1 + "- appended by v1 (`dddddddddddd`)\n"
    out = changelog.canonical(_git_union(tmp_path, V1, v2, v1_more))
    shas = [e.sha for e in changelog.parse(out).entries if e.sha]
    assert sorted(shas) == ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd"]


def test_index_rows_merge_in_regen_order(tmp_path):
    head = "# Session logs\n\n<!-- gen -->\n\n| ID | Date | Operator | Title | Workstreams |\n|---|---|---|---|---|\n"
    row = "| [{0}]({0}.md) | 2026-11-2{1} | {2} | t |   |\n"
    base = head + row.format("AB-261120-01", 0, "AB")
    ours = head + row.format("AB-261121-01", 1, "AB") + row.format("AB-261120-01", 0, "AB")
    theirs = head + row.format("CD-261121-01", 1, "CD") + row.format("AB-261120-01", 0, "AB")
    for a, b in itertools.permutations((ours, theirs)):
        out = merge.canonical_index(_git_union(tmp_path, base, a, b), sessions=True)
        rows = [line.split("]")[0][3:] for line in out.splitlines() if line.startswith("| [")]
        assert rows == ["CD-261121-01", "AB-261121-01", "AB-261120-01"]


def test_driver_command_never_leaves_a_half_written_result(tmp_path):
    """A failing driver (unreadable base) exits non-zero and leaves %A as it was."""
    ours = tmp_path / "ours"
    ours.write_text("mine\n")
    import sys

    out = subprocess.run([sys.executable, str(HELPERS), "merge-driver", str(tmp_path / "nope"), str(ours),
                          str(tmp_path / "nope2"), "CHANGELOG.md"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert ours.read_text() == "mine\n"
