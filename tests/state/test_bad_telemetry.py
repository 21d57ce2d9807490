"""Issue 20 item 5: nothing blocks ``/handoff`` that the user cannot fix.

A telemetry record that parses but holds wrong types or values (a ``started_at`` that is no
timestamp, a negative count, a string where a count is, ...) is moved aside as the hook moves a
corrupt record aside (``*.corrupt-<time>``), with a warning naming the file and the field, and
``write-session`` writes the log without that record's telemetry, saying so. The rule is the
hook's own (`core.telemetry_record.shape_problem`), so the hook sets such a record aside too.
"""

from __future__ import annotations

import json

import pytest

from handoff_fixtures import make_repo, request

BAD = [
    ("started_at", "garbage"),
    ("started_at", "2026-02-30T10:00:00.000Z"),
    ("last_seen_at", 12),
    ("ended_at", "yesterday"),
    ("tool_calls_total", -3),
    ("tool_calls_total", "7"),
    ("failures", True),
    ("interruptions_count", -1),
    ("tool_calls", {"Bash": -1}),
    ("tool_calls", {"Bash": "1"}),
    ("mcp", {"notion": {"search": -2}}),
    ("subagents", {"total": -1, "by_type": {}, "confirmed": 0}),
    ("invariants", {"notion_writes": -1}),
    ("active_seconds", -5.0),
    ("parallel_sessions", ["", ""]),
]


def _live_record(repo):
    repo.hook("SessionStart", "sess-1")
    repo.hook("PostToolUse", "sess-1")
    path = repo.state / "session-sess-1.json"
    return path, json.loads(path.read_text())


def _assert_written_without_telemetry(repo, out, path, field):
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    warnings = [line for line in out.stderr.splitlines() if str(path) in line]
    assert len(warnings) == 1, out.stderr
    assert warnings[0].startswith("handoff: warning: %s: " % path) and "moved aside to session-sess-1.json.corrupt-" \
        in warnings[0] and "its telemetry is left out" in warnings[0]
    if field:
        assert repr(field) in warnings[0]
    assert "handoff: warning: the log is written without its telemetry" in out.stderr.splitlines()
    result = json.loads(out.stdout)
    meta = repo.log(result["id"]).meta
    assert meta["tool_calls_total"] is None and meta["started_at"]
    assert len(list(repo.state.glob("session-sess-1.json.corrupt-*"))) == 1 and not path.exists()
    validate = repo.helper("validate", "docs/sessions")
    assert validate.returncode == 0, validate.stdout


@pytest.mark.parametrize("field,value", BAD, ids=["%s=%r" % fv for fv in BAD])
def test_a_record_of_wrong_types_is_moved_aside_and_the_log_written_without_it(tmp_path, field, value):
    repo = make_repo(tmp_path)
    path, record = _live_record(repo)
    record[field] = value
    path.write_text(json.dumps(record))
    out = repo.write_session(request())
    _assert_written_without_telemetry(repo, out, path, field)


@pytest.mark.parametrize("raw", [b"{not json", b'{"schema_version": 99}', b'{"schema_version": 1, "x": NaN}'])
def test_a_record_that_is_no_record_is_moved_aside_too(tmp_path, raw):
    repo = make_repo(tmp_path)
    path, _ = _live_record(repo)
    path.write_bytes(raw)
    _assert_written_without_telemetry(repo, repo.write_session(request()), path, None)


def test_a_bad_archived_part_is_left_out_and_the_good_parts_kept(tmp_path):
    repo = make_repo(tmp_path)
    _live_record(repo)
    first = repo.write_ok(request())
    repo.helper_ok("archive-state", "--session-id", "sess-1", "--log-id", first["id"])
    part = next((repo.state / "archive").glob("session-sess-1.*.json"))
    record = json.loads(part.read_text())
    record["tool_calls_total"] = -1
    part.write_text(json.dumps(record))
    repo.tool_calls("sess-1", 2)  # the live part, after the first /handoff
    out = repo.write_session(request())
    assert out.returncode == 0, out.stderr
    assert "handoff: warning: the log is written without that part's telemetry" in out.stderr.splitlines()
    assert any(line.startswith("handoff: warning: %s: field 'tool_calls_total' is not a count (-1)" % part)
               for line in out.stderr.splitlines()), out.stderr
    assert repo.log(json.loads(out.stdout)["id"]).meta["tool_calls_total"] == 2
    for command in (("telemetry-read", "--session-id", "sess-1"), ("git-stats", "--session-id", "sess-1")):
        again = repo.helper(*command)  # the part is gone now: no second warning, no failure
        assert again.returncode == 0 and "warning" not in again.stderr, again.stderr


@pytest.mark.parametrize("command", [("telemetry-read", "--session-id", "sess-1"),
                                     ("git-stats", "--session-id", "sess-1"),
                                     ("changelog",)])
def test_the_other_readers_of_telemetry_set_it_aside_the_same_way(tmp_path, command):
    repo = make_repo(tmp_path)
    path, record = _live_record(repo)
    record["started_at"] = "garbage"
    path.write_text(json.dumps(record))
    out = repo.helper(*command, env={"CLAUDE_CODE_SESSION_ID": "sess-1"})
    assert "Traceback" not in out.stderr
    assert "handoff: warning: %s: field 'started_at' is not a UTC timestamp ('garbage'); moved aside" % path \
        in out.stderr, out.stderr
    assert len(list(repo.state.glob("session-sess-1.json.corrupt-*"))) == 1
