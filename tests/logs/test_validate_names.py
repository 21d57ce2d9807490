"""Issue 20 item 5: `validate` prints a file name with control characters escaped, one line per
problem: a name holding an ANSI escape, a newline or bytes that are not UTF-8 neither breaks the
line nor reaches the terminal raw (lib.core.errors.one_line, also every ``handoff:`` error line)."""

from __future__ import annotations

import os
import subprocess

from handoff_fixtures import HELPERS, PY, make_repo, request


def _run(repo, *args, env=None):
    """Raw bytes out, in a UTF-8 locale (where Python's stdout is strict about bytes that are not UTF-8)."""
    return subprocess.run([PY, str(HELPERS), *args, "--root", str(repo.path)], capture_output=True,
                          cwd=repo.path, timeout=60, env={**repo.env, "LC_ALL": "C.UTF-8", **(env or {})})


def test_validate_escapes_control_characters_in_file_names(tmp_path):
    """Files of docs/sessions/ not named like a log are not logs (issue 20 item 2), so the hostile
    names are workstreams' here: each has one problem, printed with its name escaped."""
    repo = make_repo(tmp_path)
    repo.write_ok(request())
    workstreams = repo.path / "workstreams"
    workstreams.mkdir(exist_ok=True)
    lacking = "---\ntitle: x\nowner: RT\n---\n"  # no status
    (workstreams / "bad\x1b[31m.md").write_text(lacking)
    (workstreams / "bad\nforged: line.md").write_text(lacking)
    with open(os.fsencode(workstreams) + b"/bad-\xff.md", "wb") as f:
        f.write(lacking.encode())
    out = _run(repo, "validate")
    assert out.returncode == 1
    assert b"Traceback" not in out.stderr and b"\x1b" not in out.stdout + out.stderr
    assert sorted(out.stdout.decode().splitlines()) == sorted([
        "workstreams/bad\\x1b[31m.md: status: missing",
        "workstreams/bad\\nforged: line.md: status: missing",
        "workstreams/bad-\\xff.md: status: missing",
    ])


def test_a_helper_error_naming_such_a_file_is_one_escaped_line(tmp_path):
    repo = make_repo(tmp_path)
    out = _run(repo, "renumber", "docs/sessions/RT-x\n\x1b[2J.md")
    assert out.returncode == 1 and out.stdout == b""
    assert out.stderr.decode().splitlines() == [
        "handoff: docs/sessions/RT-x\\n\\x1b[2J.md: not a session log (expected docs/sessions/<OP>-<YYMMDD>-<NN>.md);"
        " nothing changed"]
