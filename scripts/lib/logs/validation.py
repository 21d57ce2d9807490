"""Checking the repo's documents against their schemas (``handoff validate``).

A table maps a glob to a JSON Schema (draft 2020-12) in ``scripts/lib/logs/schemas/``:
``docs/sessions/*.md`` -> ``session.schema.json``; ``workstreams/*.md`` ->
``workstream.schema.json`` (checked once that schema exists); ``docs/reflections/*.md`` ->
``reflection.schema.json`` (lib/digest/reflection.py writes them). ``README.md`` and ``INDEX.md`` are
not documents; in ``docs/sessions/`` only a log's file name is (`log_ids.is_log_name`: the
commit log ``docs/sessions/CHANGELOG.md`` is not a log), whether found or named on the command
line (``validate docs/sessions/*.md``). Legacy ``CONV-*.md`` session logs need only parseable
frontmatter (and, when they have one, an ``operator:`` of 2-4 capitals).

Every problem is one `Problem` (path, field, message), printed as ``path: field: problem``.
Beyond the schema, a session log's ``id`` must be its file name, its ``operator`` and ``date``
must agree with the id, it must not be dated after tomorrow (UTC), and its body must have the
sections of `session_log.SECTIONS` in order. Who may add a log under which initials is
logs/authorship.py's (``validate`` the command asks it; this module checks files alone).
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from functools import cache

from ..core.errors import HelperError, one_line
from . import frontmatter
from .log_ids import is_legacy_name, is_log_name, is_operator, parse_log_id

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
NOT_DOCUMENTS = frozenset(("README.md", "INDEX.md"))


@dataclass(frozen=True)
class Table:
    glob: str  # relative to the project root, "/"-separated
    schema: str  # file name in SCHEMA_DIR
    kind: str


TABLES = (
    Table("docs/sessions/*.md", "session.schema.json", "session"),
    Table("workstreams/*.md", "workstream.schema.json", "workstream"),
    Table("docs/reflections/*.md", "reflection.schema.json", "reflection"),
)


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.path}: {self.field}: {self.message}")


def schema_path(name: str) -> str:
    return os.path.join(SCHEMA_DIR, name)


@cache
def validator_for(schema_name: str):
    """A Draft 2020-12 validator for the schema file, or None when the file does not exist."""
    import jsonschema

    path = schema_path(schema_name)
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise HelperError(f"{path}: unreadable schema ({exc})") from None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise HelperError(f"{path}: invalid schema: {exc.message}") from None
    return jsonschema.Draft202012Validator(schema)


# $defs name -> what to say when a value misses its pattern
_FRIENDLY_DEFS = {
    "timestamp": "must be a UTC timestamp like 2026-11-21T04:27:22Z",
    "date": "must be a date like 2026-11-21",
}
_FRIENDLY_FIELDS = {
    "id": "must be <OP>-<YYMMDD>-<NN> (e.g. RT-261121-01)",
    "operator": "must be 2-4 capital letters",
    "head_commit": "must be a full commit hash",
}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _field(path) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(frontmatter)"


def _friendly(schema: dict) -> dict:
    """pattern -> message, from the schema's $defs and top-level properties."""
    out = {}
    for name, text in _FRIENDLY_DEFS.items():
        pattern = schema.get("$defs", {}).get(name, {}).get("pattern")
        if pattern:
            out[pattern] = text
    for name, text in _FRIENDLY_FIELDS.items():
        pattern = schema.get("properties", {}).get(name, {}).get("pattern")
        if pattern:
            out[pattern] = text
    return out


def _humanize(error, friendly: dict) -> list:
    """[(field, message)] for one jsonschema error."""
    path = list(error.absolute_path)
    v, value, inst = error.validator, error.validator_value, error.instance
    if v == "required":
        missing = [name for name in value if isinstance(inst, dict) and name not in inst]
        return [(_field(path + [name]), "missing") for name in missing] or [(_field(path), error.message)]
    if v == "additionalProperties" and isinstance(inst, dict):
        known = set(error.schema.get("properties", {}))
        return [(_field(path + [k]), "unknown field") for k in inst if k not in known]
    if v in ("oneOf", "anyOf") and error.context:
        relevant = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")] or list(
            error.context
        )
        deepest = max(relevant, key=lambda e: len(list(e.absolute_path)))
        return _humanize(deepest, friendly)
    if v == "type":
        wanted = value if isinstance(value, str) else " or ".join(value)
        return [(_field(path), f"must be {wanted}, not {_json_type(inst)}")]
    if v == "const":
        return [(_field(path), f"must be {value!r}, not {_short(inst)}")]
    if v == "enum":
        return [(_field(path), f"{_short(inst)} is not one of {', '.join(map(str, value))}")]
    if v == "pattern":
        if value in friendly:
            return [(_field(path), f"{friendly[value]}, not {_short(inst)}")]
        if value == "\\S":
            return [(_field(path), "must not be blank")]
        if path and path[0] == "workstreams":
            return [(_field(path), f"{_short(inst)} is not a slug (lowercase letters, digits, single hyphens)")]
        return [(_field(path), f"{_short(inst)} does not match {value}")]
    if v == "not" and isinstance(value, dict) and "\\n" in str(value.get("pattern", "")):
        return [(_field(path), "must be a single line")]
    if v == "not" and isinstance(value, dict) and "\\u0000" in str(value.get("pattern", "")):
        return [(_field(path), "must not contain control characters (only tab and newline)")]
    if v == "minLength":
        return [(_field(path), "must not be empty" if value <= 1 else f"must be at least {value} characters")]
    if v == "maxLength":
        return [(_field(path), f"must be at most {value} characters")]
    if v == "minimum":
        return [(_field(path), f"must be >= {value}, not {_short(inst)}")]
    if v == "uniqueItems":
        return [(_field(path), "has duplicate items")]
    return [(_field(path), error.message if len(error.message) < 200 else error.message[:197] + "...")]


def schema_problems(validator, meta: dict) -> list:
    """[(field, message)] sorted by field; empty when ``meta`` is valid."""
    friendly = _friendly(validator.schema)
    found = []
    for error in validator.iter_errors(meta):
        found.extend(_humanize(error, friendly))
    return sorted(set(found))


def check_session_meta(meta: dict) -> list:
    """Schema problems of a session log's frontmatter: [(field, message)]."""
    validator = validator_for("session.schema.json")
    if validator is None:
        raise HelperError(f"{schema_path('session.schema.json')}: missing")
    return schema_problems(validator, meta)


def _session_cross_checks(stem: str, meta: dict, body: str) -> list:
    from .session_log import section_problems

    problems = []
    log_id = parse_log_id(stem)
    if meta.get("id") != stem:
        problems.append(("id", f"{_short(meta.get('id'))} is not the file name {stem!r}"))
    if log_id is not None:
        if isinstance(meta.get("operator"), str) and meta["operator"] != log_id.operator:
            problems.append(("operator", f"{meta['operator']!r} does not match the id's {log_id.operator!r}"))
        if isinstance(meta.get("date"), str) and meta["date"] != log_id.iso_date:
            problems.append(("date", f"{meta['date']!r} does not match the id's day {log_id.iso_date}"))
    problems.extend(future_problems(log_id.iso_date if log_id is not None else None, meta))
    problems.extend(("body", message) for message in section_problems(body))
    return problems


def future_problems(id_day, meta: dict) -> list:
    """One (field, message) when the log is dated after tomorrow (UTC) by its id's day, its
    ``date`` or its ``ended_at`` (logs/authorship.py: never anyone's last session)."""
    from ..core import isotime
    from .authorship import dated_after_tomorrow

    now = isotime.now()
    for field, value in (("date", id_day), ("date", meta.get("date")), ("ended_at", meta.get("ended_at"))):
        day = dated_after_tomorrow(value, now)
        if day:
            return [(field, f"{day} is in the future (after tomorrow, {isotime.utc_date(now + 86400)} UTC)")]
    return []


def check_file(root: str, path: str, kind: str) -> list:
    """[Problem] of one document; ``kind`` is "session", "workstream" or "reflection"."""
    rel = os.path.relpath(path, root).replace(os.sep, "/") if os.path.isabs(path) else path
    if rel.startswith("../"):
        rel = path
    name = os.path.basename(path)
    stem = name[:-3] if name.endswith(".md") else name
    try:
        doc = frontmatter.load(path)
    except frontmatter.FrontmatterError as exc:
        message = str(exc)
        prefix = f"{path}: "
        return [Problem(rel, "(frontmatter)", message[len(prefix) :] if message.startswith(prefix) else message)]
    if kind == "session":
        if is_legacy_name(name):
            op = doc.meta.get("operator")
            if op is not None and not is_operator(op):
                return [Problem(rel, "operator", f"{_short(op)} is not 2-4 capital letters")]
            return [Problem(rel, f, m) for f, m in future_problems(None, doc.meta)]
        if parse_log_id(stem) is None:
            return [Problem(rel, "(file name)", "not a session log name (expected <OP>-<YYMMDD>-<NN>.md)")]
        found = check_session_meta(doc.meta) + _session_cross_checks(stem, doc.meta, doc.body)
        return [Problem(rel, f, m) for f, m in found]
    table = next(t for t in TABLES if t.kind == kind)
    validator = validator_for(table.schema)
    if validator is None:
        return []
    found = schema_problems(validator, doc.meta)
    if kind == "reflection":
        found += _reflection_cross_checks(stem, doc.meta)
    return [Problem(rel, f, m) for f, m in found]


def _reflection_cross_checks(stem: str, meta: dict) -> list:
    """A reflection's file name is ``<week>.md`` (team) or ``<week>-<OP>.md`` (one operator)."""
    week, scope = meta.get("week"), meta.get("scope")
    if not isinstance(week, str) or not isinstance(scope, str):
        return []
    expected = week if scope == "team" else f"{week}-{scope}"
    if stem != expected:
        return [("week", f"week {week!r} and scope {scope!r} mean the file {expected}.md, not {stem}.md")]
    return []


def table_for(rel: str):
    for table in TABLES:
        if fnmatch.fnmatchcase(rel, table.glob):
            return table
    return None


def document_table(rel: str):
    """The table of the document at ``rel`` ("/"-separated, relative to the root), or None when
    it is not a document (no table, a README or INDEX, a dot file, a file in ``docs/sessions/``
    without a log's name)."""
    table = table_for(rel)
    name = rel.rsplit("/", 1)[-1]
    if table is None or name in NOT_DOCUMENTS or name.startswith("."):
        return None
    if table.kind == "session" and not is_log_name(name):
        return None
    return table


def discover(root: str) -> list:
    """[(path, kind)] of every document the tables cover, sorted."""
    found = []
    for table in TABLES:
        if table.kind == "workstream" and validator_for(table.schema) is None:
            continue
        directory = os.path.join(root, os.path.dirname(table.glob))
        try:
            names = sorted(os.listdir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            if document_table(os.path.dirname(table.glob) + "/" + name) is not table:
                continue
            path = os.path.join(directory, name)
            if not os.path.isdir(path):  # a link, a FIFO or a device named like one is reported
                found.append((path, table.kind))
    return found


def resolve_targets(root: str, paths: list, kind: str | None = None) -> tuple:
    """([(path, kind)], [Problem]) for the command-line paths (files or directories)."""
    targets, problems = [], []
    for given in paths:
        path = os.path.abspath(given)
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith(".md") and n not in NOT_DOCUMENTS)
            candidates = [os.path.join(path, n) for n in names if not n.startswith(".")]
        elif os.path.lexists(path):
            candidates = [path]
        else:
            problems.append(Problem(given, "(file)", "no such file or directory"))
            continue
        for candidate in candidates:
            crel = os.path.relpath(candidate, root).replace(os.sep, "/")
            table = table_for(crel)
            if table is not None and document_table(crel) is None:
                continue  # README.md, INDEX.md, the commit log: in a document directory, not documents
            chosen = kind or (table.kind if table else None)
            if chosen is None:
                globs = " or ".join(t.glob for t in TABLES)
                shown = candidate if crel.startswith("..") else crel
                problems.append(Problem(shown, "(file)", f"no schema applies (expected {globs}; or pass --kind)"))
                continue
            targets.append((candidate, chosen))
    return targets, problems


def validate(root: str, paths: list | None = None, kind: str | None = None) -> tuple:
    """(files checked, [Problem])."""
    if paths:
        targets, problems = resolve_targets(root, paths, kind)
    else:
        targets, problems = discover(root), []
    for path, target_kind in targets:
        problems.extend(check_file(root, path, target_kind))
    return len(targets), problems
