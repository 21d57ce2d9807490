"""A session log as write-session writes it -> its search document's fields, without ``re``.

Why a module of its own: the first search after a new log parses that one log, and importing
``re`` (with ``enum``) would be ~2.4 ms of a search that costs ~35 (tests/bench/bench_recall.py).
So this module, and what it imports, use string operations only. `fields` answers for the
shape write-session writes (``---`` LF frontmatter closed by a bare ``---`` line, a named log,
UTF-8, no control bytes, a ``# `` title, workstreams a plain block list) and says None for
anything else: lib/recall/documents.py, which handles every file, takes it then.

The one rule written twice is finding the lines that split a body: `split_parts` (string
operations) and ``documents.split_body`` (one regular expression, faster per log once ``re``
is imported); both feed `from_parts`. tests/recall/test_plainlog.py holds them equal, and
`fields` equal to documents' general path on every input it accepts.
"""

from __future__ import annotations

from ..resume.lognames import MAX_FRONTMATTER_BYTES, day_of_key, norm_workstreams, parse_name

EMPTY_SECTION = "_None._"  # logs/session_log.EMPTY_SECTION (that module pulls dataclasses; logs/sections re)
# Section names are logs/session_log.py SECTIONS, in order (tests/recall/test_documents.py).
SECTION_COLUMNS = {  # lib/logs/session_log.py SECTIONS -> column
    "Summary": "summary",
    "What I Did": "did",
    "Decisions Made": "decisions",
    "For Future Me": "future",
    "Learnings": "learnings",
    "Open Questions": "questions",
    "Resume Prompt": "resume",
}
# Headings of older (Notion-era, CONV-*) logs, by their normalised key.
_ALIASES = {
    "decisions": "decisions",
    "keydecisions": "decisions",
    "whatwasdone": "did",
    "done": "did",
    "learned": "learnings",
    "lessonslearned": "learnings",
    "questions": "questions",
    "nextsteps": "future",
    "next": "future",
    "resume": "resume",
    "tldr": "summary",
}
MAX_TITLE_CHARS = 500
MAX_FIELD_CHARS = 200_000  # per column
CONTROL_BYTES = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"  # blanked (documents._clean)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_SLUG_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"
_YAML_WORDS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))


def _key(heading: str) -> str:
    """A heading's letters and digits (ASCII), lower case: "Key Decisions:" -> "keydecisions"."""
    return "".join(c for c in heading.lower() if c in _KEY_CHARS)


_COLUMN_BY_KEY = {_key(name): column for name, column in SECTION_COLUMNS.items()}
_COLUMN_BY_KEY.update(_ALIASES)


def column_of(heading: str) -> str:
    """The column of a ``## `` heading's text (unknown headings: ``did``, the general body)."""
    column = SECTION_COLUMNS.get(heading)
    return column if column is not None else _COLUMN_BY_KEY.get(_key(heading), "did")


def heading_text(raw: str) -> str:
    heading = raw.strip(" \t")
    return heading.rstrip("#").rstrip(" \t") if heading.endswith("#") else heading


def column_of_raw(raw: str) -> str:
    """The column of a ``## `` heading's raw text (as `column_of`; the exact name is the fast case)."""
    return SECTION_COLUMNS.get(raw.strip()) or column_of(heading_text(raw))


def cap(text: str, limit: int) -> str:
    return text[:limit] if len(text) > limit else text


def capped(columns: dict) -> dict:
    """Every column at most `MAX_FIELD_CHARS`."""
    return {c: cap(t, MAX_FIELD_CHARS) for c, t in columns.items()}


def sections(pairs, title_area: str) -> tuple[str, dict]:
    """(title, {column: text}) from the text before the first heading and (column, text) pairs."""
    columns: dict = {}
    title = ""
    lines = title_area.lstrip("\n").split("\n", 1)
    if lines[0].startswith("# "):
        title = lines[0][2:].strip()
        title_area = lines[1] if len(lines) > 1 else ""
    title_area = title_area.strip()
    if title_area:
        columns["did"] = title_area
    for column, chunk in pairs:
        chunk = chunk.strip()
        if not chunk or chunk == EMPTY_SECTION:
            continue
        columns[column] = columns[column] + "\n\n" + chunk if column in columns else chunk
    return title, columns


def _special_lines(text: str):
    """Each line of ``text`` (which starts with "\\n") that splits a body, as documents.py's
    pattern finds them: (start: its "\\n", end: the next "\\n" or the end, fence marker or None,
    the rest of a fence line, a heading's text or None). A line that counts is at most three
    spaces, then a fence marker (three or more backticks or tildes: the whole run) or ``##``
    with no third ``#``."""
    n = len(text)
    start = 0
    while start < n:
        end = text.find("\n", start + 1)
        if end < 0:
            end = n
        at = start + 1
        while at < end and at - start <= 3 and text[at] == " ":
            at += 1
        c = text[at : at + 1]
        if c == "`" or c == "~":
            run = at
            while run < end and text[run] == c:
                run += 1
            if run - at >= 3:
                yield start, end, text[at:run], text[run:end], None
        elif c == "#" and text.startswith("##", at) and text[at + 2 : at + 3] != "#":
            yield start, end, None, None, text[at + 2 : end]
        start = end


def split_parts(text: str) -> list:
    """What documents.py's pattern gives ``re.split`` on ``text`` (which starts with "\\n", as
    `split_lines` makes it: the pattern's every match starts at a newline), without ``re``: the text
    before the first special line, then per special line its whole text, fence marker, rest
    of a fence line, heading text (None where they do not apply) and the text up to the next."""
    parts = []
    after = 0
    for start, end, marker, info, heading in _special_lines(text):
        parts += (text[after:start], text[start:end], marker, info, heading)
        after = end
    parts.append(text[after:])
    return parts


def from_parts(parts: list) -> tuple[str, dict]:
    """(the ``# `` title line's text or "", {column: text}) of a body split into ``parts``.

    Text under an unknown heading, and before the first one, goes to ``did`` (the general
    body) so nothing in a log is unsearchable; a heading inside fenced code is text."""
    if not any(parts[2::5]):  # no fence line (most logs): every heading starts a section
        return sections(zip(map(column_of_raw, parts[4::5]), parts[5::5]), parts[0])
    # A fence line opens a fence, or closes the open one (same character, at least as long,
    # nothing after it); a heading inside a fence is text, as are the fence lines themselves.
    fence = None
    pairs = []
    column = None  # before the first heading
    title_area = ""
    text = [parts[0]]
    for j in range(1, len(parts), 5):
        marker = parts[j + 1]
        if marker is not None:
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not parts[j + 2].strip():
                fence = None
        elif fence is None:
            if column is None:
                title_area = "".join(text)
            else:
                pairs.append((column, "".join(text)))
            column = column_of_raw(parts[j + 3])
            text = [parts[j + 4]]
            continue
        text.append(parts[j])
        text.append(parts[j + 4])
    if column is None:
        title_area = "".join(text)
    else:
        pairs.append((column, "".join(text)))
    return sections(pairs, title_area)


def split_lines(body: str) -> tuple[str, dict]:
    """``documents.split_body`` without ``re``: slower per log (~8 us against ~5), so for a few."""
    return from_parts(split_parts("\n" + body))


def _is_plain_slug(item: str) -> bool:
    """A slug YAML reads as that very string: a letter first (not a number, a date, 0x1f...)."""
    return item[:1].isalpha() and item.isascii() and not item.strip(_SLUG_CHARS)  # strip: every character one of them


# Where a line starts, for YAML: after a line break of any kind, or the byte-order mark.
_LINE_STARTS = "\n\r\x85\u2028\u2029\ufeff"


# What may start a line whose "workstreams" is a key spelled another way: an explicit key, an
# anchor, a tag, an alias, a quoted or flow key.
_NODE_MARKS = ("?", "&", "!", "*", '"', "'", "{", "[")


def _other_key_spelling(fm: str, at: int) -> bool:
    """Whether "workstreams" appears anywhere but at ``at`` where it could be a key: quoted or
    after ``?``, with a colon after it (spaces allowed) where a key starts (a line, or after
    ``{``, ``,``, ``[``), or first on an indented line (``? |-`` then the key's text). Then YAML
    must say. In running text (a summary that mentions workstreams: a word before it) it is not."""
    found = fm.find("workstreams")
    while found >= 0:
        if found != at:
            j = found - 1
            while j >= 0 and fm[j] in " \t":
                j -= 1
            before = fm[j] if j >= 0 else "\n"
            k = found + 11
            while k < len(fm) and fm[k] in " \t":
                k += 1
            if before in "\"'?" or (before in _LINE_STARTS + "{,[" and fm[k : k + 1] == ":"):
                return True
            if before in _LINE_STARTS and j < found - 1:  # first on an indented line: an explicit key's text?
                return True
            line = fm.rfind("\n", 0, found) + 1
            if fm[line:found].lstrip(" \t")[:1] in _NODE_MARKS:  # "? &a workstreams", "!!str workstreams:"...
                return True
        found = fm.find("workstreams", found + 11)
    return False


def quick_workstreams(fm: str):
    """The ``workstreams:`` list when it is a plain block list of slugs (as PyYAML's dumper
    writes it: ``workstreams:`` first on a line after a newline, then ``- slug`` lines, or
    ``workstreams: []``) followed by another plain key; None means "parse the YAML": the key
    twice or spelled another way (quoted, escaped, a space before the colon, after a tag or an
    anchor, an alias for it, a line break other than a newline before it), a blank or comment
    line in or after the list, an item YAML reads as something else (a number, a date,
    yes/no/null), items after ``[]``, a backslash anywhere (an escape may spell the key).

    Not seen here: a quoted value before the key that runs over several lines and holds a line
    ``workstreams:`` (YAML reads that line as text). write-session never writes one."""
    if "\\" in fm:
        return None
    if "&" in fm and ("\n*" in fm or fm[:1] == "*"):  # an anchor, and an alias first on a line: a key?
        return None
    at = fm.find("workstreams:")
    if at < 0:
        return None if _other_key_spelling(fm, -1) else []
    if (at and fm[at - 1] != "\n") or fm.find("workstreams:", at + 12) >= 0 or _other_key_spelling(fm, at):
        return None  # not at a line start (text inside a value, a tag before it...), twice, or spelled again
    n = len(fm)
    i = at + 12
    while i < n and fm[i] == " ":
        i += 1
    empty = fm.startswith("[]", i)
    if empty:
        i += 2
        while i < n and fm[i] == " ":
            i += 1
    if i >= n or fm[i] != "\n":
        return None
    i += 1
    items = []
    while not empty and fm.startswith("- ", i):
        end = fm.find("\n", i)
        if end < 0 or not _is_plain_slug(fm[i + 2 : end]):
            break
        items.append(fm[i + 2 : end])
        i = end + 1
    if i < n and not (fm[i].isascii() and (fm[i].isalpha() or fm[i] == "_")):
        return None  # not the start of another plain key: a blank or comment line, an item left
    if any(item in _YAML_WORDS for item in items):
        return None
    return norm_workstreams(items)


def fields(rel: str, name: str, data: bytes, split=split_lines) -> tuple | None:
    """A log's `Document` fields in order (kind, id, path, day, operator, title, workstreams,
    sort_key, columns, warning) for a named log in write-session's shape (the module's
    docstring), read whole; None: lib/recall/documents.py's `log_fields` answers instead.
    ``split``: the body splitter (documents passes its own, which also handles fences).

    Why a shortcut at all: parsing was about 15 us of the 40 us a cold build spends per log."""
    key = parse_name(name)
    if key is None or not data.startswith(b"---\n"):
        return None
    i = data.find(b"\n---", 3)  # the closing line: sessionlogs.split_frontmatter_bytes' first candidate
    if i < 0 or data[i + 4 : i + 5] != b"\n" or i - 3 > MAX_FRONTMATTER_BYTES:
        return None
    body_bytes = data[i + 5 :]
    if len(body_bytes.translate(None, CONTROL_BYTES)) != len(body_bytes):
        return None
    try:
        fm = data[4 : i + 1].decode("utf-8")
        body = body_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return None
    title, columns = split(body)
    workstreams = quick_workstreams(fm)
    if workstreams is None or not title:
        return None
    if len(body) > MAX_FIELD_CHARS:  # a column is at most the body's length
        columns = capped(columns)
    # The title comes from the body, which has no control character: nothing to blank.
    return (
        "log", name[:-3], rel, day_of_key(key), key[2], cap(title, MAX_TITLE_CHARS), workstreams,
        "%s-%06d-%s" % key, columns, None,
    )
