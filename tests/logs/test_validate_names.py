"""Issue 20 item 5: `validate` prints a file name with control characters escaped, one line per
problem: a name holding an ANSI escape, a newline or bytes that are not UTF-8 neither breaks the
line nor reaches the terminal raw (lib.core.errors.one_line, also every ``handoff:`` error line)."""

from __future__ import annotations

import os
import subprocess

from handoff_fixtures import HELPERS, PY, make_repo, request, today_day

EXPECTED_NAME = "(file name): not a session log name (expected <OP>-<YYMMDD>-<NN>.md)"


def _run(repo, *args, env=None):
    """Raw bytes out, in a UTF-8 locale (where Python's stdout is strict about bytes that are not UTF-8)."""
    return subprocess.run([PY, str(HELPERS), *args, "--root", str(repo.path)], capture_output=True,
                          cwd=repo.path, timeout=60, env={**repo.env, "LC_ALL": "C.UTF-8", **(env or {})})


def test_validate_escapes_control_characters_in_file_names(tmp_path):
    repo = make_repo(tmp_path)
    repo.write_ok(request())
    day = today_day()
    sessions = repo.path / "docs" / "sessions"
    (sessions / ("RT-%s-02\x1b[31m.md" % day)).write_text("---\nid: x\n---\n")
    (sessions / ("RT-%s-03\nforged: line.md" % day)).write_text("---\nid: x\n---\n")
    with open(os.fsencode(sessions) + b"/RT-\xff-04.md", "wb") as f:
        f.write(b"---\nid: x\n---\n")
    out = _run(repo, "validate")
    assert out.returncode == 1
    assert b"Traceback" not in out.stderr and b"\x1b" not in out.stdout + out.stderr
    assert out.stdout.decode().splitlines() == [
        "docs/sessions/RT-%s-02\\x1b[31m.md: %s" % (day, EXPECTED_NAME),
        "docs/sessions/RT-%s-03\\nforged: line.md: %s" % (day, EXPECTED_NAME),
        "docs/sessions/RT-\\xff-04.md: %s" % EXPECTED_NAME,
    ]


def test_a_helper_error_naming_such_a_file_is_one_escaped_line(tmp_path):
    repo = make_repo(tmp_path)
    out = _run(repo, "renumber", "docs/sessions/RT-x\n\x1b[2J.md")
    assert out.returncode == 1 and out.stdout == b""
    assert out.stderr.decode().splitlines() == [
        "handoff: docs/sessions/RT-x\\n\\x1b[2J.md: not a session log (expected docs/sessions/<OP>-<YYMMDD>-<NN>.md);"
        " nothing changed"]
