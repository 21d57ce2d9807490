"""One file -> one catalog row (lib/catalog/records.py), seen through the real ``search``: what a
log as write-session writes it, a legacy ``CONV-*`` log, a broken or hostile file and a
workstream become. Never fails on a file: a hostile one is a warning naming it, and the other
logs are answered; nothing hangs, nothing outside the repository is read.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from catalogtree import answered, ids, log, log_path, noise, search

from handoff_fixtures import make_repo, request
from lib.logs import session_log
from lib.logs.sections import COLUMNS, SECTION_COLUMNS
from logtree import run_helper, write_log, write_ws


def test_the_columns_follow_the_sections_write_session_writes() -> None:
    assert tuple(SECTION_COLUMNS) == session_log.SECTIONS
    assert ("title",) + tuple(SECTION_COLUMNS.values()) == COLUMNS


def test_a_log_as_write_session_writes_it_is_searched_by_its_sections(tmp_path) -> None:
    r = make_repo(tmp_path)
    out = r.write_ok(request(
        title="Lock the catalog", summary="Chose flock.", resume_prompt="Run the bench\n## Learnings inside: quokka",
        workstreams=["recall"],
        body={"Decisions Made": "- Use WAL\n\n```\n## Learnings (in a fence): wombat\n```",
              "Learnings": ["busy_timeout matters"]},
    ), "s1", {"HANDOFF_NOW": "2026-11-21T10:00:00Z"})
    hit = search(r.path, "wombat")["hits"][0]
    assert (hit["id"], hit["path"], hit["date"], hit["operator"], hit["title"], hit["section"]) == (
        out["id"], out["path"], "2026-11-21", "RT", "Lock the catalog", "decisions")
    assert search(r.path, "--section", "learnings", "wombat")["hits"] == []
    assert ids(search(r.path, "--section", "resume", "quokka")) == [out["id"]]
    assert search(r.path, "--section", "learnings", "quokka")["hits"] == []
    assert ids(search(r.path, "--section", "summary", "flock")) == [out["id"]]
    assert ids(search(r.path, "--workstream", "recall", "flock")) == [out["id"]]
    assert search(r.path, "none")["hits"] == []  # the _None._ of an empty section is not text
    proc = run_helper(r.path, "learnings", "--json")
    answered(proc)
    assert [i["item"] for i in json.loads(proc.stdout)["items"]] == ["busy_timeout matters"]


def test_a_legacy_log_takes_its_operator_and_day_from_its_frontmatter(repo) -> None:
    write_log(repo, "CONV-old", "# Old one\n\n## Decisions\n\n- went with postgres\n", title="Old one",
              date="2025-03-04", operator="SK", summary="Notion era.")
    hit = search(repo, "--operator", "SK", "--since", "2025-03-04", "--until", "2025-03-04", "postgres")["hits"][0]
    assert (hit["id"], hit["operator"], hit["date"], hit["title"], hit["section"]) == (
        "CONV-old", "SK", "2025-03-04", "Old one", "decisions")
    assert ids(search(repo, "--section", "summary", "notion")) == ["CONV-old"]


@pytest.mark.parametrize("data, reason", [
    (b"# No frontmatter\n\n## Decisions Made\n\n- kept the body\n", "no frontmatter"),
    (b"---\ntitle: never closed\n# Title\n\n## Decisions Made\n\n- kept the body\n", "never closed"),
    (b"---\ntitle: [unclosed\n---\n## Decisions Made\n\n- kept the body\n", "not valid YAML"),
])
def test_a_broken_frontmatter_is_searched_by_its_body_with_a_warning(repo, data: bytes, reason: str) -> None:
    log_path(repo, "RT-261121-02").parent.mkdir(parents=True)
    log_path(repo, "RT-261121-02").write_bytes(data)
    result = search(repo, "--operator", "RT", "--section", "decisions", "kept")
    assert ids(result) == ["RT-261121-02"] and result["hits"][0]["date"] == "2026-11-21"  # from its name
    assert len(result["warnings"]) == 1, result["warnings"]
    warning = result["warnings"][0]
    assert warning.startswith("docs/sessions/RT-261121-02.md: ") and reason in warning and "by its body" in warning


def test_control_characters_of_a_frontmatter_summary_are_blanked(repo) -> None:
    """A summary only in the frontmatter (a legacy log), its YAML escapes carrying \\x01 and
    \\x02, the marks search puts around a match: blanked, so the snippet marks only the match."""
    path = log_path(repo, "CONV-1")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'---\nsummary: "marked \\x01 here \\x02 and \\0 wombat"\n---\n# Old\n\nbody\n')
    hit = search(repo, "wombat")["hits"][0]
    assert hit["section"] == "summary" and hit["snippet"] == "marked here and **wombat**", hit
    log_path(repo, "CONV-2").write_bytes(b'---\ntitle: "numbat \\x01 first"\n---\nbody\n')
    hit = search(repo, "numbat")["hits"][0]
    assert (hit["section"], hit["snippet"], hit["title"]) == ("title", "**numbat** first", "numbat   first"), hit


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    "%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n" % ((c, c) + (p,) * 10)
    for p, c in zip("abcdefgh", "bcdefghi")
)
HOSTILE = {
    "alias-bomb": ("---\n" + ALIAS_BOMB + "title: t\n---\n# Bomb\n\n## Decisions Made\n\n- zebra\n").encode(),
    "nul-bytes": b"---\ntitle: t\n---\n# T\n\n## Decisions Made\n\n- zebra\x00here\n",
    "not-utf8": b"---\ntitle: t\n---\n# T\n\n## Decisions Made\n\n- zebra \xff\xfe bad bytes\n",
    "binary": bytes(range(256)) * 64 + b"\nzebra\n",
    "deep-nesting": b"---\nworkstreams: " + b"[" * 5000 + b"]" * 5000 + b"\n---\n# T\n\nzebra\n",
    "python-tag": b"---\ntitle: !!python/object/apply:os.system ['touch PWNED']\n---\n# T\n\nzebra\n",
    "huge-frontmatter": b"---\ntitle: t\nsummary: " + b"x" * 70_000 + b"\n---\n# T\n\nzebra\n",
    "empty": b"",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_log_is_a_warning_and_the_rest_is_answered(repo, kind: str) -> None:
    noise(repo, 3, word="zebra")
    bad = log_path(repo, "AB-261121-09")
    bad.write_bytes(HOSTILE[kind])
    t0 = time.monotonic()
    result = search(repo, "zebra")
    assert time.monotonic() - t0 < 20
    warned = [] if kind == "nul-bytes" else ["docs/sessions/AB-261121-09.md"]  # NUL is blanked, nothing lost
    assert [w.split(": ")[0] for w in result["warnings"]] == warned, result["warnings"]
    found = ids(result)
    assert {"AB-261001-01", "AB-261001-02", "AB-261001-03"} <= set(found)
    assert ("AB-261121-09" in found) == (kind != "empty")  # its body is searched all the same
    assert not (repo / "PWNED").exists()


def test_nul_bytes_and_invalid_utf8_are_blanked_and_replaced(repo) -> None:
    path = log_path(repo, "RT-261121-03")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"---\ntitle: T\n---\n# T\n\n## Learnings\n\n- nul\x00here and \xff\xfe bad bytes\n")
    result = search(repo, "nul", "here")
    assert result["hits"][0]["snippet"] == "- **nul** **here** and \ufffd\ufffd bad bytes"
    assert result["warnings"] == ["docs/sessions/RT-261121-03.md: not valid UTF-8 (undecodable bytes replaced)"]


def test_huge_fields_and_files_are_capped(repo) -> None:
    from lib.catalog import records

    log(repo, "RT-261121-04", "T" * 10_000, did="wombat " + "word " * 60_000 + " numbat")
    big = log_path(repo, "RT-261121-05")
    big.write_bytes(b"---\ntitle: Big\n---\n# Big\n\ndingo\n" + b"filler line\n" * (records.MAX_FILE_BYTES // 12)
                    + b"\nquoll\n")
    result = search(repo, "wombat")
    assert ids(result) == ["RT-261121-04"] and len(result["hits"][0]["title"]) == records.MAX_TITLE_CHARS
    assert search(repo, "numbat")["hits"] == []  # past MAX_FIELD_CHARS of its section
    result = search(repo, "dingo")
    assert ids(result) == ["RT-261121-05"]
    assert result["warnings"] == ["docs/sessions/RT-261121-05.md: over %d bytes; only the start is indexed"
                                  % records.MAX_FILE_BYTES]
    assert search(repo, "quoll")["hits"] == []


@pytest.mark.parametrize("kind", ["symlink-outside", "symlink-to-dev-zero", "fifo", "directory"])
def test_a_log_that_is_not_a_regular_file_is_never_followed_or_waited_on(repo, tmp_path: Path, kind: str) -> None:
    noise(repo, 2, word="zebra")
    bad = log_path(repo, "AB-261121-09")
    if kind == "symlink-outside":
        secret = tmp_path / "secret.md"
        secret.write_text("---\ntitle: Secret\n---\n# Secret\n\nzebra password\n")
        bad.symlink_to(secret)
    elif kind == "symlink-to-dev-zero":
        bad.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(bad)
    else:
        bad.mkdir()
    t0 = time.monotonic()
    result = search(repo, "zebra")
    assert time.monotonic() - t0 < 20
    assert sorted(ids(result)) == ["AB-261001-01", "AB-261001-02"]
    assert [w.split(": ")[0] for w in result["warnings"]] == ["docs/sessions/AB-261121-09.md"], result["warnings"]
    assert ("symbolic link" if kind.startswith("symlink") else "not a regular file") in result["warnings"][0]
    assert search(repo, "password")["hits"] == []


def test_a_workstream_is_searched_by_its_title_and_body(repo) -> None:
    write_ws(repo, "auth", "AB", title="Auth rewrite", body_extra="Token wombat notes.\n")
    (repo / "workstreams" / "INDEX.md").write_text("# Workstreams\n\n- auth: wombat\n")
    (repo / "workstreams" / "README.md").write_text("# About\n\nwombat\n")
    result = search(repo, "wombat")
    assert ids(result) == ["auth"]
    hit = result["hits"][0]
    assert (hit["path"], hit["title"], hit["operator"], hit["section"]) == (
        "workstreams/auth.md", "Auth rewrite", "AB", "workstream")
    assert ids(search(repo, "rewrite")) == ["auth"]


def test_a_float_too_large_or_nesting_too_deep_for_json_is_read_by_yaml_not_a_traceback(repo) -> None:
    """Review finding: a hostile frontmatter the codec can parse but not re-encode (a decimal of
    400 digits is inf; nesting just under the recursion limit) falls back to YAML."""
    sessions = repo / "docs" / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    (sessions / "AB-260101-01.md").write_text('---\ntitle: "hello"\nx: 1%s.0\n---\n## Summary\n\nwords\n' % ("0" * 400))
    for depth in (970, 983, 995):
        (sessions / ("AB-260101-%02d.md" % (depth - 960))).write_text(
            '---\ntitle: "deep"\nx: %s%s\n---\n## Summary\n\nwords\n' % ("[" * depth, "]" * depth))
    proc = run_helper(repo, "search", "--json", "words")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "AB-260101-01" in {h["id"] for h in json.loads(proc.stdout)["hits"]}


def test_a_session_dir_that_is_a_link_is_never_followed(repo, tmp_path) -> None:
    """Review finding: docs/sessions or workstreams as a link to elsewhere: nothing of it is read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "AB-260101-01.md").write_text('---\ntitle: "secret"\n---\n## Summary\n\nTOPSECRET\n')
    (outside / "leak.md").write_text('---\ntitle: "leak"\nowner: AB\nstatus: active\n---\nTOPSECRET\n')
    (repo / "docs").mkdir(exist_ok=True)
    os.symlink(outside, repo / "docs" / "sessions")
    os.symlink(outside, repo / "workstreams")
    proc = run_helper(repo, "search", "--json", "TOPSECRET")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"] == []


def test_a_query_that_is_not_utf8_is_searched_not_a_traceback(repo) -> None:
    log(repo, "RT-261101-01", "Storage", did="- words")
    proc = run_helper(repo, "search", "--json", "words\udcff", "--workstream", "a\udcff")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
