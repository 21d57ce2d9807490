"""One file of the store -> one search document (`Document`): pure, no database here.

A session log (``docs/sessions/<OP>-<YYMMDD>-<NN>.md`` or a legacy ``CONV-*.md``) becomes its id,
day, operator, title, workstreams and one text per body section (`COLUMNS`); a workstream
(``workstreams/<slug>.md``) becomes its slug, title and its whole body as the ``summary``.

Cheap on purpose (the cold build of 10,000 logs must stay within a few times the cost of
reading them): a named log's id, operator and day come from its file name (the identity
/resume orders by, lib/resume/sessionlogs.py), its title from the body's ``# `` heading (what
write-session writes there), its workstreams from a plain block list (lib/recall/plainlog.py,
which parses a log in write-session's shape without ``re``, answers first). YAML is parsed only
when one of those is not there or not plain, and for every legacy log (their operator and day
live only in the frontmatter).

Never fails on a file: broken frontmatter, invalid UTF-8 (replaced), NUL and other control
bytes (blanked), huge files and fields (capped) give a document plus one warning. (A log read
from its quick reads had no YAML parsed: broken YAML elsewhere in its frontmatter is warned
about once the deferred check has parsed it, `frontmatter_problem`, index.check_frontmatters.)
"""

from __future__ import annotations

import re

from ..resume.sessionlogs import (
    is_operator,
    legacy_day,
    legacy_key,
    name_key,
    split_frontmatter_bytes,
)
from . import plainlog
from .columns import COLUMNS, MAX_FILE_BYTES  # noqa: E402,F401 - the FTS column order
from .plainlog import (  # noqa: F401 - SECTION_COLUMNS, column_of: tests/recall/test_documents.py
    CONTROL_BYTES,
    MAX_FIELD_CHARS,  # tests/recall/test_documents.py
    MAX_FRONTMATTER_BYTES,
    MAX_TITLE_CHARS,
    SECTION_COLUMNS,
    cap,
    capped,
    column_of,
    day_of_key,
    from_parts,
    norm_workstreams,
    quick_workstreams,
)

# Lines that matter for splitting a body: a fence line or an ATX level-2 heading (setext
# headings are refused by write-session; a legacy one stays in its section's text). One split
# in C gives, per such line, 5 items: the whole line, the fence marker and the rest of a fence
# line (None for a heading), the heading's text (None for a fence line), then the text up to
# the next such line (`split_body`).
_LINE_SPLIT_RE = re.compile(r"(\n[ ]{0,3}(?:(`{3,}|~{3,})([^\n]*)|##(?!#)([^\n]*)))")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def split_body(body: str) -> tuple[str, dict]:
    """(the ``# `` title line's text or "", {column: text}) of a markdown body (plainlog.from_parts
    says how), split by one pattern in C: the cold build's way (plainlog.split_lines does without)."""
    return from_parts(_LINE_SPLIT_RE.split("\n" + body))


def _yaml(fm: str, rel: str):
    """(meta, None) or ({}, the warning: ``<reason>; indexed by its body``)."""
    from ..logs import frontmatter

    try:
        return frontmatter.parse_yaml(fm, rel), None
    except frontmatter.FrontmatterError as exc:
        reason = str(exc)
        reason = reason[len(rel) + 2 :] if reason.startswith(rel + ": ") else reason
        return {}, reason + "; indexed by its body"


def frontmatter_problem(rel: str, data: bytes) -> str | None:
    """The warning a log's frontmatter earns when its YAML is parsed (``<reason>; indexed by its
    body``), or None: for a log first indexed from its quick reads (index.check_frontmatters)."""
    fm_bytes = split_frontmatter_bytes(data, True)
    if fm_bytes is None or len(fm_bytes) > MAX_FRONTMATTER_BYTES:
        return None  # no frontmatter, or too long to parse: warned at once, never marked
    return _yaml(fm_bytes.decode("utf-8", "replace"), rel)[1]


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


def log_fields(rel: str, name: str, data: bytes, truncated: bool) -> tuple:
    """A log's `Document` fields in order (kind, id, path, day, operator, title, workstreams,
    sort_key, columns, warning), without building the object (the cold build's hot path)."""
    return parsed_log(rel, name, data, truncated)[0]


def parsed_log(rel: str, name: str, data: bytes, truncated: bool) -> tuple:
    """(`log_fields`, whether the frontmatter was looked at whole: its YAML parsed, or none to
    parse). When not, index.check_frontmatters parses it later, to warn about broken YAML."""
    if not truncated:
        fields = plainlog.fields(rel, name, data, split_body)
        if fields is not None:
            return fields, False
    return _general(rel, name, data, truncated)


def general_fields(rel: str, name: str, data: bytes, truncated: bool) -> tuple:
    """`log_fields` of any file, by the general path: what `plainlog.fields` must give wherever
    it answers (tests/recall/test_plainlog.py)."""
    return _general(rel, name, data, truncated)[0]


def _general(rel: str, name: str, data: bytes, truncated: bool) -> tuple:
    key = name_key(name)
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
    if len(body_bytes.translate(None, CONTROL_BYTES)) != len(body_bytes):
        body = _clean(body)
    problems += [p for p in fm_problems + body_problems if p not in problems] if fm_problems or body_problems else []
    title, columns = split_body(body)
    stem = name[:-3]
    legacy = key is None
    meta: dict = {}
    workstreams = None
    whole = True  # the frontmatter looked at whole: none, too long to parse, or its YAML parsed
    if fm_bytes is not None:
        if len(fm_bytes) > MAX_FRONTMATTER_BYTES:
            problems.append("frontmatter is over %d bytes; indexed by its body" % MAX_FRONTMATTER_BYTES)
        else:
            workstreams = None if legacy else quick_workstreams(fm)
            whole = False
            if legacy or workstreams is None or not title:
                whole = True
                meta, warning = _yaml(fm, rel)
                if warning:
                    problems.append(warning)
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
    fields = (
        "log", stem, rel, day, op, cap(_clean(title), MAX_TITLE_CHARS), workstreams or [], sort_key, capped(columns),
        "; ".join(problems) or None,
    )
    return fields, whole


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
        meta, warning = _yaml(yaml_text or "", rel)
        if warning:
            problems.append(warning)
    title = _one_line(meta.get("title"))
    lines = body.lstrip("\n").split("\n", 1)
    if lines[0].startswith("# "):
        title = title or lines[0][2:].strip()
        body = lines[1] if len(lines) > 1 else ""
    owner = meta.get("owner") if is_operator(meta.get("owner")) else None
    updated = meta.get("updated")
    day = updated[:10] if isinstance(updated, str) and len(updated) >= 10 else None
    return Document(
        "workstream", slug, rel, day, owner, cap(_clean(title or slug), MAX_TITLE_CHARS), [slug],
        "%s-%06d-%s" % ((day or "").replace("-", ""), 0, slug),
        {"summary": cap(_clean(body.strip()), MAX_FIELD_CHARS)}, "; ".join(problems) or None,
    )
