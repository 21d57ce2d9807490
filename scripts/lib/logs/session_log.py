"""The session log document: what ``write-session`` reads on stdin, and the file it writes.

Pure functions over dataclasses; no I/O here (lib/logs/write_session.py does the I/O).

Input (one JSON object): ``title``, ``summary``, ``resume_prompt``, ``confidence`` (H/M/L, or
high/medium/low), ``workstreams`` (slugs), ``body`` (an object {section: text or [items]}, or a
markdown string of ``## <Section>`` parts), and optionally ``session_id``, ``since`` and
``handoff_started_at`` (ISO timestamps). Unknown keys are refused, so a typo never silently
drops text.

Output: frontmatter (`FIELD_ORDER`, checked against scripts/lib/logs/schemas/session.schema.json)
then the body: ``# <title>`` and the `SECTIONS` in order, Summary and Resume Prompt taken from
their frontmatter fields. Section text is written verbatim; a section may not contain its own
level-2 heading (that would split it when read back): no ``## `` line (also indented by up to
three spaces, as CommonMark allows) and no setext heading (a text line underlined by ``---`` or
``===``); subsections use ``###``. Line breaks are ``\n``, ``\r\n`` or a lone ``\r`` for every
heading check, so no kind of line break can hide a heading.

Text fields may not hold control characters other than tab and newline (a NUL makes git treat
the log as binary; a lone ``\r`` is a line break to some readers and not to others).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.errors import HelperError
from . import items as items_mod
from .sections import section_items

SCHEMA_VERSION = 1
SECTIONS = (
    "Summary",
    "What I Did",
    "Decisions Made",
    "For Future Me",
    "Learnings",
    "Open Questions",
    "Resume Prompt",
)
FROM_FIELDS = {"Summary": "summary", "Resume Prompt": "resume_prompt"}
BODY_SECTIONS = tuple(s for s in SECTIONS if s not in FROM_FIELDS)
EMPTY_SECTION = "_None._"
FIELD_ORDER = (
    "schema_version",
    "id",
    "type",
    "operator",
    "title",
    "date",
    "session_id",
    "started_at",
    "ended_at",
    "branch",
    "head_commit",
    "start_commit",
    "commits_by",
    "commits",
    "files_changed",
    "insertions",
    "deletions",
    "first_commit_at",
    "last_commit_at",
    "commit_shas",
    "patch_ids",
    "changed_files",
    "changed_files_omitted",
    "active_min_estimate",
    "handoff_write_min",
    "tool_calls_total",
    "tool_calls",
    "mcp",
    "subagents",
    "failures",
    "interruptions_count",
    "parallel_sessions",
    "invariants",
    "workstreams",
    "supersedes",
    "resolves",
    "confidence",
    "summary",
    "resume_prompt",
)
# Written by every write-session, but absent from logs written before they existed (issue 20):
# the schema does not require them, so those logs stay valid.
OPTIONAL_FIELDS = ("start_commit", "commits_by", "commit_shas", "patch_ids", "changed_files", "changed_files_omitted",
                   "supersedes", "resolves")
TELEMETRY_FIELDS = (
    "tool_calls_total",
    "tool_calls",
    "mcp",
    "subagents",
    "failures",
    "interruptions_count",
    "parallel_sessions",
    "invariants",
)
CONFIDENCE = {"h": "H", "high": "H", "m": "M", "medium": "M", "med": "M", "l": "L", "low": "L"}
INPUT_KEYS = frozenset(
    (
        "title",
        "summary",
        "resume_prompt",
        "body",
        "confidence",
        "workstreams",
        "session_id",
        "since",
        "handoff_started_at",
        "supersedes",
        "resolves",
    )
)
# A draft's lifecycle references (issue 18, lib/logs/items.py RETIRES): written to the frontmatter
# only when not empty.
LIFECYCLE_FIELDS = items_mod.RETIRES
MAX_LIFECYCLE_REFS = 200
_H2_RE = re.compile(r"^[ ]{0,3}##(?!#)(.*)$")  # the text is stripped in Python: no lazy/greedy fight
_FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_SETEXT_RE = re.compile(r"^[ ]{0,3}(=+|-+)[ \t]*$")
# Lines that end a paragraph (so a '---' after them is no setext underline): any ATX heading,
# a thematic break, a list item, a block quote.
_BLOCK_START_RE = re.compile(
    r"^[ ]{0,3}(?:#{1,6}(?:[ \t]|$)|(?:-[ \t]*){3,}$|(?:\*[ \t]*){3,}$|(?:_[ \t]*){3,}$"
    r"|(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)|>)"
)
# Lines that start no paragraph: indented code, a table row.
_NO_PARAGRAPH_RE = re.compile(r"^(?:[ ]{4}|[ ]{0,3}\t|[ ]{0,3}\|)")
# Control characters other than tab and newline (C0, DEL, C1).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class WriteRequest:
    title: str
    summary: str
    resume_prompt: str
    confidence: str
    workstreams: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)  # BODY_SECTIONS name -> text
    session_id: str | None = None
    since: str | None = None
    handoff_started_at: str | None = None
    supersedes: list = field(default_factory=list)  # ["<id>#D<n>"]
    resolves: list = field(default_factory=list)  # ["<id>#Q<n>"]


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_SECTION_BY_KEY = {_key(s): s for s in SECTIONS}


def _check_text(where: str, value) -> str:
    if not isinstance(value, str):
        raise HelperError(f"input: {where}: must be a string, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise HelperError(f"input: {where}: contains an unpaired surrogate (not encodable as UTF-8)") from None
    bad = _CONTROL_RE.search(value)
    if bad:
        raise HelperError(
            f"input: {where}: contains the control character U+{ord(bad.group()):04X} at offset {bad.start()} "
            "(only tab and newline are allowed)"
        )
    return value


def _lines(text: str) -> list:
    """``text`` split at every kind of line break (``\n``, ``\r\n``, lone ``\r``)."""
    return _LINE_BREAK_RE.split(text)


def _headings(text: str, state: dict | None = None):
    """(line index, level, heading text, kind) of the headings that matter outside fenced code:
    ATX level 2 (``## X``, up to three leading spaces) and setext (a paragraph line underlined
    by ``===``, level 1, or ``---``, level 2; the index is the text line's). ``kind`` is "atx"
    or "setext".

    ``state["open_fence"]`` is left set when the text ends inside a fence.
    """
    fence = None
    if state is not None:
        state["open_fence"] = None
    previous = None  # (index, text) of the first line of the paragraph we are in, if any
    for i, line in enumerate(_lines(text)):
        m = _FENCE_RE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker) :].strip():
                fence = None
            if state is not None:
                state["open_fence"] = fence
            previous = None
            continue
        if fence is not None:
            continue
        h = _H2_RE.match(line)
        if h:
            yield i, 2, h.group(1).lstrip(" \t").rstrip(" \t#"), "atx"
            previous = None
        elif previous is not None and _SETEXT_RE.match(line):
            yield previous[0], 1 if line.strip()[0] == "=" else 2, previous[1].strip(), "setext"
            previous = None
        elif not line.strip() or _BLOCK_START_RE.match(line):
            previous = None
        elif previous is None and not _NO_PARAGRAPH_RE.match(line):
            previous = (i, line)
        # else: a paragraph's continuation line (a setext underline makes it all the heading)


def _h2_lines(text: str, state: dict | None = None):
    """(line index, heading text) of every level-2 heading (ATX or setext) outside fenced code."""
    for i, level, heading, _ in _headings(text, state):
        if level == 2:
            yield i, heading


def _section_heading_problem(name: str, text: str, state: dict) -> str | None:
    for i, _, heading, kind in _headings(text, state):
        if kind == "atx":
            return f"input: body.{name}: contains a '## {heading}' heading (line {i + 1}); use '###' inside a section"
        return (
            f"input: body.{name}: line {i + 1} ({heading[:40]!r}) is a setext heading (the next line is only "
            "'-' or '='); put a blank line between them, or use '###' for a subsection"
        )
    return None


def split_sections(markdown: str) -> dict:
    """``## <Section>`` parts of a markdown string -> {section: text}; HelperError on others."""
    lines = _lines(markdown)
    heads = [(i, heading) for i, _, heading, kind in _headings(markdown) if kind == "atx"]
    if not heads:
        raise HelperError("input: body: no '## <Section>' headings (sections: %s)" % ", ".join(BODY_SECTIONS))
    if "\n".join(lines[: heads[0][0]]).strip():
        raise HelperError("input: body: text before the first '## ' heading")
    out = {}
    for n, (start, heading) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        name = _SECTION_BY_KEY.get(_key(heading))
        if name is None:
            raise HelperError(f"input: body: unknown section {heading!r} (sections: {', '.join(BODY_SECTIONS)})")
        if name in out:
            raise HelperError(f"input: body: section {name!r} appears twice")
        out[name] = "\n".join(lines[start + 1 : end])
    return out


def _unchanged(where: str, text: str) -> str:
    return text


def _section_text(name: str, value, scrub=_unchanged) -> str:
    if isinstance(value, list):
        items = [scrub(f"body.{name}[{i}]", _check_text(f"body.{name}[{i}]", item)) for i, item in enumerate(value)]
        return "\n".join("- " + item.replace("\n", "\n  ") for item in items)
    return scrub(f"body.{name}", _check_text(f"body.{name}", value))


def parse_request(data, scrub=_unchanged) -> WriteRequest:
    """Check the stdin object and turn it into a WriteRequest; HelperError names the field.

    ``scrub(where, text) -> text`` sees every text field the log shows (title, summary,
    resume_prompt, workstreams, each body section or list item) under the name errors use
    (``body.Learnings[2]``), and returns what is written (lib/logs/draft_secrets.py)."""
    if not isinstance(data, dict):
        raise HelperError("input: expected one JSON object")
    unknown = sorted(set(data) - INPUT_KEYS)
    if unknown:
        raise HelperError(f"input: unknown field {unknown[0]!r} (fields: {', '.join(sorted(INPUT_KEYS))})")
    for name in ("title", "summary", "resume_prompt", "confidence"):
        if name not in data:
            raise HelperError(f"input: {name}: missing")
        _check_text(name, data[name])
        if not data[name].strip():
            raise HelperError(f"input: {name}: must not be blank")
    if "\n" in data["title"] or "\r" in data["title"]:
        raise HelperError("input: title: must be a single line")
    shown = {name: scrub(name, data[name]) for name in ("title", "summary", "resume_prompt")}
    confidence = CONFIDENCE.get(data["confidence"].strip().lower())
    if confidence is None:
        raise HelperError(f"input: confidence: {data['confidence']!r} is not one of H, M, L")
    workstreams = data.get("workstreams", [])
    if workstreams is None:
        workstreams = []
    if not isinstance(workstreams, list):
        raise HelperError("input: workstreams: must be a list of slugs")
    workstreams = [scrub(f"workstreams[{i}]", _check_text(f"workstreams[{i}]", w)) for i, w in enumerate(workstreams)]
    body = data.get("body", {})
    if body is None:
        body = {}
    if isinstance(body, str):
        _check_text("body", body)
        raw_sections = split_sections(body) if body.strip() else {}
    elif isinstance(body, dict):
        raw_sections = {}
        for key, value in body.items():
            name = _SECTION_BY_KEY.get(_key(key))
            if name is None:
                raise HelperError(f"input: body: unknown section {key!r} (sections: {', '.join(BODY_SECTIONS)})")
            if name in raw_sections:
                raise HelperError(f"input: body: section {name!r} given twice")
            raw_sections[name] = value
    else:
        raise HelperError("input: body: must be an object {section: text} or a markdown string")
    sections = {}
    for name, value in raw_sections.items():
        if name in FROM_FIELDS:
            text = _section_text(name, value)
            if text.strip() and text.strip() != data[FROM_FIELDS[name]].strip():
                raise HelperError(f"input: body: {name!r} comes from the {FROM_FIELDS[name]!r} field; leave it out")
            continue
        text = _section_text(name, value, scrub)
        state: dict = {}
        problem = _section_heading_problem(name, text, state)
        if problem:
            raise HelperError(problem)
        if state["open_fence"]:
            raise HelperError(f"input: body.{name}: a code fence ({state['open_fence']}) is never closed")
        if name in items_mod.SECTIONS:  # each item with its id's label (lib/logs/items.py)
            labelled = items_mod.render(section_items(text), items_mod.SECTIONS[name][1])
            state = {}
            if labelled and not _section_heading_problem(name, labelled, state) and not state["open_fence"]:
                text = labelled  # else as drafted: its items are numbered by their place
        sections[name] = text
    optional = {}
    for name in ("session_id", "since", "handoff_started_at"):
        value = data.get(name)
        if value is not None:
            _check_text(name, value)
            if not value.strip():
                raise HelperError(f"input: {name}: must not be blank")
            optional[name] = value
    for name, letter in LIFECYCLE_FIELDS.items():
        optional[name] = _lifecycle_refs(name, letter, data.get(name))
    return WriteRequest(
        title=shown["title"],
        summary=shown["summary"],
        resume_prompt=shown["resume_prompt"],
        confidence=confidence,
        workstreams=workstreams,
        sections=sections,
        **optional,
    )


def _lifecycle_refs(name: str, letter: str, value) -> list:
    """A draft's ``supersedes`` / ``resolves``: distinct ``<id>#<letter><n>`` strings."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise HelperError(f"input: {name}: must be a list of item ids like AB-261206-01#{letter}1")
    if len(value) > MAX_LIFECYCLE_REFS:
        raise HelperError(f"input: {name}: more than {MAX_LIFECYCLE_REFS} ids")
    out = []
    for i, ref in enumerate(value):
        parsed = items_mod.parse_ref(ref)
        if parsed is None or parsed[1] != letter:
            shown = ref[:80] if isinstance(ref, str) else type(ref).__name__
            raise HelperError(f"input: {name}[{i}]: {shown!r} is not an item id like AB-261206-01#{letter}1")
        if ref not in out:
            out.append(ref)
    return out


def _block(text: str) -> str:
    """Section text as written: surrounding blank lines trimmed, nothing else touched."""
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) if lines else EMPTY_SECTION


def fenced(text: str) -> str:
    """``text`` inside a code fence longer than any backtick run in it (so nothing inside can
    close the fence or read as a heading)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _is_plain_markdown(text: str) -> bool:
    state: dict = {}
    return not any(True for _ in _headings(text, state)) and not state["open_fence"]


def render_body(request: WriteRequest) -> str:
    """``# <title>`` and every section in order. The Summary is copied verbatim when that is
    safe markdown (fenced otherwise); the Resume Prompt is always fenced, ready to copy."""
    parts = [f"# {request.title}", ""]
    for name in SECTIONS:
        if name == "Resume Prompt":
            block = fenced(request.resume_prompt)
        elif name == "Summary":
            block = _block(request.summary)
            if not _is_plain_markdown(block):
                block = fenced(request.summary)
        else:
            block = _block(request.sections.get(name, ""))
        parts += [f"## {name}", "", block, ""]
    return "\n".join(parts)


def section_problems(body: str) -> list:
    """Problems with a log body's ``## `` sections: all of SECTIONS, in order, nothing else."""
    headings = [h for _, h in _h2_lines(body)]
    problems = []
    unknown = [h for h in headings if h not in SECTIONS]
    problems += [f"unknown section '## {h}'" for h in unknown]
    known = [h for h in headings if h in SECTIONS]
    missing = [s for s in SECTIONS if s not in known]
    problems += [f"missing section '## {s}'" for s in missing]
    if not missing and known != list(SECTIONS):
        problems.append("sections out of order or repeated (expected: %s)" % ", ".join(SECTIONS))
    return problems


def ordered_meta(meta: dict) -> dict:
    """``meta`` in FIELD_ORDER (extra keys, if any, after; the schema will name them)."""
    out = {k: meta[k] for k in FIELD_ORDER if k in meta}
    out.update((k, v) for k, v in meta.items() if k not in out)
    return out
