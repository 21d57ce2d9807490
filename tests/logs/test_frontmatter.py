"""lib/logs/frontmatter.py: exact round trips, and every bad file is one FrontmatterError, never a
traceback or a hang."""

from __future__ import annotations

import os
import threading

import pytest

from lib.logs import frontmatter
from lib.logs.frontmatter import FrontmatterError

ROUND_TRIP = [
    "a: b",
    "'q'",
    "---",
    "x\n---\ny",
    "@x",
    "yes",
    "null",
    "2026-01-02",
    "2026-01-02T03:04:05Z",
    "1e3",
    "multi\nline",
    "trail  ",
    "trail \nline  ",
    "tab\there",
    "\ttab lead",
    " lead",
    "\n\nx",
    "x\n\n",
    "a\u2028b",
    "\ufeffx",
    "x #y",
    "key: |\n  lit",
    "x\n...\ny",
    "é ☃ 𝄞",
]


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_strings_round_trip_exactly(value):
    doc = frontmatter.parse(frontmatter.dumps({"k": value}, "body"))
    assert doc.meta == {"k": value} and doc.body == "body"


IMPOSSIBLE = [
    "date: 2026-02-30",
    "started_at: 2026-11-21T25:00:00Z",
    "date: 0000-01-01",
    "at: 2026-01-01T00:00:00+99:00",
]


@pytest.mark.parametrize("line", IMPOSSIBLE)
def test_impossible_timestamps_are_a_frontmatter_error(line):
    """PyYAML builds these with datetime, which raises ValueError: it must not escape."""
    with pytest.raises(FrontmatterError) as info:
        frontmatter.parse(f"---\nid: x\n{line}\n---\nbody\n", "docs/sessions/RT-261121-04.md")
    message = str(info.value)
    assert message.startswith("docs/sessions/RT-261121-04.md: ") and "\n" not in message


def test_load_keeps_every_byte_of_the_body(tmp_path):
    """No newline translation: a lone CR stays a CR (so a heading check sees it), CRLF stays."""
    path = tmp_path / "log.md"
    path.write_bytes(b"---\r\nk: v\r\n---\r\n# T\r\nx\r## Open Questions\ry\r\n")
    doc = frontmatter.load(str(path))
    assert doc.meta == {"k": "v"}
    assert doc.body == "# T\r\nx\r## Open Questions\ry\r\n"


def test_load_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    link = tmp_path / "link.md"
    link.symlink_to("/dev/zero")
    for path, problem in ((fifo, "not a regular file"), (link, "symbolic link"), (tmp_path, "not a regular file")):
        result: list = []
        reader = threading.Thread(target=lambda p=path, r=result: r.append(_load_error(p)), daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert result, f"{path}: load hangs"
        assert problem in result[0] and "\n" not in result[0]


def _load_error(path) -> str:
    try:
        frontmatter.load(str(path))
    except FrontmatterError as exc:
        return str(exc)
    return "loaded"


def test_load_missing_and_non_utf8(tmp_path):
    with pytest.raises(FrontmatterError, match="no such file"):
        frontmatter.load(str(tmp_path / "nope.md"))
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe---\n")
    with pytest.raises(FrontmatterError, match="not UTF-8"):
        frontmatter.load(str(bad))


# ---------------------------------------------------------------------------- the codec
# `encode`/`decode` (write-session's frontmatter shape and its exact inverse) must read every
# frontmatter as YAML does: equal data, equal types (True is not 1, 1.0 is not 1), equal order.
# `decode` answers None for anything it was not written for, and `read_meta` falls back to YAML.


def typed(value):
    """``value`` with every type spelled out, so that True != 1 and 1.0 != 1 compare unequal."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def yaml_or_error(text: str):
    try:
        return typed(frontmatter.parse_yaml(text))
    except FrontmatterError:
        return "error"


def assert_codec_agrees(text: str) -> None:
    """``decode`` is None or YAML's data; ``read_meta`` is YAML's data (or the same error)."""
    truth = yaml_or_error(text)
    got = frontmatter.decode(text)
    assert got is None or typed(got) == truth, (text, got, truth)
    try:
        meta = typed(frontmatter.read_meta(text))
    except FrontmatterError:
        meta = "error"
    assert meta == truth, text


WRITTEN = [  # write-session inputs: the tricky strings a model or a user gives
    {},
    {"title": 'Quotes "double" and \'single\', a back\\slash, a #hash and a: colon',
     "summary": "Unicode: é ☃ 𝄞 😀 — and a tab\there.\nA second line.",
     "resume_prompt": "## Not a heading\n```text\ncode: [1, 2]\n```\n- yes\n- null\n- 1e5",
     "workstreams": ["parser", "yes-no", "a1"]},
    {"title": "2026-01-02", "summary": "null", "resume_prompt": "true", "workstreams": []},
    {"title": "Line\u2028separator and \ufeff BOM", "summary": "1e-05 and 0.1"},
    {"title": "x" * 200, "summary": "  leading and trailing spaces  ", "confidence": "H"},
]


def test_the_codec_reads_what_write_session_writes_as_yaml_does(tmp_path):
    """Real write-session outputs (telemetry, no telemetry, tricky strings): the frontmatter of
    a plain one is in the codec's shape, and every one reads as YAML reads it."""
    from handoff_fixtures import make_repo, request

    repo = make_repo(tmp_path)
    repo.commit("feat: one", {"a.py": "1\n"}, when="2026-11-21T09:00:00Z")
    repo.tool_calls("sess-tel", 2, "Bash")
    repo.tool_calls("sess-tel", 1, "mcp__github__create_issue")
    written = []
    for n, overrides in enumerate(WRITTEN):
        sid = "sess-tel" if n == 0 else "sess-%d" % n
        out = repo.write_ok(request(**overrides), sid, {"HANDOFF_NOW": "2026-11-21T1%d:00:00Z" % n})
        text = (repo.path / out["path"]).read_text(encoding="utf-8")
        fm, _ = frontmatter.split(text)
        assert_codec_agrees(fm)
        written.append(fm)
    assert frontmatter.decode(written[0]) is not None  # the usual log: no YAML parse to read it
    assert frontmatter.decode(written[0])["tool_calls"] == {"Bash": 2, "mcp__github__*": 1}
    assert frontmatter.decode(written[1]) is not None
    # Mutations of a real one: each differs from the writer's shape, and reads as YAML does.
    for fm in written:
        for mutated in mutations(fm):
            assert_codec_agrees(mutated)


def mutations(fm: str):
    lines = fm.splitlines(keepends=True)
    yield fm.replace("\n", "\r\n")  # CRLF
    yield lines[0].rstrip("\n") + "  # a hand-written comment\n" + "".join(lines[1:])
    yield "# a comment line\n" + fm
    yield "".join(lines[1:] + lines[:1])  # keys reordered: still the codec's shape
    yield fm + lines[-1]  # a key twice
    yield fm.replace(": ", ":  ", 1)
    yield fm.replace('": "', '":"', 1)
    yield fm + 'summary: "a value\n  split over lines"\n'
    for value in ("1e5", "1E5", "1.5e-3", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "+1", "01", ".5",
                  "1.", '"\\u00e9"', '"\\ud83d\\ude00"', '"\\/"', '"\\x41"', "yes", "~", "", "[1, 2,]", "{a: 1}",
                  "'single'", '"tab\there"', "2026-01-02", "!!str x", "&a 1", "*a", "1, 2", '"a", "b"', "[1], [2]"):
        yield fm + "extra: %s\n" % value
        yield "extra: %s\n" % value + fm  # (a value that is two would shift the others)
    yield fm.rstrip("\n")  # no final newline


def test_decode_refuses_each_hand_made_variation_and_read_meta_is_yaml():
    base = frontmatter.encode({"id": "RT-261121-01", "title": "T", "summary": "S", "workstreams": ["a"],
                               "usage": {"cost_usd": 0.1, "input_tokens": 3}})
    assert base is not None and frontmatter.decode(base) is not None
    refused = {
        "CRLF": base.replace("\n", "\r\n"),
        "a comment": base.replace('"T"\n', '"T"  # note\n'),
        "a key twice": base + 'title: "U"\n',
        "a value split over lines": base + 'note: "a\n  b"\n',
        "two values on a line": 'extra: 1, 2\n' + base,  # YAML: the string "1, 2"
        "a list split over lines": "extra: [1\nmore: 2]\nlast: 3, 4\n" + base,
        "an exponent": base + "extra: 1e5\n",
        "NaN": base + "extra: NaN\n",
        "a \\u escape": base + 'extra: "\\u00e9"\n',
        "a \\/ escape": base + 'extra: "a\\/b"\n',
        "no final newline": base.rstrip("\n"),
        "a YAML word as key": base + 'yes: "x"\n',
        "an empty value": base + "extra: \n",
    }
    for why, text in refused.items():
        assert frontmatter.decode(text) is None, why
        assert_codec_agrees(text)
    reordered = "".join(reversed(base.splitlines(keepends=True)))
    assert frontmatter.decode(reordered) is not None, "reordering keys is fine"
    assert_codec_agrees(reordered)


STRINGS = ["", "a", "q\"uote", "it's", "back\\slash", "\\u00e9", "é", "☃", "𝄞", "😀", "\u2028", "\u2029", "\x85",
           "\ufeff", "\ufeffx", "tab\t", "line\nbreak", "cr\r", "\x07bell", "\x00", "# hash", "a: b", "- item",
           "[x]", "{x}", "yes", "null", "~", "1e5", "2026-01-02", "0x10", "  spaced  ", "'", '"', "&a", "*a", "!x",
           "%", "@", "`", "|", ">", "...", "---", "\u00a0", "\u200b", "\U0010ffff", "\ud800"]
FLOATS = [0.1, 1e-05, 1e16, 1.5, -0.0, 0.0, 3.0, 1e300, 2.5e-300, 123456.789, float("inf"), float("nan")]
KEYS = ["id", "title", "summary", "usage", "x", "k2", "yes", "no", "null", "on", "Key", "a-b", "1x", "_", "é", "a b",
        "tool_calls", "mcp"]


def random_value(rng, depth: int = 0):
    kind = rng.random()
    if kind < 0.35:
        return "".join(rng.choice(STRINGS) for _ in range(rng.randint(0, 3)))
    if kind < 0.45:
        return rng.choice([0, 1, -1, 7, 2**31, 2**64 + 1, -(10**20)])
    if kind < 0.55:
        return rng.choice(FLOATS)
    if kind < 0.62:
        return rng.choice([True, False, None])
    if kind < 0.8 and depth < 3:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 3:
        return {rng.choice(KEYS + STRINGS[:12]): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice(STRINGS)


def test_the_codec_equals_yaml_on_random_metas():
    """Random metas: when ``encode`` takes one, ``decode`` gives it back exactly and YAML reads
    the same; either way ``dumps`` then ``parse`` gives it back (or the codec declines)."""
    import random

    rng = random.Random(17)
    taken = 0
    for _ in range(5000):
        meta = {rng.choice(KEYS): random_value(rng) for _ in range(rng.randint(1, 6))}
        text = frontmatter.encode(meta)
        if text is None:
            continue
        taken += 1
        assert typed(frontmatter.decode(text)) == typed(meta) == yaml_or_error(text), text
        assert typed(frontmatter.parse(frontmatter.dumps(meta, "b")).meta) == typed(meta)
        for mutated in mutations(text):
            assert_codec_agrees(mutated)
    assert taken > 300
