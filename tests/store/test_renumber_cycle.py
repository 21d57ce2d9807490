"""Item 3 of issue 9, the whole cycle with a bare remote: one operator, two clones, one day.

Clone B cannot reach the remote when it allocates, so it takes the id clone A already pushed.
Nothing is lost: `validate` and `/resume` name the collision (before the pull: against the
remote-tracking ref; after a pull that stopped: the add/add conflict), `renumber` gives B's
unpushed log the next free id in one step, and a fresh clone of the remote has both logs.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from idsutil import (
    clone,
    commit_all,
    env_for,
    git,
    helper,
    log_names,
    make_remote,
    one_log_pushed,
    try_write_session,
    write_session,
)


def _offline(path):
    """Point origin at a path that does not exist (a fetch fails at once), return the real URL."""
    url = git(path, "remote", "get-url", "origin").strip()
    git(path, "remote", "set-url", "origin", str(path.parent / "unreachable.git"))
    return url


def _two_clones_same_id(tmp_path):
    bare, a, b, first = one_log_pushed(tmp_path, "session-a")
    url = _offline(b)
    out = try_write_session(b, "session-b", title="B's work")
    assert out.returncode == 0, out.stderr
    assert "fetch origin failed" in out.stderr and "ids of other clones not checked" in out.stderr
    second = json.loads(out.stdout)
    assert second["id"] == first["id"]  # the collision this test is about
    commit_all(b, "handoff: B")
    git(b, "remote", "set-url", "origin", url)
    return bare, a, b, first["id"]


def _status(path):
    return git(path, "status", "--porcelain"), git(path, "rev-parse", "HEAD"), log_names(path)


def test_collision_named_renumbered_and_pulled_without_loss(tmp_path):
    bare, a, b, log_id = _two_clones_same_id(tmp_path)
    rel = "docs/sessions/%s.md" % log_id
    git(b, "fetch", "-q", "origin")
    out = helper(b, "validate")
    assert out.returncode == 1
    assert "%s: id: collision (remote): %s.md on origin/main is another session's log" % (rel, log_id) in out.stdout
    dash = json.loads(helper(b, "resume", "--operator", "RT", "--json").stdout)
    assert any(w.startswith("%s: id collision (remote)" % rel) for w in dash["warnings"]), dash["warnings"]

    # A's log is pushed: renumbering it is refused, and nothing changes
    before = _status(a)
    out = helper(a, "renumber", rel)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().splitlines() == ["handoff: %s: already pushed (on origin/main); renumber the other, "
                                               "unpushed log instead; nothing changed" % rel]
    assert _status(a) == before

    out = helper(b, "renumber", rel)
    assert out.returncode == 0, out.stderr
    new_id = log_id[:-2] + "02"
    new_rel = "docs/sessions/%s.md" % new_id
    assert out.stdout.strip() == "renumbered %s -> %s (file, id; committed)" % (rel, new_rel)
    text = (b / new_rel).read_text()
    assert '\nid: "%s"\n' % new_id in text and 'session_id: "session-b"' in text and not (b / rel).exists()
    assert git(b, "status", "--porcelain") == ""
    assert helper(b, "resume", "--operator", "RT", "--json").returncode == 0
    assert not any("collision" in w for w in json.loads(helper(b, "resume", "--operator", "RT", "--json").stdout)
                   ["warnings"])

    git(b, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")  # no conflict now
    git(b, "push", "-q", "origin", "main")
    fresh = clone(bare, tmp_path / "fresh")
    assert log_names(fresh) == sorted(["%s.md" % log_id, "%s.md" % new_id])
    assert 'session_id: "session-a"' in (fresh / rel).read_text()
    assert 'session_id: "session-b"' in (fresh / new_rel).read_text()
    out = helper(fresh, "validate")
    assert out.returncode == 0, out.stdout


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_add_add_conflict_named_and_renumbered_in_place(tmp_path, how):
    bare, a, b, log_id = _two_clones_same_id(tmp_path)
    rel = "docs/sessions/%s.md" % log_id
    pull = git(b, "pull", "-q", "--rebase" if how == "rebase" else "--no-rebase", "origin", "main", check=False)
    assert "CONFLICT (add/add)" in pull
    out = helper(b, "validate")
    assert out.returncode == 1
    assert "%s: id: collision (add/add): both sides of the merge added %s.md" % (rel, log_id) in out.stdout
    dash = json.loads(helper(b, "resume", "--operator", "RT", "--json").stdout)
    assert any(w.startswith("%s: id collision (add/add)" % rel) for w in dash["warnings"])

    out = helper(b, "renumber", rel)
    assert out.returncode == 0, out.stderr
    new_rel = "docs/sessions/%s02.md" % log_id[:-2]
    assert out.stdout.strip() == "renumbered %s -> %s (file, id; staged; conclude the merge)" % (rel, new_rel)
    assert 'session_id: "session-a"' in (b / rel).read_text()  # the pushed side keeps the path
    assert 'session_id: "session-b"' in (b / new_rel).read_text()
    env = env_for(b.parent, GIT_EDITOR="true")
    if how == "rebase":
        git(b, "rebase", "--continue", env=env)
    else:
        git(b, "commit", "-q", "--no-edit", env=env)
    git(b, "push", "-q", "origin", "main")
    fresh = clone(bare, tmp_path / "fresh")
    assert log_names(fresh) == sorted(["%s.md" % log_id, "%s02.md" % log_id[:-2]])
    assert helper(fresh, "validate").returncode == 0


def test_renumber_refuses_an_existing_target_and_changes_nothing(tmp_path):
    _, a, b, log_id = _two_clones_same_id(tmp_path)
    write_session(b, "session-b2")  # RT-...-02 exists in b's work tree
    before = _status(b)
    target = log_id[:-2] + "02"
    out = helper(b, "renumber", "docs/sessions/%s.md" % log_id, "--to", target)
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    assert "target %s already exists; nothing changed" % target in out.stderr
    assert _status(b) == before
    out = helper(b, "renumber", "README.md")
    assert out.returncode == 1 and "not a session log" in out.stderr and _status(b) == before


def test_fetch_of_a_hanging_remote_is_bounded_and_killed(tmp_path):
    bare = make_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    pidfile = tmp_path / "transport.pid"
    # A remote that never answers: git's ext:: transport running a shell that sleeps.
    git(a, "config", "protocol.ext.allow", "always")
    script = tmp_path / "hang.sh"
    script.write_text("echo $$ > '%s'\nexec sleep 60\n" % pidfile)
    git(a, "remote", "set-url", "origin", "ext::sh " + str(script))
    import time

    started = time.monotonic()
    out = try_write_session(a, "s1", HANDOFF_FETCH_TIMEOUT="1")
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    assert "fetch origin: no answer within 1 s" in out.stderr
    assert elapsed < 8, elapsed
    pid = int(pidfile.read_text())
    assert _gone_or_zombie(pid)  # the transport's process group was killed, not only git


def _gone_or_zombie(pid: int, wait_s: float = 5.0) -> bool:
    """True once ``pid`` has exited (a zombie waiting for a reaper counts: it runs no more)."""
    import time

    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_no_remote_detached_head_and_shallow_clone(tmp_path):
    bare = make_remote(tmp_path)
    solo = tmp_path / "solo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(solo)], check=True)
    out = try_write_session(solo, "s1")
    assert out.returncode == 0 and "fetch" not in out.stderr, out.stderr  # no remote: nothing to fetch, quietly

    a = clone(bare, tmp_path / "a")
    first = write_session(a, "s1")
    commit_all(a, "handoff")
    git(a, "push", "-q", "origin", "main")
    git(a, "checkout", "-q", "--detach")
    detached = write_session(a, "s2")
    assert detached["id"] != first["id"]

    shallow = clone(bare, tmp_path / "shallow", depth=1)
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    third = write_session(shallow, "s3")
    assert third["id"] not in (first["id"],)
    assert helper(shallow, "validate").returncode == 0


def test_two_files_with_one_id_after_a_hand_resolution(tmp_path):
    """The conflict resolved by keeping both, the local one under another name: same id twice."""
    bare, a, b, log_id = _two_clones_same_id(tmp_path)
    rel = "docs/sessions/%s.md" % log_id
    git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    mine = b / "docs" / "sessions" / ("%s (mine).md" % log_id)
    mine.write_text(git(b, "show", ":2:" + rel))
    git(b, "checkout", "-q", "--theirs", "--", rel)
    git(b, "add", "-A")
    git(b, "commit", "-q", "--no-edit")
    out = helper(b, "validate")
    assert out.returncode == 1
    assert ("docs/sessions/%s (mine).md: id: collision (same id): %s and docs/sessions/%s (mine).md all have id %s"
            % (log_id, rel, log_id, log_id)) in out.stdout
    out = helper(b, "renumber", str(mine))
    assert out.returncode == 0, out.stderr
    assert not mine.exists() and 'session_id: "session-b"' in (b / ("docs/sessions/%s02.md" % log_id[:-2])).read_text()
    assert helper(b, "validate").returncode == 0
    assert helper(b, "renumber", rel).returncode == 1  # the remote's log: already pushed


def test_renumber_carries_the_supersedes_and_resolves_that_name_the_log(tmp_path):
    """Issue 18: B's later, unpushed log superseded a decision of B's log that took a pushed id;
    after `renumber` it names the renumbered log (the pushed one with that id is someone else's)."""
    from idsutil import DRAFT

    bare, a, b, first = one_log_pushed(tmp_path, "session-a")
    url = _offline(b)
    draft = dict(DRAFT, title="B's work", body={"Decisions Made": ["B decides X"], "Open Questions": ["Why X?"]})
    out = helper(b, "write-session", stdin=json.dumps(draft), CLAUDE_CODE_SESSION_ID="session-b", HANDOFF_OPERATOR="RT")
    assert out.returncode == 0, out.stderr
    taken = json.loads(out.stdout)["id"]
    assert taken == first["id"]
    commit_all(b, "handoff: B")
    later = dict(DRAFT, title="B later", supersedes=[taken + "#D1"], resolves=[taken + "#Q1"],
                 body={"Decisions Made": ["B decides Y instead"]})
    out = helper(b, "write-session", stdin=json.dumps(later), CLAUDE_CODE_SESSION_ID="session-c",
                 HANDOFF_OPERATOR="RT")
    assert out.returncode == 0, out.stderr
    second = json.loads(out.stdout)
    commit_all(b, "handoff: B later")
    git(b, "remote", "set-url", "origin", url)
    git(b, "fetch", "-q", "origin")
    out = helper(b, "renumber", "docs/sessions/%s.md" % taken)
    assert out.returncode == 0, out.stderr
    renumbered = [n[:-3] for n in log_names(b) if n[:-3] not in (taken, second["id"])]
    assert len(renumbered) == 1, log_names(b)
    text = (b / second["path"]).read_text()
    assert 'supersedes: ["%s#D1"]' % renumbered[0] in text and 'resolves: ["%s#Q1"]' % renumbered[0] in text
    assert git(b, "status", "--porcelain") == ""  # committed with the rename
    assert "references" in out.stdout
