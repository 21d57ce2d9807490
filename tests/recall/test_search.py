"""``scripts/handoff search``: ranking (the planted log comes FIRST), filters, output shapes,
query quoting and bad input, through the real helper process."""

from __future__ import annotations

import json

import pytest
from recalltree import ids, log, noise, search

from logtree import run_helper, write_log, write_ws


@pytest.fixture
def tree(repo):
    noise(repo, 15)
    return repo


def test_rare_word_in_decisions_comes_first(tree) -> None:
    log(tree, "RT-261105-01", "Storage work", decisions="- Chose flock over lockfiles: the kernel releases it")
    log(tree, "RT-261106-01", "Unrelated", did="- mentioned lockfiles once in passing, and flock")
    result = search(tree, "lockfiles")
    assert ids(result)[:2] == ["RT-261105-01", "RT-261106-01"] or ids(result)[0] == "RT-261105-01"
    top = result["hits"][0]
    assert top["section"] == "decisions"
    assert "**lockfiles**" in top["snippet"]
    assert set(top) == {"id", "path", "date", "operator", "title", "section", "snippet", "score"}
    assert (top["path"], top["date"], top["operator"], top["title"]) == (
        "docs/sessions/RT-261105-01.md", "2026-11-05", "RT", "Storage work")
    assert result["warnings"] == []


def test_phrase_beats_the_same_words_apart(tree) -> None:
    log(tree, "CK-261101-01", "Index work", learnings="- A torn index shows up as missing rows")
    log(tree, "CK-261102-01", "Other", learnings="- The index was fine; the page was torn by the printer")
    log(tree, "CK-261103-01", "Other two", did="- index index index torn torn torn")
    assert ids(search(tree, '"torn index"'))[0] == "CK-261101-01"
    assert ids(search(tree, "--fts", '"torn index"')) == ["CK-261101-01"]


def test_word_in_a_title_beats_the_same_word_in_twenty_bodies(repo) -> None:
    noise(repo, 20, word="zeppelin")
    log(repo, "SV-260901-01", "Zeppelin migration plan")  # older than all the noise
    result = search(repo, "zeppelin")
    assert len(result["hits"]) == 10  # the default --limit
    assert ids(result)[0] == "SV-260901-01" and result["hits"][0]["section"] == "title"


def test_summary_weighs_more_than_a_body_section(repo) -> None:
    noise(repo, 10)
    log(repo, "AB-261110-01", "One", summary="Quokka handling reworked.")
    log(repo, "AB-261110-02", "Two", did="- quokka handling reworked")
    assert ids(search(repo, "quokka"))[:2] == ["AB-261110-01", "AB-261110-02"]


def test_operator_filter(tree) -> None:
    log(tree, "SK-261101-01", "Lock notes", learnings="- The lock must be held across the rename")
    log(tree, "RT-261102-01", "Lock notes too", learnings="- lock lock lock: the lock is everything")
    assert ids(search(tree, "lock"))[0] == "RT-261102-01"  # without the filter RT's wins
    result = search(tree, "lock", "--operator", "SK")
    assert ids(result) == ["SK-261101-01"]


def test_date_range(tree) -> None:
    for day in ("261001", "261015", "261030", "261110"):
        log(tree, "RT-%s-09" % day, "Pelican %s" % day, did="- pelican work")
    result = search(tree, "pelican", "--since", "2026-10-10", "--until", "2026-10-30")
    assert ids(result) == ["RT-261030-09", "RT-261015-09"]  # equal scores: newest first


def test_section_filter_searches_only_that_section(tree) -> None:
    log(tree, "RT-261101-05", "Wombat in the title", did="- wombat in the body")
    log(tree, "RT-261101-06", "Other", learnings="- a wombat lesson")
    result = search(tree, "wombat", "--section", "learnings")
    assert ids(result) == ["RT-261101-06"]
    assert result["hits"][0]["section"] == "learnings"


def test_workstream_filter_and_workstream_documents(tree) -> None:
    log(tree, "RT-261101-07", "Heron a", workstreams=["birds"], did="- heron")
    log(tree, "RT-261101-08", "Heron b", workstreams=["fish"], did="- heron")
    assert ids(search(tree, "heron", "--workstream", "birds")) == ["RT-261101-07"]
    write_ws(tree, "birds", "RT", phases=[(False, "P1 count the herons")], title="Birds")
    hits = search(tree, "herons")["hits"]
    assert [(h["id"], h["section"], h["path"]) for h in hits] == [("birds", "workstream", "workstreams/birds.md")]


def test_legacy_conv_logs_are_searched(tree) -> None:
    write_log(tree, "CONV-20250304-0001", "## Decisions\n\n- went with kestrel\n", title="Old", date="2025-03-04",
              operator="SK")
    hit = search(tree, "kestrel")["hits"][0]
    assert (hit["id"], hit["operator"], hit["date"], hit["section"]) == ("CONV-20250304-0001", "SK", "2025-03-04",
                                                                         "decisions")


def test_words_no_single_log_has_all_of_fall_back_to_any(tree) -> None:
    log(tree, "RT-261101-03", "Ibis", did="- ibis")
    result = search(tree, "what did we decide about the ibis")
    assert ids(result)[0] == "RT-261101-03"
    assert any("any of them" in w for w in result["warnings"])


@pytest.mark.parametrize(
    "query",
    ['-', '"', '*', ':', '(', 'NEAR', 'AND', 'OR', 'NOT', 'a - b', 'x" OR "y', 'col:umn', 'NEAR(a b)', '^start',
     'a AND', '"unbalanced', '(((', 'title:lock', '{title}: x', "don't", '-lock', 'lock*', '\\', "+1"],
)
def test_user_syntax_never_becomes_an_fts_error(tree, query) -> None:
    proc = run_helper(tree, "search", "--json", "--", query)
    assert "Traceback" not in proc.stderr
    if proc.returncode:
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "no words" in proc.stderr, proc.stderr
    else:
        assert isinstance(json.loads(proc.stdout)["hits"], list)


def test_empty_query_is_one_line_exit_1(tree) -> None:
    for args in ([""], ["   "], []):
        proc = run_helper(tree, "search", *args)
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "empty query" in proc.stderr, proc.stderr


def test_bad_fts_expression_is_one_line_exit_1(tree) -> None:
    proc = run_helper(tree, "search", "--fts", 'lock AND (')
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("handoff: search --fts:") and "syntax error" in proc.stderr


def test_hundred_thousand_character_query(tree) -> None:
    log(tree, "RT-261101-04", "Osprey", did="- osprey")
    result = search(tree, "osprey " + "x" * 50_000 + " " + "word " * 10_000)
    assert len("osprey " + "x" * 50_000 + " " + "word " * 10_000) >= 100_000
    assert result["hits"] == [] or ids(result)[0] == "RT-261101-04"
    assert search(tree, "osprey " + "y " * 50_000)["warnings"]  # truncated to the first words, said so


def test_bad_options_are_one_line(tree) -> None:
    for args in (["x", "--since", "2026-13-01"], ["x", "--until", "yesterday"], ["x", "--operator", "rt"],
                 ["x", "--limit", "0"]):
        proc = run_helper(tree, "search", *args)
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_no_fail_reports_on_stdout_and_exits_0(tree) -> None:
    proc = run_helper(tree, "search", "--no-fail", "")
    assert proc.returncode == 0 and proc.stdout.startswith("handoff: search: empty query")
    proc = run_helper(tree, "search", "--no-fail", "--json", "--fts", "(")
    assert proc.returncode == 0 and "syntax error" in json.loads(proc.stdout)["error"]


def test_text_output(tree) -> None:
    log(tree, "RT-261105-02", "Storage work", decisions="- Chose flock over lockfiles")
    proc = run_helper(tree, "search", "lockfiles")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "1 hit for 'lockfiles' (best first):"
    assert lines[2].startswith("RT-261105-02  2026-11-05  RT  Storage work  [decisions]  docs/sessions/RT-261105-02.md")
    assert "**lockfiles**" in lines[3]


def test_query_from_stdin_keeps_quotes_and_dollars(tree) -> None:
    """What /recall sends: $ARGUMENTS through a quoted heredoc, so nothing is shell-parsed."""
    import subprocess
    import sys

    from logtree import HELPERS, clean_env

    log(tree, "RT-261101-09", "Grebe", decisions="- what's the grebe: $HOME stays text")
    proc = subprocess.run([sys.executable, str(HELPERS), "search", "--root", str(tree), "--json", "--query-stdin"],
                          input="what's the \"grebe\" $HOME `x`\n", capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    assert ids(json.loads(proc.stdout))[0] == "RT-261101-09"


def test_a_large_answer_arrives_whole_and_a_closed_pipe_is_no_error(repo) -> None:
    """Every byte of an answer larger than a pipe holds arrives; a reader that stops early
    (``| head``) gets no traceback and no error exit."""
    import subprocess
    import sys

    from logtree import HELPERS, clean_env

    noise(repo, 250, word="kittiwake")
    argv = [sys.executable, str(HELPERS), "search", "--root", str(repo), "--json", "--limit", "1000", "kittiwake"]
    full = subprocess.run(argv, capture_output=True, env=clean_env(), timeout=60)
    assert full.returncode == 0, full.stderr
    assert len(full.stdout) > 65536 and len(json.loads(full.stdout)["hits"]) == 250
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    proc.stdout.read(10)
    proc.stdout.close()  # as `| head -c 10` does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and b"Traceback" not in err and b"Exception" not in err, err
