"""Incremental reads (lib/usage/store.py): a second read parses only the appended bytes; a
transcript that shrank or was replaced is read again from the start; a corrupt store is moved
aside and rebuilt, never trusted, never fatal."""

from __future__ import annotations

import json
import os

from usagekit import copy_fixture, main_transcript

from lib.usage import store
from lib.usage.session import session_usage

SID = "f2737701-062c-4dda-bb05-fd63aa8c6046"


def split_fixture(tmp_path):
    """The CLI-written session with its main file cut after the first run's cost-state."""
    config_dir = copy_fixture("cli-multiblock-subagent-continue", tmp_path)
    path = main_transcript(config_dir, SID)
    data = path.read_bytes()
    cut = data.index(b'"type":"cost-state"')
    cut = data.index(b"\n", cut) + 1
    path.write_bytes(data[:cut])
    return path, data, cut


def read(tmp_path, path):
    return session_usage(str(tmp_path / "state"), SID, str(path))


def test_second_read_parses_only_appended_bytes_and_equals_a_cold_read(tmp_path):
    path, data, cut = split_fixture(tmp_path)
    first = read(tmp_path, path)
    assert first.usage["input_tokens"] == 1311  # first run: main 1210 + subagent 101
    with open(path, "ab") as fh:
        fh.write(data[cut:])
    second = read(tmp_path, path)
    assert second.parsed_bytes == len(data) - cut
    cold = session_usage(str(tmp_path / "cold"), SID, str(path), cache=False)
    assert second.usage == cold.usage
    assert second.usage["cost_source"] == "claude-code" and second.usage["input_tokens"] == 1422
    again = read(tmp_path, path)
    assert again.parsed_bytes == 0 and again.usage == cold.usage


def test_replaced_transcript_is_read_from_the_start(tmp_path):
    path, data, cut = split_fixture(tmp_path)
    read(tmp_path, path)
    other = path.with_suffix(".new")
    other.write_bytes(data[:cut].replace(b'"input_tokens":1200', b'"input_tokens":1300'))
    os.replace(other, path)  # new inode, same size
    result = read(tmp_path, path)
    assert result.usage["input_tokens"] == 1311 + 100
    assert result.parsed_bytes >= cut


def test_rewritten_in_place_or_shrunk_is_read_from_the_start(tmp_path):
    path, data, cut = split_fixture(tmp_path)
    read(tmp_path, path)
    rewritten = data[:cut].replace(b'"content":"first"', b'"content":"FIRST"', 1)
    rewritten = rewritten.replace(b'"input_tokens":1200', b'"input_tokens":1201', 1)
    assert rewritten[:4096] != data[:4096] and len(rewritten) == cut
    with open(path, "r+b") as fh:  # same inode, same size, another head: another file
        fh.write(rewritten)
    assert read(tmp_path, path).usage["input_tokens"] == 1312
    with open(path, "r+b") as fh:
        fh.truncate(cut // 2)
    shrunk = read(tmp_path, path)
    cold = session_usage(str(tmp_path / "cold"), SID, str(path), cache=False)
    assert shrunk.usage == cold.usage


def test_corrupt_store_is_moved_aside_and_rebuilt(tmp_path):
    path, _, _ = split_fixture(tmp_path)
    good = read(tmp_path, path).usage
    state_file = store.state_path(str(tmp_path / "state"), SID)
    for garbage in (b"{not json", json.dumps({"version": 1, "session_id": SID, "files": [], "ledger": {}}).encode()):
        with open(state_file, "wb") as fh:
            fh.write(garbage)
        result = read(tmp_path, path)
        assert result.usage == good
        assert len(result.warnings) == 1 and "moved aside" in result.warnings[0]
        aside = [n for n in os.listdir(os.path.dirname(state_file)) if ".corrupt-" in n]
        assert aside
    with open(state_file, "rb") as fh:
        assert json.loads(fh.read())["version"] == store.VERSION


def test_a_continued_session_is_counted_once_however_often_it_is_read(tmp_path):
    path, data, cut = split_fixture(tmp_path)
    for _ in range(3):
        read(tmp_path, path)
    with open(path, "ab") as fh:
        fh.write(data[cut:])
    for _ in range(2):
        usage = read(tmp_path, path).usage
    assert usage["input_tokens"] == 1422 and usage["requests"] == 7
