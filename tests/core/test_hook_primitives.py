"""The hook's stdlib stand-ins must agree with the stdlib originals they replace."""

from __future__ import annotations

import fnmatch
import json
import random

import pytest

from lib.core import fastjson
from lib.core.globmatch import glob_match
from lib.core.telemetry_record import canonical_tool, split_mcp


def test_glob_match_agrees_with_fnmatchcase_on_random_cases():
    rng = random.Random(7)
    pattern_alphabet = "ab_*?[]!-"
    name_alphabet = "ab_[]!-*?"
    for _ in range(60000):
        pattern = "".join(rng.choice(pattern_alphabet) for _ in range(rng.randint(0, 8)))
        name = "".join(rng.choice(name_alphabet) for _ in range(rng.randint(0, 8)))
        assert glob_match(pattern, name) == fnmatch.fnmatchcase(name, pattern), (pattern, name)


@pytest.mark.parametrize(
    "pattern,name,expected",
    [
        ("mcp__notion*__*", "mcp__notion__notion-create-pages", True),
        ("mcp__notion*__*", "mcp__notionApi__API-post-page", True),
        ("mcp__notion*__*", "mcp__plugin_notion_notion__search", False),
        ("mcp__plugin_*notion*__*", "mcp__plugin_notion_notion__search", True),
        ("Bash", "bash", False),  # case-sensitive, like tool names
        ("Web[FS]*", "WebSearch", True),
    ],
)
def test_glob_match_examples(pattern, name, expected):
    assert glob_match(pattern, name) is expected


DOCS = [
    {},
    [],
    {"a": [1, 2.5, -3e-7, None, True, False, "x"]},
    {"unicode": "é ü 日本 \U0001f600", "escapes": "\"\\/\b\f\n\r\t\u0000\u001f"},
    {"lone surrogate": "\ud800"},
    {"nested": {"deep": [[[[{"k": "v"}]]]]}},
    {"big int": 12345678901234567890, "float": 0.1},
]


@pytest.mark.parametrize("doc", DOCS, ids=range(len(DOCS)))
def test_fastjson_round_trips_like_json(doc):
    text = json.dumps(doc)
    assert fastjson.loads(text) == json.loads(text)
    assert fastjson.dumps(doc) == json.dumps(doc, sort_keys=True, separators=(",", ":"))
    assert json.loads(fastjson.dumps(doc)) == doc


@pytest.mark.parametrize("text", ["", " ", "{", '{"a":1} x', "[1,]", "NaN", "Infinity", "{'a': 1}", '"\\x"'])
def test_fastjson_rejects_what_is_not_one_standard_json_document(text):
    with pytest.raises(ValueError):
        fastjson.loads(text)


def test_fastjson_refuses_non_serializable_values():
    with pytest.raises(TypeError):
        fastjson.dumps({"x": object()})
    with pytest.raises(ValueError):
        fastjson.dumps({"x": float("nan")})


@pytest.mark.parametrize(
    "name,parts,key",
    [
        ("Bash", None, "Bash"),
        ("mcp__github__create_issue", ("github", "create_issue"), "mcp__github__*"),
        ("mcp__plugin_acme_db__query", ("plugin_acme_db", "query"), "mcp__plugin_acme_db__*"),
        ("mcp__srv__a__b", ("srv", "a__b"), "mcp__srv__*"),
        ("mcp__", None, "mcp__"),
        ("mcp____x", None, "mcp____x"),
        ("mcp__server__", None, "mcp__server__"),
    ],
)
def test_mcp_names(name, parts, key):
    assert split_mcp(name) == parts
    assert canonical_tool(name) == key


@pytest.mark.parametrize("value,ok", [
    ("2026-11-21T04:27:22.123Z", True), ("2026-11-21T04:27:22Z", True), ("2024-02-29T00:00:00Z", True),
    ("1970-01-01T00:00:00.0Z", True), ("2026-02-29T00:00:00Z", False), ("2100-02-29T00:00:00Z", False),
    ("2026-02-30T10:00:00.000Z", False), ("2026-13-01T00:00:00Z", False), ("2026-11-21T24:00:00Z", False),
    ("2026-11-21T04:60:00Z", False), ("1969-12-31T23:59:59Z", False), ("2026-11-21T04:27:22.Z", False),
    ("2026-11-21T04:27:22+00:00", False), ("2026-11-21 04:27:22Z", False), ("garbage", False), ("", False),
    ("２０２６-11-21T04:27:22Z", False),
])
def test_is_timestamp_accepts_what_now_iso_writes_and_real_dates_only(value, ok):
    """The hook's check by hand agrees with datetime's on every case (core/telemetry_record.is_timestamp)."""
    import datetime

    from lib.core import statefiles
    from lib.core.telemetry_record import is_timestamp

    assert is_timestamp(value) is ok
    if ok:
        datetime.datetime.fromisoformat(value[:-1])  # a real date and time
    assert is_timestamp(statefiles.now_iso())
