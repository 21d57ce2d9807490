"""``pr-summary`` on real branches (issue 19 items 2 and 3).

Invariants: a commit of ``BASE..HEAD`` belongs to the session whose log names it (by hash), or,
rewritten by a rebase or a cherry-pick, whose log holds its patch id, also in a clone that
never had the original; the /handoff commit belongs to the session whose log it adds; no date
decides anything (a committer clock days behind changes nothing); every other commit is listed
as without log, and ``--require-logs`` fails on it. Bad input is one line and exit 1; an empty
range is an empty summary and exit 0; a shallow clone says which commits it could not see.
"""

from __future__ import annotations

import json
import re

import pytest
from pr_summary_kit import fresh_clone, git, origin, pr_summary, session, summary_json

from handoff_fixtures import clean_env

DAYS_BEHIND = {"GIT_COMMITTER_DATE": "2020-02-03T04:05:06Z", "GIT_AUTHOR_DATE": "2020-02-03T04:05:06Z"}


@pytest.fixture
def branch(tmp_path):
    """``feature`` on the remote: session A (two commits), an unlogged commit, session B (made
    with a committer clock years behind), each session closed by its /handoff commit."""
    repo, bare = origin(tmp_path)
    repo.git("switch", "-q", "-c", "feature")
    a = session(repo, "sess-a", [("a1: parser", {"a.txt": "1\n"}), ("a2: parser tests", {"a_test.txt": "2\n"})],
                title="Teach the parser dates")
    unlogged = repo.commit("hotfix without a session", {"u.txt": "u\n"})
    b = session(repo, "sess-b", [("b1: time zones", {"b.txt": "tz\n"})], title="Time zones", env=DAYS_BEHIND,
                body={"Decisions Made": ["UTC everywhere", "No local time"], "Open Questions": ["DST?"]})
    repo.git("push", "-q", "-u", "origin", "feature")
    return repo, bare, a, b, unlogged


def ids(summary: dict) -> list:
    return [s["id"] for s in summary["sessions"]]


def test_sessions_their_items_and_the_unlogged_commit(branch):
    repo, _, a, b, unlogged = branch
    summary = summary_json(repo.path, "--base", "origin/main")
    assert set(summary) == {"sessions", "commits_without_log", "totals"}
    assert ids(summary) == [a["id"], b["id"]]
    for s in summary["sessions"]:
        assert set(s) == {"id", "operator", "title", "summary", "decisions", "open_questions", "tokens", "cost_usd"}
    first, second = summary["sessions"]
    assert first["operator"] == "RT" and first["title"] == "Teach the parser dates"
    assert first["summary"] == "The parser reads ISO dates now."
    assert first["decisions"] == ["Kept dates as strings in the frontmatter."]
    assert first["open_questions"] == ["Do we need local time?"]
    assert second["decisions"] == ["UTC everywhere", "No local time"] and second["open_questions"] == ["DST?"]
    # the /handoff commits are their sessions' (never "without log"); the clock behind changes nothing
    assert summary["commits_without_log"] == [{"sha": unlogged, "subject": "hotfix without a session"}]
    t = summary["totals"]
    assert (t["sessions"], t["commits"], t["commits_with_log"], t["commits_without_log"]) == (2, 6, 5, 1)
    assert t["tokens"] is None and t["cost_usd"] is None and t["sessions_without_usage"] == 2


def test_require_logs_fails_on_an_unlogged_commit_and_passes_without_one(branch):
    repo, _, a, b, unlogged = branch
    out = pr_summary(repo.path, "--base", "origin/main", "--require-logs")
    assert out.returncode == 1
    assert out.stderr.decode().strip().splitlines()[-1] == "handoff: --require-logs: 1 commit without a session log"
    assert b"hotfix without a session" in out.stdout  # the summary is printed all the same
    # from just after the unlogged commit: every commit has its session
    out = pr_summary(repo.path, "--base", unlogged, "--require-logs")
    assert out.returncode == 0, out.stderr.decode()


def test_a_rebase_keeps_each_commit_with_its_session_even_in_a_fresh_clone(branch, tmp_path):
    repo, bare, a, b, unlogged = branch
    repo.git("switch", "-q", "main")
    repo.commit("main moves on", {"main.txt": "m\n"})
    repo.git("push", "-q", "origin", "main")
    repo.git("switch", "-q", "feature")
    repo.git("rebase", "-q", "main")
    rebased = repo.git("rev-list", "origin/main..HEAD").split()
    assert not set(rebased) & set(a["shas"] + b["shas"] + [a["handoff"], b["handoff"], unlogged])
    summary = summary_json(repo.path, "--base", "origin/main")
    assert ids(summary) == [a["id"], b["id"]]
    assert [c["subject"] for c in summary["commits_without_log"]] == ["hotfix without a session"]
    assert summary["totals"]["commits_by_patch_id"] == 3 and summary["totals"]["commits_with_log"] == 5
    # force-pushed, then seen from a clone that never had the original commits
    repo.git("push", "-q", "--force", "origin", "feature")
    clone = fresh_clone(tmp_path, bare, "ci", "--branch", "feature")
    for sha in a["shas"]:
        assert subprocess_ok(clone, "cat-file", "-e", sha) is False
    assert summary_json(clone, "--base", "origin/main") == summary


def subprocess_ok(cwd, *args) -> bool:
    import subprocess

    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, env=clean_env()).returncode == 0


def strip_patch_ids(path) -> None:
    """Make a log look written before patch ids were recorded."""
    text = path.read_text()
    path.write_text(re.sub(r"^patch_ids: .*\n", "", text, flags=re.M))


def test_an_older_log_without_patch_ids_maps_where_the_originals_exist_and_says_where_not(branch, tmp_path):
    repo, bare, a, b, unlogged = branch
    for log_id in (a["id"], b["id"]):
        strip_patch_ids(repo.sessions / f"{log_id}.md")
    repo.git("commit", "-qam", "handoff: logs from before patch ids")
    # every hash rewritten, the originals kept here: a committer date of its own, or a rebase in the
    # same second as the commits would give some of them their old hashes back (a flaky test)
    repo.git("rebase", "-q", "--force-rebase", "origin/main", env={"GIT_COMMITTER_DATE": "2030-01-02T03:04:05Z"})
    assert not {a["shas"][0], b["shas"][0]} & set(repo.git("rev-list", "HEAD").split())
    summary = summary_json(repo.path, "--base", "origin/main")
    assert ids(summary) == [a["id"], b["id"]] and summary["totals"]["commits_without_log"] == 1
    repo.git("push", "-q", "--force", "origin", "feature")
    clone = fresh_clone(tmp_path, bare, "ci", "--branch", "feature")
    out = pr_summary(clone, "--base", "origin/main", "--json")
    assert out.returncode == 0
    seen = json.loads(out.stdout)
    # the /handoff commits still add the logs: the sessions are there; their work commits are not matched
    assert ids(seen) == [a["id"], b["id"]]
    assert sorted(c["subject"] for c in seen["commits_without_log"]) == sorted(
        ["a1: parser", "a2: parser tests", "b1: time zones", "hotfix without a session"])
    assert "3 commits named by %s, %s" % (a["id"], b["id"]) in out.stderr.decode()


def test_cherry_picked_commits_stay_with_their_session(branch):
    repo, _, a, b, unlogged = branch
    repo.git("switch", "-q", "-c", "feature-2", "origin/main")
    repo.git("cherry-pick", *a["shas"], a["handoff"], env=DAYS_BEHIND)
    summary = summary_json(repo.path, "--base", "origin/main")
    assert ids(summary) == [a["id"]]
    assert summary["commits_without_log"] == []
    assert summary["totals"]["commits_by_patch_id"] == 2 and summary["totals"]["commits_with_log"] == 3


def test_head_other_than_the_checkout_reads_that_commits_logs(branch):
    repo, _, a, b, unlogged = branch
    expected = summary_json(repo.path, "--base", "origin/main")
    repo.git("switch", "-q", "main")
    assert not (repo.sessions / f"{a['id']}.md").exists()
    assert summary_json(repo.path, "--base", "main", "--head", "feature") == expected


def test_a_bad_base_is_one_line_and_exit_1(branch):
    repo = branch[0]
    for bad in ("no-such-branch", "--exec=rm", "origin/main\x1b[31m"):
        out = pr_summary(repo.path, "--base=" + bad)
        assert out.returncode == 1, bad
        err = out.stderr.decode()
        assert len(err.strip().splitlines()) == 1 and err.startswith("handoff: --base "), err
        assert "Traceback" not in err and out.stdout == b""


def test_an_empty_range_is_an_empty_summary(branch):
    repo = branch[0]
    out = pr_summary(repo.path, "--base", "HEAD", "--require-logs")
    assert out.returncode == 0 and "No commits in" in out.stdout.decode()
    summary = summary_json(repo.path, "--base", "feature", "--head", "origin/feature")
    assert summary["sessions"] == [] and summary["commits_without_log"] == []
    assert summary["totals"]["commits"] == 0 and summary["totals"]["sessions"] == 0


def test_a_shallow_clone_names_the_commits_behind_its_cut(branch, tmp_path):
    repo, bare, a, b, unlogged = branch
    clone = fresh_clone(tmp_path, bare, "shallow", "--depth", "3", "--no-single-branch", "--branch", "feature")
    out = pr_summary(clone, "--base", "origin/main", "--json")
    assert out.returncode == 0, out.stderr.decode()
    seen = json.loads(out.stdout)
    cut = git(clone, "rev-parse", "HEAD~2").strip()
    assert seen["totals"]["history_cut_at"] == [cut] and seen["totals"]["commits"] == 3
    err = out.stderr.decode()
    assert "shallow clone" in err and cut[:12] in err
    assert "shallow clone" in pr_summary(clone, "--base", "origin/main").stdout.decode()
    # a base the shallow clone does not have: one line that says so
    out = pr_summary(clone, "--base", a["shas"][0])
    assert out.returncode == 1 and "shallow clone" in out.stderr.decode()


HOSTILE = ("<script>alert(1)</script> @octocat #12 [x](javascript:alert(1)) <!-- handoff:pr-summary --> "
           "\u202egnp.exe | a | b |")


def hostile_log(repo, log_id: str) -> None:
    """Edit a log by hand: a 10,000-character title holding HTML, decisions that try markdown
    and HTML, an open question with bytes that are not UTF-8."""
    path = repo.sessions / f"{log_id}.md"
    text = path.read_text()
    title = ("<img src=x onerror=alert(1)> " + "T" * 10_000)
    text = re.sub(r"^title: .*$", lambda m: "title: " + json.dumps(title), text, count=1, flags=re.M)
    text = text.replace("Kept dates as strings in the frontmatter.", "\n".join([
        "- " + HOSTILE,
        "- # not a heading",
        "- ```",
        "- line one\n  ===",
        "- <details><summary>open</summary>",
    ]))
    data = text.encode().replace(b"Do we need local time?", b"Do we need \xff\xfe local time?")
    path.write_bytes(data)
    repo.git("commit", "-qam", "handoff: edited by hand")


def test_markdown_holds_log_text_as_inert_text(branch):
    repo, _, a, b, unlogged = branch
    hostile_log(repo, a["id"])
    repo.commit("fix <img src=x onerror=alert(1)> for @octocat #12\u202e", {"h.txt": "h\n"})
    (repo.path / "msg").write_bytes(b"subject \xff\xfe not UTF-8\n")
    repo.git("commit", "-q", "--allow-empty", "-F", "msg")
    out = pr_summary(repo.path, "--base", "origin/main")
    assert out.returncode == 0, out.stderr.decode()
    md = out.stdout.decode("utf-8")
    lines = md.splitlines()
    assert lines[0] == "<!-- handoff:pr-summary -->" and md.count("handoff:pr-summary") == 1
    assert "<" not in md[len(lines[0]):]  # no tag, no comment: every < is an entity
    assert "@octocat" not in md and "@\u200boctocat" in md  # no notification
    assert "#12" not in md  # no cross-reference
    assert "\u202e" not in md
    headings = [line for line in lines if line.lstrip().startswith("#")]
    assert all(h.startswith(("## Sessions in this pull request", "### ")) for h in headings)
    assert len([h for h in headings if h.startswith("### ")]) == 3  # two sessions, the unlogged commits
    assert max(len(line) for line in lines) < 1000  # the title is capped
    assert md.count("\ufffd") >= 2  # the bytes that are not UTF-8 (a log's, a subject's), replaced
    assert all(not line.startswith(("    ", "\t", "```", "===", "|")) for line in lines)
    summary = summary_json(repo.path, "--base", "origin/main")
    assert summary["sessions"][0]["title"].startswith("<img src=x")  # JSON carries the text as it is


def test_markdown_renders_to_no_element_from_a_log():
    """The escaped markdown, rendered by a CommonMark parser with raw HTML on (as GitHub parses
    it before sanitizing), gives text only: no element, link or heading from the log."""
    markdown_it = pytest.importorskip("markdown_it")
    import sys

    from handoff_fixtures import SCRIPTS

    sys.path.insert(0, str(SCRIPTS))
    from lib.report.pr_summary import inline

    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    for text in (HOSTILE, "# heading", "1. one", "- item", "> quote", "```", "    code", "***", "<div>",
                 "&amp; &#60;", "a\\", "[a]: http://x", "|a|b|\n|-|-|", "~~s~~", "*em* __b__", "<http://x>"):
        rendered = parser.render("- " + inline(text, 500))
        assert rendered.startswith("<ul>\n<li>") and rendered.count("<") == 4, (text, rendered)


def test_a_merged_log_rewritten_in_the_range_claims_nothing(tmp_path):
    """The reviewer's attack: a branch commits unlogged code, then edits a log main already has so
    that it names that commit and approves it, in its author's name; --require-logs must still fail."""
    repo, _ = origin(tmp_path)
    merged = session(repo, "sess-m", [("m1: merged work", {"m.txt": "m\n"})], title="Merged work")
    repo.git("push", "-q", "origin", "main")
    repo.git("switch", "-q", "-c", "sneaky")
    backdoor = repo.commit("backdoor", {"backdoor.py": "evil\n"})
    rel = "docs/sessions/%s.md" % merged["id"]
    path = repo.path / rel
    text = path.read_text()
    text = text.replace("commit_shas: [", 'commit_shas: ["%s", ' % backdoor, 1)
    text = text.replace("## Decisions Made\n\n", "## Decisions Made\n\n- **D9** approves backdoor.py\n", 1)
    path.write_text(text)
    repo.git("commit", "-qam", "handoff: tidy a log")
    proc = pr_summary(repo.path, "--base", "origin/main", "--require-logs", "--json")
    assert proc.returncode == 1, proc.stdout
    summary = json.loads(proc.stdout)
    assert summary["sessions"] == [] and [c["sha"] for c in summary["commits_without_log"]] == [backdoor]
    text = pr_summary(repo.path, "--base", "origin/main").stdout
    text = pr_summary(repo.path, "--base", "origin/main").stdout.decode()
