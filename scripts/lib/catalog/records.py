"""One file of the store -> one catalog row: pure, no database here.

A row is a dict of the ``docs`` columns (lib/catalog/schema.py) by name, absent ones None, and
``columns``: search column -> text (lib/logs/sections.py COLUMNS).

A session log (``docs/sessions/<OP>-<YYMMDD>-<NN>.md`` or a legacy ``CONV-*.md``) becomes its
id, operator and day (from its file name; a legacy log's from its frontmatter), its title,
summary and resume prompt, workstreams, times, usage totals, its frontmatter text (the digest
takes its figures from it, `figures`, for its weeks' logs only) and one search text per body
section (lib/logs/sections.py `read_body`). A workstream
(``workstreams/<slug>.md``) becomes its slug, title, owner and phases (lib/logs/workstreams.py)
and its whole body as searchable text.

Never fails on a file: broken frontmatter, invalid UTF-8 (replaced), NUL and other control
characters (blanked), huge files and fields (capped) give a row plus a warning. A row whose
frontmatter could not be read has ``frontmatter`` (a workstream: ``facts``) None: readers that
need its fields skip it (and show its warning); search still finds it by its body.
"""

from __future__ import annotations

import re

from ..core import isotime
from ..logs import frontmatter, log_ids
from ..logs import items as item_ids
from ..logs import workstreams as ws_format
from ..logs.sections import read_body

MAX_FILE_BYTES = 4 * 1024 * 1024  # read at most this much of a file; the rest is not indexed
MAX_TITLE_CHARS = 500
MAX_FIELD_CHARS = 200_000  # per searchable column
MAX_ITEM_CHARS = 4000  # per decision, learning or open question (readers cap further)
USAGE_INTS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "requests")
TOKEN_INTS = USAGE_INTS[:4]
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """NUL and other control characters blanked (tab, newline, CR kept): FTS5 would cut or
    mis-tokenize at them, and search marks its matches with two of them."""
    return _CONTROL_RE.sub(" ", text) if _CONTROL_RE.search(text) else text


def _cap(text: str, limit: int) -> str:
    return text[:limit] if len(text) > limit else text


def _one_line(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def decode(data: bytes, truncated: bool) -> tuple[str, list]:
    """Text of a file and its problems (invalid UTF-8 is replaced, not refused)."""
    problems = ["over %d bytes; only the start is indexed" % MAX_FILE_BYTES] if truncated else []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        if not truncated:  # a cut inside a character is not the file's fault
            problems.append("not valid UTF-8 (undecodable bytes replaced)")
    return text, problems


def _meta(text: str, rel: str, problems: list) -> tuple[dict | None, str | None, str]:
    """(frontmatter data or None when it cannot be read, its text, body)."""
    yaml_text, body = frontmatter.split(text)
    if yaml_text is None:
        problems.append("frontmatter is never closed (no second '---' line)" if text.startswith("---\n")
                        or text.startswith("---\r\n") else "no frontmatter (the file must start with a '---' line)")
        return None, None, text
    try:
        return frontmatter.read_meta(yaml_text, rel), yaml_text, body
    except frontmatter.FrontmatterError as exc:
        reason = str(exc)
        problems.append(reason[len(rel) + 2:] if reason.startswith(rel + ": ") else reason)
        return None, None, body


def meta_of(text: str | None) -> dict | None:
    """The data of a row's stored frontmatter (it was read once already: this cannot fail
    unless the catalog was edited; then None)."""
    if text is None:
        return None
    try:
        return frontmatter.read_meta(text)
    except frontmatter.FrontmatterError:
        return None


def _day_of(value) -> str | None:
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        day = value[:10]
        if (day[:4] + day[5:7] + day[8:]).isdigit() and day.isascii():
            return day
    return None


def log_record(rel: str, name: str, data: bytes, truncated: bool) -> dict:
    """The row of session log ``name`` (``docs/sessions/<name>``) from its bytes."""
    text, problems = decode(data, truncated)
    dirty = _CONTROL_RE.search(text) is not None  # else no column needs `clean`
    meta, fm_text, body = _meta(text, rel, problems)
    title, columns = read_body(body)
    m = meta or {}
    key = log_ids.name_key(name)
    if key is None:  # legacy: operator and day live in the frontmatter only
        op = m.get("operator") if log_ids.is_operator(m.get("operator")) else None
        day = _day_of(m.get("date")) or _day_of(m.get("ended_at"))
    else:
        op, day = key[2], "%s-%s-%s" % (key[0][:4], key[0][4:6], key[0][6:])
    title = _one_line(m.get("title")) or title or name[:-3]
    summary, resume_prompt = _text(m.get("summary")), _text(m.get("resume_prompt"))
    if "summary" not in columns and summary:
        columns["summary"] = summary
    columns["title"] = title
    # A YAML escape ("\x01") in the frontmatter decodes to a control character the file lacks.
    dirty = dirty or any(_CONTROL_RE.search(t) for t in (title, columns.get("summary") or ""))
    usage = m.get("usage") if isinstance(m.get("usage"), dict) else None
    cost = usage.get("cost_usd") if usage else None
    columns = {c: _cap(clean(t) if dirty else t, MAX_FIELD_CHARS) for c, t in columns.items()}
    return dict(
        kind="log", id=name[:-3], operator=op, day=day, sort_key=log_ids.sort_key(name, day),
        title=_cap(clean(title), MAX_TITLE_CHARS), summary=summary, resume_prompt=resume_prompt,
        workstreams=_workstreams(m.get("workstreams")), date=_text(m.get("date")),
        started_at=_text(m.get("started_at")), ended_at=_text(m.get("ended_at")),
        tokens=sum(_count(usage.get(k)) or 0 for k in TOKEN_INTS) if usage is not None else None,
        cost_usd=float(cost) if _is_amount(cost) else None, frontmatter=fm_text, warning="; ".join(problems) or None,
        columns=columns, items=_items(columns, m),
    )


def _items(columns: dict, meta: dict) -> list:
    """``[(letter, n, text)]``: the log's decisions, learnings and open questions, numbered; then
    the item ids its frontmatter supersedes (``S``) and resolves (``R``), n 0 (lib/logs/items.py)."""
    out = [(letter, n, _cap(text, MAX_ITEM_CHARS)) for column, letter in item_ids.LETTER_OF_COLUMN.items()
           if columns.get(column) for n, text in item_ids.numbered(columns[column], letter)]
    for key, letter in item_ids.REF_LETTERS.items():
        refs = meta.get(key) if isinstance(meta.get(key), list) else ()
        out += [(letter, 0, ref[:MAX_ITEM_CHARS]) for ref in refs if isinstance(ref, str)]
    return out


def _workstreams(value) -> list:
    """A log's ``workstreams:`` as distinct slugs (anything else is left out)."""
    out = []
    for item in value if isinstance(value, list) else ():
        if isinstance(item, str) and ws_format.is_slug(item) and item not in out:
            out.append(item)
    return out


def _is_amount(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 and value == value


def _count(value) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _counts(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or _count(v) is None:
            return None
        out[k] = v
    return out


def figures(meta: dict, day: str | None) -> dict:
    """The digest's figures of one log: those present and well typed; each odd one is a warning
    (``warnings``) and is not counted. ``at`` places the log in time: its ``ended_at``, else
    ``started_at``, else noon UTC of its day."""
    warn: list = []
    facts: dict = {"at": None, "placed_by": None, "warnings": warn}
    for field in ("ended_at", "started_at"):
        t = isotime.epoch_or_none(meta.get(field))
        if t is not None:
            facts["at"], facts["placed_by"] = t, field
            break
        if meta.get(field) is not None:
            warn.append(f"{field}: {str(meta.get(field))[:40]!r} is not a timestamp")
    if facts["at"] is None:
        noon = _day_of(meta.get("date")) or day
        t = isotime.epoch_or_none(noon + "T12:00:00Z") if noon else None
        if t is not None:
            facts["at"], facts["placed_by"] = t, "date"
            warn.append("no ended_at/started_at; placed at noon UTC of its day")
        else:
            warn.append("no ended_at, started_at or date; not placed in any week")

    def number(field: str, value, convert=_count):
        got = convert(value)
        if got is None and value is not None:
            warn.append(f"{field}: {str(value)[:40]!r} is not a count; not counted")
        return got

    facts["tool_calls_total"] = number("tool_calls_total", meta.get("tool_calls_total"))
    facts["tools"] = number("tool_calls", meta.get("tool_calls"), _counts) or {}
    mcp, servers = meta.get("mcp"), {}
    if isinstance(mcp, dict):
        for server, tools in mcp.items():
            counted = _counts(tools)
            if isinstance(server, str) and counted is not None:
                servers[server] = sum(counted.values())
            else:
                warn.append(f"mcp.{str(server)[:40]}: not a tool -> count map; not counted")
    elif mcp is not None:
        warn.append("mcp: not a map; not counted")
    facts["mcp"] = servers
    sub = meta.get("subagents")
    facts["subagents"] = number("subagents.total", sub.get("total")) if isinstance(sub, dict) else None
    if sub is not None and not isinstance(sub, dict):
        warn.append("subagents: not a map; not counted")
    facts["failures"] = number("failures", meta.get("failures"))
    facts["interruptions"] = number("interruptions_count", meta.get("interruptions_count"))
    facts["usage"], facts["cost"] = None, None
    usage = meta.get("usage")
    if isinstance(usage, dict):
        tokens = {}
        for k in USAGE_INTS:
            v = usage.get(k)
            if _count(v) is not None:
                tokens[k] = v
            elif v is not None:
                warn.append(f"usage.{k}: {str(v)[:40]!r} is not a count; not counted")
        facts["usage"] = tokens
        cost = usage.get("cost_usd")
        if _is_amount(cost):
            facts["cost"] = float(cost)
        elif cost is not None:
            warn.append(f"usage.cost_usd: {str(cost)[:40]!r} is not an amount; not counted")
    elif usage is not None:
        warn.append("usage: not a map; not counted")
    breaches = []
    inv = meta.get("invariants")
    if isinstance(inv, dict):
        for inv_name, value in sorted(inv.items(), key=lambda kv: str(kv[0])):
            count = value.get("count") if isinstance(value, dict) else None
            if type(count) is int and count > 0:
                breaches.append([str(inv_name), count])
    facts["breaches"] = breaches
    return facts


def workstream_record(rel: str, name: str, data: bytes, truncated: bool) -> dict:
    """The row of workstream ``name`` (``workstreams/<name>``): its summary for /resume (or the
    reason it has none, in ``warning``) and its title and whole body for search."""
    slug = name[:-3]
    if not ws_format.is_slug(slug):
        why = "%r is not a workstream slug (lowercase letters and digits in hyphen-separated words)" % slug
        return dict(kind="workstream", id=slug, sort_key="-000000-" + slug, title=slug, workstreams=[],
                      warning=why, facts=None, columns={"title": slug})
    text, problems = decode(data, truncated)
    meta, _, body = _meta(text, rel, problems)
    facts = None
    if meta is not None:
        try:
            facts = ws_format.summarize(meta, body)
        except ws_format.WorkstreamError as exc:
            problems.append(str(exc))
    m = meta or {}
    title = _one_line(m.get("title"))
    lines = body.lstrip("\n").split("\n", 1)
    if lines[0].startswith("# "):
        title = title or lines[0][2:].strip()
        body = lines[1] if len(lines) > 1 else ""
    title = _cap(clean(title or slug), MAX_TITLE_CHARS)
    owner = m.get("owner") if log_ids.is_operator(m.get("owner")) else None
    day = _day_of(m.get("updated"))
    return dict(
        kind="workstream", id=slug, operator=owner, day=day,
        sort_key="%s-000000-%s" % ((day or "").replace("-", ""), slug),
        title=title, workstreams=[slug], facts=facts, warning="; ".join(problems) or None,
        columns={"title": title, "summary": _cap(clean(body.strip()), MAX_FIELD_CHARS)},
    )



def unreadable(kind: str, name: str, reason: str) -> dict:
    """The row of a file that could not be read (a link, a FIFO, no permission): its warning."""
    stem = name[:-3]
    key = log_ids.name_key(name) if kind == "log" else None
    return dict(kind=kind, id=stem, operator=key[2] if key else None,
                  day="%s-%s-%s" % (key[0][:4], key[0][4:6], key[0][6:]) if key else None,
                  sort_key=log_ids.sort_key(name) if kind == "log" else "-000000-" + stem, title=stem,
                  workstreams=[], facts=None, warning=reason, unread=1, columns={"title": stem})
