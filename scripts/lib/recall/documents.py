"""One file of the store -> one search document (`Document`): pure, no database here.

A session log (``docs/sessions/<OP>-<YYMMDD>-<NN>.md`` or a legacy ``CONV-*.md``) becomes its id,
day, operator, title, workstreams and one text per body section (`COLUMNS`); a workstream
(``workstreams/<slug>.md``) becomes its slug, title and its whole body as the ``summary``.

Cheap on purpose (the cold build of 10,000 logs must stay within a few times the cost of
reading them): a named log's id, operator and day come from its file name (the identity
/resume orders by, lib/resume/sessionlogs.py), its title from the body's ``# `` heading (what
write-session writes there), its workstreams from a plain block list matched by a pattern.
YAML is parsed only when one of those is not there or not plain, and for every legacy log
(their operator and day live only in the frontmatter).

Never fails on a file: broken frontmatter, invalid UTF-8 (replaced), NUL and other control
bytes (blanked), huge files and fields (capped) give a document plus one warning.
"""

from __future__ import annotations

import re

from ..logs.sections import EMPTY_SECTION
from ..resume.sessionlogs import (  # noqa: F401 - is_log_name: lib/recall/index.py imports it from here
    MAX_FRONTMATTER_BYTES,
    day_of_key,
    is_log_name,
    is_operator,
    legacy_day,
    legacy_key,
    name_key,
    norm_workstreams,
    split_frontmatter_bytes,
)
from .columns import COLUMNS, MAX_FILE_BYTES  # noqa: E402,F401 - the FTS column order

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

_HEADING_KEY_RE = re.compile(r"[^a-z0-9]")
# Lines that matter for splitting a body: a fence line or an ATX level-2 heading (setext
# headings are refused by write-session; a legacy one stays in its section's text). One split
# in C gives, per such line, 5 items: the whole line, the fence marker and the rest of a fence
# line (None for a heading), the heading's text (None for a fence line), then the text up to
# the next such line (`split_body`).
_LINE_SPLIT_RE = re.compile(r"(\n[ ]{0,3}(?:(`{3,}|~{3,})([^\n]*)|##(?!#)([^\n]*)))")
_CONTROL_BYTES = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# `workstreams:` as PyYAML's dumper writes it: a block list of plain slugs, or `[]`.
_WS_BLOCK_RE = re.compile(r"workstreams:[ ]*(?:\[\][ ]*)?\n((?:- [a-z0-9][a-z0-9-]*\n)*)(?=[^ -]|\Z)")
_YAML_WORDS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))


def _key(heading: str) -> str:
    return _HEADING_KEY_RE.sub("", heading.lower())


_COLUMN_BY_KEY = {_key(name): column for name, column in SECTION_COLUMNS.items()}
_COLUMN_BY_KEY.update(_ALIASES)


def column_of(heading: str) -> str:
    """The column of a ``## `` heading's text (unknown headings: ``did``, the general body)."""
    column = SECTION_COLUMNS.get(heading)
    return column if column is not None else _COLUMN_BY_KEY.get(_key(heading), "did")


class Document:
    """What the index stores for one file. ``columns``: column -> text (``COLUMNS`` order)."""

    __slots__ = ("kind", "id", "path", "day", "operator", "title", "workstreams", "sort_key", "columns", "warning")

    def __init__(self, kind, id, path, day, operator, title, workstreams, sort_key, columns, warning):
        self.kind = kind
        self.id = id
        self.path = path
        self.day = day
        self.operator = operator
        self.title = title
        self.workstreams = workstreams
        self.sort_key = sort_key
        self.columns = columns
        self.warning = warning


def _clean(text: str) -> str:
    """NUL and other control characters blanked (tab, newline and CR kept): SQLite and FTS5
    would cut or mis-tokenize at them, and search.py marks matches with two of them."""
    return _CONTROL_RE.sub(" ", text) if _CONTROL_RE.search(text) else text


def _cap(text: str, cap: int) -> str:
    return text[:cap] if len(text) > cap else text


def _sections(pairs, title_area: str) -> tuple[str, dict]:
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


def _column(raw: str) -> str:
    """The column of a ``## `` heading's raw text (as `column_of`; the exact name is the fast case)."""
    return SECTION_COLUMNS.get(raw.strip()) or column_of(_heading(raw))


def split_body(body: str) -> tuple[str, dict]:
    """(the ``# `` title line's text or "", {column: text}) of a markdown body.

    Text under an unknown heading, and before the first one, goes to ``did`` (the general
    body) so nothing in a log is unsearchable; a heading inside fenced code is text."""
    parts = _LINE_SPLIT_RE.split("\n" + body)
    if not any(parts[2::5]):  # no fence line (most logs): every heading starts a section
        return _sections(zip(map(_column, parts[4::5]), parts[5::5]), parts[0])
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
            column = _column(parts[j + 3])
            text = [parts[j + 4]]
            continue
        text.append(parts[j])
        text.append(parts[j + 4])
    if column is None:
        title_area = "".join(text)
    else:
        pairs.append((column, "".join(text)))
    return _sections(pairs, title_area)


def _heading(raw: str) -> str:
    heading = raw.strip(" \t")
    return heading.rstrip("#").rstrip(" \t") if heading.endswith("#") else heading


def _quick_workstreams(fm: str):
    """The ``workstreams:`` list when it is a plain block list of slugs (as write-session
    writes it) and the key appears once; None means "parse the YAML"."""
    at = fm.find("workstreams:")
    if at < 0:
        return []
    if fm.find("workstreams:", at + 12) >= 0:
        return None  # twice (the first may be text inside another value)
    m = _WS_BLOCK_RE.match(fm, at) if at == 0 or fm[at - 1] == "\n" else None
    if m is None:
        return None
    items = [line[2:] for line in m.group(1).split("\n") if line]
    if any(item in _YAML_WORDS or item.isdigit() for item in items):
        return None
    return norm_workstreams(items)


def _yaml(fm: str, rel: str):
    """(meta, None) or ({}, reason)."""
    from ..logs import frontmatter

    try:
        return frontmatter.parse_yaml(fm, rel), None
    except frontmatter.FrontmatterError as exc:
        reason = str(exc)
        return {}, reason[len(rel) + 2 :] if reason.startswith(rel + ": ") else reason


def _one_line(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return " ".join(value.split()) if isinstance(value, str) else ""


def decode(data: bytes, truncated: bool) -> tuple[str, list]:
    """Text of a file and its problems (invalid UTF-8 is replaced, not refused)."""
    problems = []
    if truncated:
        problems.append("over %d bytes; only the start is indexed" % MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        if not truncated:  # a cut inside a character is not the file's fault
            problems.append("not valid UTF-8 (undecodable bytes replaced)")
    return text, problems


def log_document(rel: str, name: str, data: bytes, truncated: bool) -> Document:
    """The document of session log ``name`` (``docs/sessions/<name>``) from its bytes."""
    return Document(*log_fields(rel, name, data, truncated))


def _plain_log(rel: str, name: str, key: tuple, data: bytes) -> tuple | None:
    """`log_fields` of a named log as write-session writes it (``---`` LF frontmatter closed by
    a bare ``---`` line, within the limit; UTF-8; no control bytes in the body; workstreams a
    plain block list; a ``# `` title): what the general path gives such a file, in fewer steps
    (no YAML, no decode helpers, nothing to warn about). None: take the general path.

    Why: parsing was about 15 us of the 40 us a cold build spends per log (bench_recall.py)."""
    i = data.find(b"\n---", 3)  # the closing line: split_frontmatter_bytes' first candidate
    if i < 0 or data[i + 4 : i + 5] != b"\n" or i - 3 > MAX_FRONTMATTER_BYTES:
        return None
    body_bytes = data[i + 5 :]
    if len(body_bytes.translate(None, _CONTROL_BYTES)) != len(body_bytes):
        return None
    try:
        fm = data[4 : i + 1].decode("utf-8")
        body = body_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return None
    title, columns = split_body(body)
    workstreams = _quick_workstreams(fm)
    if workstreams is None or not title:
        return None
    if len(body) > MAX_FIELD_CHARS:  # a column is at most the body's length
        columns = {c: (t if len(t) <= MAX_FIELD_CHARS else t[:MAX_FIELD_CHARS]) for c, t in columns.items()}
    return (
        "log", name[:-3], rel, day_of_key(key), key[2], _cap(_clean(title), MAX_TITLE_CHARS), workstreams,
        "%s-%06d-%s" % key, columns, None,
    )


def log_fields(rel: str, name: str, data: bytes, truncated: bool) -> tuple:
    """A log's `Document` fields in order (kind, id, path, day, operator, title, workstreams,
    sort_key, columns, warning), without building the object (the cold build's hot path)."""
    key = name_key(name)
    if key is not None and not truncated and data.startswith(b"---\n"):
        fields = _plain_log(rel, name, key, data)
        if fields is not None:
            return fields
    _, problems = decode(b"", truncated)
    fm_bytes = split_frontmatter_bytes(data, not truncated)
    if fm_bytes is None:
        body_bytes = data
        if data.startswith((b"---\n", b"---\r\n")):
            problems.append("frontmatter is never closed (no second '---' line); indexed by its body")
        else:
            problems.append("no frontmatter; indexed by its body")
    else:
        closing = (4 if data.startswith(b"---\n") else 5) + len(fm_bytes)  # the second '---' line
        end = data.find(b"\n", closing)
        body_bytes = data[end + 1 :] if end >= 0 else b""
    fm, fm_problems = decode(fm_bytes or b"", False)
    body, body_problems = decode(body_bytes, truncated)
    if len(body_bytes.translate(None, _CONTROL_BYTES)) != len(body_bytes):
        body = _clean(body)
    problems += [p for p in fm_problems + body_problems if p not in problems] if fm_problems or body_problems else []
    title, columns = split_body(body)
    stem = name[:-3]
    legacy = key is None
    meta: dict = {}
    workstreams = None
    if fm_bytes is not None:
        if len(fm_bytes) > MAX_FRONTMATTER_BYTES:
            problems.append("frontmatter is over %d bytes; indexed by its body" % MAX_FRONTMATTER_BYTES)
        else:
            workstreams = None if legacy else _quick_workstreams(fm)
            if legacy or workstreams is None or not title:
                meta, reason = _yaml(fm, rel)
                if reason:
                    problems.append(reason + "; indexed by its body")
                workstreams = norm_workstreams(meta.get("workstreams"))
    fm_title = _one_line(meta.get("title"))
    title = fm_title or title or stem
    if legacy:
        op = meta.get("operator") if is_operator(meta.get("operator")) else None
        day = legacy_day({"date": meta.get("date"), "ended": meta.get("ended_at")})
        sort_key = "%s-%06d-%s" % legacy_key(name, day)
    else:
        op, day = key[2], day_of_key(key)
        sort_key = "%s-%06d-%s" % key
    if "summary" not in columns and isinstance(meta.get("summary"), str):
        # The frontmatter's summary (no ## Summary in the body): YAML escapes can carry control
        # characters, which the body's text had blanked already (search.py marks matches with two)
        columns["summary"] = _clean(meta["summary"])
    cols = {c: (t if len(t) <= MAX_FIELD_CHARS else t[:MAX_FIELD_CHARS]) for c, t in columns.items()}
    return (
        "log", stem, rel, day, op, _cap(_clean(title), MAX_TITLE_CHARS), workstreams or [], sort_key, cols,
        "; ".join(problems) or None,
    )


def workstream_document(rel: str, name: str, data: bytes, truncated: bool) -> Document:
    """The document of workstream ``name`` (``workstreams/<name>``): title and whole body."""
    text, problems = decode(data, truncated)
    slug = name[:-3]
    meta: dict = {}
    body = text
    fm_bytes = split_frontmatter_bytes(data, not truncated)
    if fm_bytes is not None:
        from ..logs import frontmatter

        yaml_text, body = frontmatter.split(text)
        meta, reason = _yaml(yaml_text or "", rel)
        if reason:
            problems.append(reason + "; indexed by its body")
    title = _one_line(meta.get("title"))
    lines = body.lstrip("\n").split("\n", 1)
    if lines[0].startswith("# "):
        title = title or lines[0][2:].strip()
        body = lines[1] if len(lines) > 1 else ""
    owner = meta.get("owner") if is_operator(meta.get("owner")) else None
    updated = meta.get("updated")
    day = updated[:10] if isinstance(updated, str) and len(updated) >= 10 else None
    return Document(
        "workstream", slug, rel, day, owner, _cap(_clean(title or slug), MAX_TITLE_CHARS), [slug],
        "%s-%06d-%s" % ((day or "").replace("-", ""), 0, slug),
        {"summary": _cap(_clean(body.strip()), MAX_FIELD_CHARS)}, "; ".join(problems) or None,
    )
