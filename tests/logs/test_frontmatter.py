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
