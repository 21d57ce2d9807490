"""write-session end to end: real git repos, real helper processes, real concurrency and crashes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

import pytest

from handoff_fixtures import HELPERS, PY, make_repo, request
from lib.logs import frontmatter
from lib.logs.session_log import FIELD_ORDER, SECTIONS
from lib.logs.validation import check_session_meta

NOW = "2026-11-21T10:00:00Z"
PINNED = {"HANDOFF_NOW": NOW}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def write(repo, req=None, session_id="sess-1", env=None):
    return repo.write_ok(req or request(), session_id, {**PINNED, **(env or {})})


def valid(repo) -> None:
    out = repo.helper("validate")
    assert out.returncode == 0, out.stdout + out.stderr


def md_files(repo) -> list:
    return sorted(p.name for p in repo.sessions.glob("*.md")) if repo.sessions.exists() else []


def test_writes_a_complete_valid_log(repo):
    repo.commit("feat: one", {"a.py": "1\n2\n"}, when="2026-11-21T09:00:00Z")
    out = write(repo, env={"HANDOFF_NOW": NOW})
    assert out["id"] == "RT-261121-01"
    assert out["path"] == "docs/sessions/RT-261121-01.md"
    assert out["action"] == "created"
    doc = repo.log("RT-261121-01")
    meta = doc.meta
    assert list(meta) == [f for f in FIELD_ORDER if f not in ("supersedes", "resolves")]  # only when given
    assert check_session_meta(meta) == []
    assert meta["id"] == "RT-261121-01" and meta["type"] == "session" and meta["operator"] == "RT"
    assert meta["date"] == "2026-11-21" and meta["session_id"] == "sess-1"
    assert meta["ended_at"] == NOW
    assert meta["branch"] == "main" and meta["head_commit"] == repo.git("rev-parse", "HEAD").strip()
    assert meta["commits"] == 2  # no telemetry, no earlier handoff: since the first commit
    assert meta["confidence"] == "M" and meta["workstreams"] == ["parser"]
    assert meta["tool_calls_total"] is None and meta["invariants"] is None
    text = (repo.sessions / "RT-261121-01.md").read_text()
    assert 'date: "2026-11-21"' in text  # quoted: YAML would re-type it otherwise
    headings = [line[3:] for line in doc.body.splitlines() if line.startswith("## ")]
    assert headings == list(SECTIONS)
    assert doc.body.startswith("# Teach the parser to read dates\n")
    assert "- Added parse_date()\n- Wrote tests" in doc.body
    valid(repo)


def test_quick_session_no_commits_no_telemetry(tmp_path):
    repo = make_repo(tmp_path, commit=False)
    out = repo.write_ok(request(body={}, workstreams=[]), session_id=None, env=PINNED)
    meta = repo.log(out["id"]).meta
    assert meta["session_id"] is None
    assert meta["commits"] == 0 and meta["head_commit"] is None
    assert meta["first_commit_at"] is None and meta["last_commit_at"] is None
    assert meta["started_at"] == NOW and meta["active_min_estimate"] is None
    assert "## Open Questions\n\n_None._" in repo.log(out["id"]).body
    valid(repo)


def test_telemetry_is_filled_in(repo):
    sid = "sess-tel"
    repo.hook("SessionStart", sid)
    repo.tool_calls(sid, 3, "Bash")
    repo.tool_calls(sid, 2, "mcp__github__create_issue")
    repo.hook("PostToolUseFailure", sid, "Edit", error="boom", is_interrupt=True)
    repo.hook("PreToolUse", sid, "Agent", tool_input={"subagent_type": "Explore"}, tool_use_id="toolu_agent1")
    repo.hook("PostToolUse", sid, "Agent", tool_input={"subagent_type": "Explore"}, tool_use_id="toolu_agent1")
    live = json.loads(repo.helper_ok("telemetry-read", "--session-id", sid).stdout)
    out = repo.write_ok(request(), session_id=sid)
    meta = repo.log(out["id"]).meta
    for field in (
        "tool_calls_total",
        "tool_calls",
        "mcp",
        "failures",
        "interruptions_count",
        "invariants",
        "active_min_estimate",
        "parallel_sessions",
    ):
        assert meta[field] == live[field], field
    assert meta["tool_calls_total"] >= 6
    assert meta["tool_calls"]["Bash"] == 3 and meta["tool_calls"]["mcp__github__*"] == 2
    assert meta["mcp"] == {"github": {"create_issue": 2}}
    assert meta["failures"] == 1 and meta["interruptions_count"] == 1
    assert meta["subagents"]["total"] == 1 and meta["subagents"]["by_type"] == {"Explore": 1}
    assert meta["invariants"] == {"notion_writes": {"count": 0, "ok": True}}
    assert isinstance(meta["active_min_estimate"], float)
    assert meta["parallel_sessions"] == []
    assert out["since_source"] == "telemetry"
    valid(repo)


def test_invariant_counter_warns_but_writes(repo):
    sid = "sess-notion"
    repo.hook("SessionStart", sid)
    repo.tool_calls(sid, 1, "Bash")
    repo.tool_calls(sid, 2, "mcp__notion__create_page")
    out = repo.write_session(request(), sid)
    assert out.returncode == 0
    assert "handoff: warning: invariant notion_writes: count 2 (must stay 0)" in out.stderr
    result = json.loads(out.stdout)
    assert result["warnings"] == ["invariant notion_writes: count 2 (must stay 0); recorded in the log"]
    meta = repo.log(result["id"]).meta
    assert meta["invariants"] == {"notion_writes": {"count": 2, "ok": False}}


def test_handoff_write_min(repo):
    out = write(repo, request(handoff_started_at="2026-11-21T09:47:30Z"))
    assert repo.log(out["id"]).meta["handoff_write_min"] == 12.5


def test_retry_updates_the_same_log(repo):
    first = write(repo)
    second = write(repo, request(title="Second try", summary="Better summary."))
    assert second["id"] == first["id"] and second["action"] == "updated"
    assert md_files(repo) == ["RT-261121-01.md"]
    meta = repo.log(first["id"]).meta
    assert meta["title"] == "Second try" and meta["summary"] == "Better summary."
    third = write(repo, session_id="sess-2")
    assert third["id"] == "RT-261121-02" and third["action"] == "created"


def test_retry_finds_the_log_without_the_state_map(repo):
    first = write(repo)
    for p in (repo.state / "session-logs").iterdir():
        p.unlink()
    again = write(repo)
    assert again["id"] == first["id"] and again["action"] == "updated"


def test_retry_next_day_keeps_the_id(repo):
    first = write(repo)
    later = write(repo, env={"HANDOFF_NOW": "2026-11-22T01:00:00Z"})
    assert later["id"] == first["id"] == "RT-261121-01"
    meta = repo.log(first["id"]).meta
    assert meta["date"] == "2026-11-21" and meta["ended_at"] == "2026-11-22T01:00:00Z"


def test_ids_count_per_operator_per_day(repo):
    assert write(repo, session_id="a")["id"] == "RT-261121-01"
    assert write(repo, session_id="b", env={"HANDOFF_OPERATOR": "ZQ"})["id"] == "ZQ-261121-01"
    assert write(repo, session_id="c")["id"] == "RT-261121-02"
    assert write(repo, session_id="d", env={"HANDOFF_NOW": "2026-11-22T00:00:00Z"})["id"] == "RT-261122-01"


def test_numbering_goes_past_99(repo):
    repo.sessions.mkdir(parents=True)
    for n in range(1, 100):
        (repo.sessions / ("RT-261121-%02d.md" % n)).write_text("placeholder")
    assert write(repo, session_id="s100")["id"] == "RT-261121-100"
    assert write(repo, session_id="s101")["id"] == "RT-261121-101"
    out = repo.helper("validate", "docs/sessions/RT-261121-100.md", "docs/sessions/RT-261121-101.md")
    assert out.returncode == 0, out.stdout


def test_deleted_logs_do_not_make_numbers_go_back(repo):
    repo.sessions.mkdir(parents=True)
    for n in (1, 2, 6):
        (repo.sessions / ("RT-261121-%02d.md" % n)).write_text("x")
    assert write(repo, session_id="next")["id"] == "RT-261121-07"


def test_a_gap_of_any_length_never_brings_a_number_back(repo):
    """01 and 15 exist: the next is 16, never 02 (a reused id would overwrite <LOGID>.jsonl in
    the transcripts dir). Other days' and other operators' numbers do not count."""
    repo.sessions.mkdir(parents=True)
    for name in ("RT-261121-01", "RT-261121-15", "RT-261120-40", "ZQ-261121-77", "RT-261121-xx", "RT-2611210-99"):
        (repo.sessions / f"{name}.md").write_text("x")
    (repo.sessions / ".RT-261121-50.md.123.456.tmp").write_text("x")  # a killed writer's temp file
    assert write(repo, session_id="after-gap")["id"] == "RT-261121-16"
    assert write(repo, session_id="after-gap-2")["id"] == "RT-261121-17"


def test_a_log_with_an_impossible_date_does_not_break_other_writes(repo):
    """find_session_log reads every log of the day: one bad file is skipped, not a traceback."""
    first = write(repo, session_id="good")
    text = (repo.sessions / f"{first['id']}.md").read_text()
    bad = repo.sessions / "RT-261121-02.md"
    bad.write_text(text.replace("date: '2026-11-21'", "date: 2026-02-30").replace(first["id"], "RT-261121-02"))
    (repo.sessions / "RT-261121-03.md").write_text(
        text.replace("started_at: '", "started_at: 2026-11-21T25:00:00Z\nx: '").replace(first["id"], "RT-261121-03")
    )
    out = write(repo, session_id="other")
    assert out["id"] == "RT-261121-04" and out["action"] == "created"
    assert write(repo, session_id="good")["action"] == "updated"


def test_rendered_log_must_read_back(repo):
    """A frontmatter the readers would refuse (over 64 KiB) is never written."""
    from lib.core.errors import HelperError
    from lib.logs.write_session import rendered_log

    meta = {"id": "RT-261121-01", "summary": "x" * 70_000}
    with pytest.raises(HelperError, match=r"frontmatter is over 65536 bytes; nothing written"):
        rendered_log("RT-261121-01", meta, "# t\n")
    assert rendered_log("RT-261121-01", {"id": "RT-261121-01"}, "body\n").startswith(b'---\nid: "RT-261121-01"\n')


def test_refused_oversized_summary_then_retry_updates_one_log(repo):
    big = repo.write_session(request(summary="x" * 70_000), "big", env=PINNED)
    assert big.returncode == 1 and big.stderr.count("\n") == 1 and md_files(repo) == []
    first = write(repo, request(summary="x" * 4000), session_id="big")
    again = write(repo, request(summary="y" * 4000), session_id="big")
    assert (first["id"], again["id"], again["action"]) == ("RT-261121-01", "RT-261121-01", "updated")
    assert md_files(repo) == ["RT-261121-01.md"]
    valid(repo)


def test_longest_text_is_written_readable_or_refused_before_writing(repo):
    """At the maxLength limits a log stays readable: the codec writes an emoji as its 4 UTF-8
    bytes (frontmatter.encode). Only characters written as escapes (a noncharacter such as
    U+FFFE is not printable, so YAML writes it, as "\\uFFFE", 6 bytes) get past 64 KiB, and the
    read-back check refuses those before anything is written."""
    req = request(title="é" * 200, summary="s" * 4000, resume_prompt="ü" * 8000)
    meta = repo.log(write(repo, req, session_id="long")["id"]).meta
    assert (meta["title"], meta["summary"], meta["resume_prompt"]) == (
        req["title"],
        req["summary"],
        req["resume_prompt"],
    )
    emoji = request(summary="😀" * 4000, resume_prompt="😀" * 8000)
    assert repo.log(write(repo, emoji, session_id="emoji")["id"]).meta["resume_prompt"] == "😀" * 8000
    wide = repo.write_session(request(summary="\ufffe" * 4000, resume_prompt="\ufffe" * 8000), "wide", env=PINNED)
    assert wide.returncode == 1
    assert wide.stderr == (
        "handoff: RT-261121-03: frontmatter is over 65536 bytes; nothing written "
        "(shorten the summary or the resume prompt)\n"
    )
    assert md_files(repo) == ["RT-261121-01.md", "RT-261121-02.md"]
    valid(repo)


def test_since_now_is_accepted(repo):
    out = write(repo, request(since=NOW))
    meta = repo.log(out["id"]).meta
    assert meta["started_at"] == meta["ended_at"] == NOW


def _spawn(repo, req, session_id, extra_env=None):
    env = {**repo.env, **PINNED, **(extra_env or {})}
    if session_id:
        env["CLAUDE_CODE_SESSION_ID"] = session_id
    proc = subprocess.Popen(
        [PY, str(HELPERS), "write-session", "--root", str(repo.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    proc.stdin.write(json.dumps(req))
    proc.stdin.close()
    return proc


def test_concurrent_writers_get_distinct_ids(repo):
    n = 12
    procs = [_spawn(repo, request(title=f"writer {i}"), f"conc-{i}") for i in range(n)]
    results = []
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        results.append(json.loads(proc.stdout.read()))
    ids = sorted(r["id"] for r in results)
    assert ids == sorted("RT-261121-%02d" % i for i in range(1, n + 1))
    titles = {repo.log(r["id"]).meta["title"] for r in results}
    assert titles == {f"writer {i}" for i in range(n)}
    valid(repo)


def test_concurrent_retries_of_one_session_make_one_log(repo):
    procs = [_spawn(repo, request(title=f"try {i}"), "same-session") for i in range(6)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert md_files(repo) == ["RT-261121-01.md"]


HOSTILE = [
    "colon: value",
    "double \"quotes\" and 'single'",
    "# not a comment",
    "---",
    "--- leading dashes",
    "@at start",
    "*star start",
    "!bang start",
    "&anchor",
    "|pipe",
    ">folded",
    "%directive",
    "`backtick",
    "2026-01-02",
    "yes",
    "null",
    "~",
    "1e3",
    "0x1F",
    " leading space",
    "trailing space ",
    "tab\there",
    "unicode: é 中文 🚀 \u200b zero-width",
    "{flow: mapping}",
    "[flow, seq]",
    "back\\slash",
    "...",
]
HOSTILE_MULTILINE = [
    "line one\nline two",
    "ends with newline\n",
    "---\nkey: value\n---\n",
    "\n\nleading blank lines",
    "trailing spaces   \nnext",
    "## Learnings\nfake heading in a summary",
    "```\nunclosed fence",
    "indented\n    code\n\ttabbed",
    "\u2028line separator\u2029para",
]


def test_hostile_strings_round_trip_exactly(repo):
    for i, title in enumerate(HOSTILE):
        multi = HOSTILE_MULTILINE[i % len(HOSTILE_MULTILINE)] + "\n" + title
        req = request(
            title=title if title.strip() else "t",
            summary=multi,
            resume_prompt=title + "\n" + multi,
            body={"Learnings": [title], "For Future Me": title},
        )
        out = write(repo, req, session_id=f"hostile-{i}")
        meta = repo.log(out["id"]).meta
        assert meta["title"] == req["title"]
        assert meta["summary"] == multi
        assert meta["resume_prompt"] == title + "\n" + multi
    for j, multi in enumerate(HOSTILE_MULTILINE):
        req = request(summary=multi, resume_prompt=multi)
        out = write(repo, req, session_id=f"multi-{j}")
        meta = repo.log(out["id"]).meta
        assert (meta["summary"], meta["resume_prompt"]) == (multi, multi)
    valid(repo)


def test_body_markdown_string_form(repo):
    body = "## What I Did\n\n- a\n\n```sh\n## not a heading in code\n```\n\n## Learnings\nx\n"
    out = write(repo, request(body=body))
    doc = repo.log(out["id"])
    assert "## not a heading in code" in doc.body
    valid(repo)


BAD_INPUTS = [
    (request(title=""), "handoff: input: title: must not be blank"),
    (request(title="two\nlines"), "handoff: input: title: must be a single line"),
    (request(title="x" * 201), "title: must be at most 200 characters"),
    ({k: v for k, v in request().items() if k != "summary"}, "handoff: input: summary: missing"),
    (request(resume_prompt=" \n "), "handoff: input: resume_prompt: must not be blank"),
    (request(confidence="sure"), "handoff: input: confidence: 'sure' is not one of H, M, L"),
    (request(titel="typo"), "handoff: input: unknown field 'titel'"),
    (request(workstreams=["Bad Slug"]), "workstreams.0: 'Bad Slug' is not a slug"),
    (request(workstreams=["a", "a"]), "workstreams: has duplicate items"),
    (request(workstreams="parser"), "handoff: input: workstreams: must be a list of slugs"),
    (request(body={"Notes": "x"}), "handoff: input: body: unknown section 'Notes'"),
    (request(body={"Learnings": "## Sub\nx"}), "handoff: input: body.Learnings: contains a '## Sub' heading"),
    (request(body={"Learnings": "```\nopen"}), "handoff: input: body.Learnings: a code fence (```) is never closed"),
    (request(body="intro\n## Learnings\nx"), "handoff: input: body: text before the first '## ' heading"),
    (request(body=42), "handoff: input: body: must be an object"),
    (request(summary=7), "handoff: input: summary: must be a string, not int"),
    (request(since="last tuesday"), "handoff: since: 'last tuesday' is not an ISO 8601 timestamp"),
    # a lone CR, an indented or a setext heading would split a section when read back
    (request(body={"What I Did": "x\r## Open Questions\ry"}), "body.What I Did: contains the control character U+000D"),
    (request(body={"Learnings": " ## Sub\nx"}), "handoff: input: body.Learnings: contains a '## Sub' heading"),
    (request(body={"Learnings": "   ## Sub"}), "handoff: input: body.Learnings: contains a '## Sub' heading"),
    (request(body={"Learnings": "Sub\n---\nx"}), "body.Learnings: line 1 ('Sub') is a setext heading"),
    (request(body={"Learnings": "a\nSub\n===="}), "body.Learnings: line 1 ('a') is a setext heading"),
    (request(summary="sum\r## What I Did\rfake"), "input: summary: contains the control character U+000D"),
    # control characters: git would take the log for a binary file
    (request(title="nul\x00"), "handoff: input: title: contains the control character U+0000 at offset 3"),
    (request(summary="bell \x07"), "handoff: input: summary: contains the control character U+0007"),
    (request(resume_prompt="esc \x1b[2J"), "handoff: input: resume_prompt: contains the control character U+001B"),
    (request(body={"Learnings": ["ok", "del \x7f"]}), "body.Learnings[1]: contains the control character U+007F"),
    (request(body={"For Future Me": "nel \x85"}), "input: body.For Future Me: contains the control character U+0085"),
    (request(workstreams=["a\x00"]), "handoff: input: workstreams[0]: contains the control character U+0000"),
    # lengths: the frontmatter must stay readable (under 64 KiB)
    (request(summary="x" * 70_000), "summary: must be at most 4000 characters"),
    (request(resume_prompt="x" * 8001), "resume_prompt: must be at most 8000 characters"),
    # the start of the git window must be a real, past moment
    (request(since="9999-12-31T23:59:59+00:00"), "handoff: since: '9999-12-31T23:59:59+00:00' is in the future"),
    (request(since="0001-01-01T00:00:00Z"), "handoff: since: '0001-01-01T00:00:00Z' is before 1970-01-01"),
    (request(since="0001-01-01T00:00:00+23:59"), "handoff: since: '0001-01-01T00:00:00+23:59'"),
    ([1, 2], "handoff: input: expected one JSON object"),
]


@pytest.mark.parametrize("req, message", BAD_INPUTS, ids=[m.split(": ", 2)[-1][:40] for _, m in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(repo, req, message):
    out = repo.write_session(req, "bad", env=PINNED)
    assert out.returncode == 1
    assert message in out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("handoff: ")
    assert out.stdout == ""
    assert md_files(repo) == []
    assert not any(repo.sessions.glob(".*")) if repo.sessions.exists() else True


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "handoff: stdin: empty"),
        ("{not json", "handoff: stdin: not valid JSON"),
        ('{"title": "a", "title": "b"}', "handoff: stdin: duplicate key 'title'"),
        (
            '{"title": "\\ud800", "summary": "s", "resume_prompt": "r", "confidence": "H"}',
            "handoff: input: title: contains an unpaired surrogate",
        ),
    ],
)
def test_bad_stdin(repo, raw, message):
    out = repo.helper("write-session", stdin=raw, env=PINNED)
    assert out.returncode == 1 and out.stderr.startswith(message), out.stderr
    assert md_files(repo) == []


def test_input_file_is_read_and_removed(repo):
    draft = repo.home / "draft.json"
    draft.write_text(json.dumps(request(title="From a file")))
    out = repo.helper_ok("write-session", "--input", str(draft), env={**PINNED, "CLAUDE_CODE_SESSION_ID": "f"})
    assert repo.log(json.loads(out.stdout)["id"]).meta["title"] == "From a file"
    assert not draft.exists()


def test_input_file_through_a_symlink_is_refused(repo):
    real = repo.home / "real.json"
    real.write_text(json.dumps(request()))
    link = repo.home / "link.json"
    link.symlink_to(real)
    out = repo.helper("write-session", "--input", str(link), env=PINNED)
    assert out.returncode == 1 and out.stderr.startswith(f"handoff: --input {str(link)!r}: cannot open")
    assert real.exists() and md_files(repo) == []


def test_deeply_nested_stdin_is_one_line(repo):
    for raw in ("[" * 200_000 + "]" * 200_000, '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        out = repo.helper("write-session", stdin=raw, env=PINNED)
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr[-300:]
        assert out.stderr == "handoff: stdin: JSON nests too deeply; expected one flat object\n"
    assert md_files(repo) == []


def test_input_fifo_is_refused_without_hanging(repo):
    fifo = repo.home / "draft.json"
    os.mkfifo(fifo)
    out = repo.helper("write-session", "--input", str(fifo), env=PINNED, timeout=20)
    assert out.returncode == 1 and out.stderr == f"handoff: --input {str(fifo)!r}: cannot open (not a regular file)\n"
    assert md_files(repo) == []


def test_input_path_with_a_newline_is_one_line(repo):
    odd = str(repo.home / "a\nb.json")
    out = repo.helper("write-session", "--input", odd, env=PINNED)
    assert out.returncode == 1 and out.stderr == f"handoff: --input {odd!r}: no such file\n"
    with open(odd, "w") as f:
        f.write("{broken")
    out = repo.helper("write-session", "--input", odd, env=PINNED)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and out.stderr.startswith(f"handoff: --input {odd!r}:")


def test_bad_input_file_is_kept_for_fixing(repo):
    draft = repo.home / "draft.json"
    draft.write_text(json.dumps(request(confidence="?")))
    out = repo.helper("write-session", "--input", str(draft), env=PINNED)
    assert out.returncode == 1 and draft.exists()


# --- crashes ------------------------------------------------------------------------------


def _kill_at(repo, point: str, req=None, session_id="crash"):
    proc = _spawn(repo, req or request(), session_id, {"HANDOFF_FAULT_PAUSE": point})
    line = proc.stderr.readline()
    assert line == f"handoff: paused at {point}\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.parametrize("point", ["mid-write", "before-rename"])
def test_sigkill_while_writing_leaves_no_log(repo, point):
    _kill_at(repo, point)
    assert md_files(repo) == []
    orphans = list(repo.sessions.glob(".RT-261121-01.md.*.tmp"))
    assert len(orphans) == 1  # a hidden temp file, never a log
    out = repo.helper("validate")
    assert out.returncode == 0
    result = write(repo, session_id="crash")  # the retry takes the same number and sweeps the orphan
    assert result["id"] == "RT-261121-01"
    assert list(repo.sessions.glob(".*.tmp")) == []
    valid(repo)


def test_sigkill_during_an_update_keeps_the_old_log(repo):
    write(repo, request(title="Original"), session_id="crash")
    before = (repo.sessions / "RT-261121-01.md").read_bytes()
    _kill_at(repo, "mid-write", request(title="Replacement"), session_id="crash")
    assert (repo.sessions / "RT-261121-01.md").read_bytes() == before
    assert write(repo, request(title="Replacement"), session_id="crash")["action"] == "updated"
    assert repo.log("RT-261121-01").meta["title"] == "Replacement"


def test_sigkill_at_random_moments_never_leaves_a_partial_log(repo):
    rng = random.Random(7)
    for i in range(12):
        proc = _spawn(repo, request(title=f"run {i}", summary="s" * 20000), f"rnd-{i}")
        time.sleep(rng.uniform(0.0, 0.35))
        proc.kill()
        proc.wait(timeout=10)
        for path in repo.sessions.glob("*.md") if repo.sessions.exists() else []:
            text = path.read_text()
            assert text, f"{path.name} is empty"
            assert check_session_meta(frontmatter.parse(text, str(path)).meta) == []
    write(repo, session_id="after-the-storm")
    valid(repo)
    assert list(repo.sessions.glob(".*.tmp")) == []


def test_lock_of_a_killed_writer_does_not_block(repo):
    _kill_at(repo, "before-rename")
    started = time.monotonic()
    write(repo, session_id="other")
    assert time.monotonic() - started < 10


# --- sessions that go on after their handoff -------------------------------------------


def test_continued_session_counts_archived_and_live_parts(repo):
    sid = "sess-cont"
    repo.hook("SessionStart", sid)
    repo.tool_calls(sid, 3)
    first = write(repo, session_id=sid)
    empty = repo.home / "empty.jsonl"  # a regular file: /dev/null is refused as a transcript
    empty.touch()
    out = repo.helper_ok(
        "archive-state",
        "--session-id",
        sid,
        "--log-id",
        first["id"],
        "--transcript",
        str(empty),
        env={"TRANSCRIPTS_DIR": str(repo.home / "tx")},
    )
    assert json.loads(out.stdout)["part"] == 1
    repo.tool_calls(sid, 2)  # the session goes on: a fresh live record
    again = write(repo, session_id=sid)
    assert again["id"] == first["id"] and again["action"] == "updated"
    meta = repo.log(first["id"]).meta
    assert meta["tool_calls_total"] == 5
    assert meta["tool_calls"] == {"Bash": 5}


def test_a_long_heading_like_line_is_checked_in_linear_time(repo):
    """The old '## ' pattern (lazy text, then '[ #]*$') was quadratic on '## # # # ... x'."""
    body = "## Learnings\n" + "##" + " #" * 200_000 + "x\n"
    out = repo.helper("write-session", stdin=request(body=body), env=PINNED, timeout=60)
    assert out.returncode == 1 and out.stderr.startswith("handoff: input: body: unknown section '#")


# --- secrets in the draft (issue 20) -------------------------------------------------------

AWS_ID = "AKIAZ7QX3MPLE5KD2W4R"  # realistic shapes, not live credentials
AWS_SECRET = "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"
HF = "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"  # gitleaks huggingface.go
GHP = "ghp_" + "R8sVn2Qk7LmX4pTz9aBc3DeF6gHi1JkLmNoP"
LEARNINGS = ["PyYAML turns 2026-01-02 into a date", "ok", f"the CI user is {AWS_ID} / {AWS_SECRET}"]

SECRET_DRAFTS = [
    (
        request(body={"Learnings": LEARNINGS}),
        "handoff: input: body.Learnings[2]: looks like an AWS access key id and an AWS secret access key;",
        [AWS_ID, AWS_SECRET],
    ),
    (request(title=f"Log in with {HF}"), "handoff: input: title: looks like a Hugging Face token;", [HF]),
    (request(summary=f"Pushed with {GHP} from CI."), "handoff: input: summary: looks like a GitHub token;", [GHP]),
    (
        request(resume_prompt="Connect with password: api_key = s3cr3tVALUE99 and go on."),
        "handoff: input: resume_prompt: looks like a secret assigned to a password, token or key name;",
        ["s3cr3tVALUE99"],
    ),
    (
        request(body={"For Future Me": "curl -u admin:pQ9wTxu4Fg https://ci.internal/api"}),
        "handoff: input: body.For Future Me: looks like a password given to curl -u;",
        ["pQ9wTxu4Fg"],
    ),
    (
        request(body="## What I Did\n\n- loaded the dump: mysql -u root -pS3cr3tPW shop\n\n## Learnings\n\nx\n"),
        "handoff: input: body.What I Did: looks like a MySQL password given with -p;",
        ["S3cr3tPW"],
    ),
    (
        request(
            summary=f"Rotated {HF}.",
            body={"Open Questions": ["AccountKey=lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z==?"]},
        ),
        "handoff: input: summary: looks like a Hugging Face token (also in body.Open Questions[0]);",
        [HF, "lJzRc1YdHaAA2KCNJJ1tkYwF"],
    ),
]


@pytest.mark.parametrize("req, message, secrets", SECRET_DRAFTS, ids=[m.split(": ")[2] for _, m, _ in SECRET_DRAFTS])
def test_a_draft_with_a_secret_is_refused_in_one_line_writing_nothing(repo, req, message, secrets):
    head, status = repo.git("rev-parse", "HEAD"), repo.git("status", "--porcelain", "--untracked-files=all")
    out = repo.write_session(req, "leaky", env=PINNED)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith(message), out.stderr
    assert out.stderr.count("\n") == 1 and "--redact-secrets" in out.stderr
    assert not any(s in out.stderr for s in secrets)  # the refusal does not print the secret either
    assert md_files(repo) == [] and not (repo.sessions.exists() and any(repo.sessions.iterdir()))
    assert repo.git("rev-parse", "HEAD") == head
    assert repo.git("status", "--porcelain", "--untracked-files=all") == status


def test_a_refused_draft_file_is_kept_to_be_fixed(repo):
    draft = repo.home / "draft.json"
    draft.write_text(json.dumps(request(summary=f"Pushed with {GHP}.")))
    out = repo.helper("write-session", "--input", str(draft), env=PINNED)
    assert out.returncode == 1 and out.stderr.startswith("handoff: input: summary: looks like a GitHub token;")
    assert draft.exists() and md_files(repo) == []


@pytest.mark.parametrize("req, message, secrets", SECRET_DRAFTS, ids=[m.split(": ")[2] for _, m, _ in SECRET_DRAFTS])
def test_redact_secrets_writes_the_log_without_them(repo, req, message, secrets):
    out = repo.helper("write-session", "--redact-secrets", stdin=req, env={**PINNED, "CLAUDE_CODE_SESSION_ID": "s"})
    assert out.returncode == 0, out.stderr
    where = message.split(": ")[2]
    assert f"handoff: warning: secrets redacted from the draft before writing ({where}: " in out.stderr
    log_id = json.loads(out.stdout)["id"]
    text = (repo.sessions / f"{log_id}.md").read_text()
    assert "[REDACTED:" in text
    for secret in secrets:
        assert secret not in text and secret not in out.stderr
    valid(repo)
    shown = repo.helper_ok("resume", env=PINNED).stdout + repo.helper_ok("learnings", env=PINNED).stdout
    assert not any(secret in shown for secret in secrets)


def test_text_without_secrets_is_written_unchanged_with_the_flag(repo):
    """Commit hashes, UUIDs and prose are no secrets: the flag changes nothing and warns of nothing."""
    sha = repo.git("rev-parse", "HEAD").strip()
    req = request(
        summary=f"Fixed in {sha}; see run 407c3ca8-1c51-48f6-9640-34261d7204b9. The token: it expires hourly.",
        body={"Learnings": ["set AWS_SECRET_ACCESS_KEY in your shell, never in the repo", "api_key: str = Field(...)"]},
    )
    out = repo.helper("write-session", "--redact-secrets", stdin=req, env=PINNED)
    assert out.returncode == 0 and "warning" not in out.stderr, out.stderr
    log = repo.log(json.loads(out.stdout)["id"])
    assert log.meta["summary"] == req["summary"] and "api_key: str = Field(...)" in log.body
