"""Bad input: counted what can be, one warning naming the file and line, never a traceback,
never a hang (lib/usage/reader.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from usagekit import copy_fixture, main_transcript

from lib.usage import reader
from lib.usage.ledger import Ledger
from lib.usage.session import session_usage

BAD = "handmade-bad-lines"
BAD_ID = "11111111-1111-4111-8111-000000000006"


def line(mid, rid, inp, out, ts="2026-11-30T10:00:00.000Z"):
    return json.dumps(
        {"type": "assistant", "timestamp": ts, "requestId": rid,
         "message": {"id": mid, "model": "claude-sonnet-4-5", "usage": {"input_tokens": inp, "output_tokens": out}}},
        separators=(",", ":"),
    )


def test_bad_lines_count_what_can_be_with_one_warning_per_file(tmp_path):
    config_dir = copy_fixture(BAD, tmp_path)
    path = main_transcript(config_dir, BAD_ID)
    result = session_usage(str(tmp_path / "state"), BAD_ID, str(path))
    # msg_b1 and msg_b8 are the only countable lines (ccusage agrees: test_ccusage_crosscheck)
    assert (result.usage["input_tokens"], result.usage["output_tokens"]) == (11, 22)
    bad = [w for w in result.warnings if "not counted;" not in w and "incomplete last line" not in w]
    assert len(bad) == 1
    assert bad[0].startswith(f"{path}:4: usage.input_tokens is -5, not a count; line not counted (+")
    torn = [w for w in result.warnings if "incomplete last line" in w]
    assert torn == [f"{path}:12: incomplete last line (still being written?); not counted yet"]


def test_torn_last_line_is_not_consumed_and_counts_once_completed(tmp_path):
    path = tmp_path / "t.jsonl"
    full = line("m1", "r1", 10, 20) + "\n" + line("m2", "r2", 100, 200) + "\n"
    cut = len(line("m1", "r1", 10, 20)) + 1 + 30
    path.write_text(full[:cut])
    ledger = Ledger()
    fd, _ = reader.open_transcript(str(path))
    try:
        first = reader.scan(str(path), fd, 0, ledger)
    finally:
        os.close(fd)
    assert first.offset == len(line("m1", "r1", 10, 20)) + 1  # stops before the torn line
    with open(path, "a") as fh:
        fh.write(full[cut:])
    fd, _ = reader.open_transcript(str(path))
    try:
        second = reader.scan(str(path), fd, first.offset, ledger)
    finally:
        os.close(fd)
    assert second.offset == len(full.encode())
    assert ledger.totals()["tokens"]["input_tokens"] == 110


def test_symlink_and_missing_transcript_are_one_line_each(tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text(line("m1", "r1", 1, 1) + "\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    result = session_usage(str(tmp_path / "s"), "sid", str(link))
    assert result.usage is None and result.warnings == [f"{link}: is a symbolic link; not read"]
    gone = tmp_path / "gone.jsonl"
    result = session_usage(str(tmp_path / "s"), "sid", str(gone))
    assert result.usage is None and result.warnings == [f"{gone}: transcript missing; usage unknown"]


def test_fifo_where_the_transcript_should_be_never_blocks(tmp_path):
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    done = {}

    def call():
        done["result"] = session_usage(str(tmp_path / "s"), "sid", str(fifo))

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert done["result"].usage is None
    assert done["result"].warnings == [f"{fifo}: not a regular file; not read"]


def test_subagent_fifo_is_skipped_main_still_counted(tmp_path):
    main = tmp_path / "S.jsonl"
    main.write_text(line("m1", "r1", 5, 6) + "\n")
    (tmp_path / "S" / "subagents").mkdir(parents=True)
    os.mkfifo(tmp_path / "S" / "subagents" / "agent-x.jsonl")
    result = session_usage(str(tmp_path / "s"), "S", str(main))
    assert result.usage["input_tokens"] == 5
    assert any("agent-x.jsonl: not a regular file" in w for w in result.warnings)


def test_huge_sparse_transcript_streams_in_bounded_memory(tmp_path):
    """1 GiB (sparse: no disk) of NULs with no newline, then a real line: the over-long line is
    skipped and reported, the real one counted, memory stays far below the file size."""
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as fh:
        fh.truncate(1 << 30)
        fh.seek(1 << 30)
        fh.write(b"\n" + line("m1", "r1", 7, 8).encode() + b"\n")
    code = (
        "import resource, sys, json; sys.path.insert(0, sys.argv[1]);"
        "from lib.usage.session import session_usage;"
        "r = session_usage(sys.argv[2], 'sid', sys.argv[3]);"
        "print(json.dumps([r.usage['input_tokens'], r.warnings, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))"
    )
    from hookutil import REPO

    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "scripts"), str(tmp_path / "s"), str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    tokens, warnings, max_rss_kb = json.loads(out.stdout)
    assert tokens == 7
    assert len(warnings) == 1 and warnings[0].startswith(f"{path}:1: line over ")
    # reading it whole would take over 1 GiB; streaming stays near 2 chunks (8 MiB each). The bound
    # is loose because the allocator may keep freed chunks on a loaded machine (250 MB seen once).
    assert max_rss_kb < 512 * 1024, max_rss_kb
