"""Workstreams: ``workstreams/<slug>.md``, one file per long-running line of work.

Format (workstreams/README.md has an example): YAML frontmatter with ``title``, ``owner`` (the
owner's initials), ``status`` (active | paused | done) and an optional ``updated`` date; the
body holds the phases as a markdown checklist at the start of a line (``- [x] P1 ...`` done,
``- [ ] P4 ...`` to do) and a "What's Next" section, whose own checklist items are not phases.
The slug is the file name: lowercase letters and digits in hyphen-separated words, the same rule
session logs' ``workstreams:`` lists follow. ``README.md`` and ``INDEX.md`` are not workstreams.

`parse` checks only what ``/resume`` relies on, without jsonschema (``resume`` must stay lean);
``handoff validate`` checks the full schema, scripts/lib/logs/schemas/workstream.schema.json.
"""

from __future__ import annotations

import re

WORKSTREAMS_DIR = "workstreams"
NOT_WORKSTREAMS = frozenset(("README.md", "INDEX.md"))
STATUSES = ("active", "paused", "done")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_MAX = 80
MAX_FILE_BYTES = 1024 * 1024

# Patterns, not compiled objects: `re` compiles (and caches) them on first use, so the warm
# /resume path, which only needs `is_slug`, does not pay for them at import.
_CHECK = r"[-*+] \[([ xX])\][ \t]+(.*?)[ \t]*\Z"
_HEADING = r"(#{1,6})[ \t]+(.*?)[ \t#]*\Z"
_FENCE = r"[ ]{0,3}(`{3,}|~{3,})"
_OPERATOR = r"[A-Z]{2,4}\Z"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"


class WorkstreamError(ValueError):
    """A workstream file ``/resume`` cannot use; the message names the field."""


def is_slug(name: str) -> bool:
    return len(name) <= SLUG_MAX and bool(SLUG_RE.match(name))


def slug_of(file_name: str) -> str | None:
    """``auth-rewrite.md`` -> ``auth-rewrite``; None for README/INDEX and non-markdown files."""
    if not file_name.endswith(".md") or file_name in NOT_WORKSTREAMS or file_name.startswith("."):
        return None
    return file_name[:-3]


def _is_whats_next(heading: str) -> bool:
    words = re.sub(r"[^a-z ]", "", heading.lower().replace("\u2019", "'").replace("'", ""))
    return words.split() == ["whats", "next"]


def phases(body: str) -> list:
    """[(done: bool, text)] of the body's checklist, outside fenced code and "What's Next"."""
    found = []
    skip_level = 0  # inside a "What's Next" section of this heading level; 0 = not
    fence = ""
    for line in body.split("\n"):
        line = line.rstrip("\r")
        m = re.match(_FENCE, line)
        if m:
            marker = m.group(1)
            if not fence:
                fence = marker
                continue
            if marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker) :]:
                fence = ""
            continue
        if fence:
            continue
        h = re.match(_HEADING, line)
        if h:
            level = len(h.group(1))
            if skip_level and level > skip_level:
                continue
            skip_level = level if _is_whats_next(h.group(2)) else 0
            continue
        if skip_level:
            continue
        c = re.match(_CHECK, line)
        if c:
            found.append((c.group(1) != " ", c.group(2)))
    return found


def summarize(meta: dict, body: str) -> dict:
    """The cached summary of one workstream: title, owner, status, updated, done, total, next.

    Raises WorkstreamError naming the first field that ``/resume`` cannot use.
    """
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise WorkstreamError("title: missing or not a non-empty string")
    owner = meta.get("owner")
    if not isinstance(owner, str) or not re.match(_OPERATOR, owner):
        raise WorkstreamError("owner: %s is not 2-4 capital letters" % _short(owner))
    status = meta.get("status")
    if status not in STATUSES:
        raise WorkstreamError("status: %s is not one of %s" % (_short(status), ", ".join(STATUSES)))
    updated = meta.get("updated")
    if updated is not None and not (isinstance(updated, str) and re.match(_DATE, updated)):
        raise WorkstreamError("updated: %s is not a date like 2026-11-21" % _short(updated))
    items = phases(body)
    done = sum(1 for checked, _ in items if checked)
    upcoming = next((text for checked, text in items if not checked), None)
    return {
        "title": " ".join(title.split()),
        "owner": owner,
        "status": status,
        "updated": updated,
        "done": done,
        "total": len(items),
        "next": upcoming,
    }


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_text(path: str) -> str:
    """The whole file as text; WorkstreamError for what makes it unusable."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise WorkstreamError(exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise WorkstreamError("file is over %d bytes" % MAX_FILE_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkstreamError("not UTF-8 text") from None


def load(path: str) -> dict:
    """Parse one workstream file -> `summarize` dict. Raises WorkstreamError (message without
    the path) for anything unusable, including bad YAML."""
    from ..logs import frontmatter

    text = read_text(path)
    yaml_text, body = frontmatter.split(text)
    if yaml_text is None:
        raise WorkstreamError("no frontmatter (the file must start with a '---' line)")
    try:
        meta = frontmatter.parse_yaml(yaml_text, "")
    except frontmatter.FrontmatterError as exc:
        raise WorkstreamError(str(exc).lstrip(": ")) from None
    return summarize(meta, body)
