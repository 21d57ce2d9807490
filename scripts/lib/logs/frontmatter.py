"""YAML frontmatter: a small, obvious API in the spirit of python-frontmatter.

    doc = frontmatter.parse(text, path)      # -> Document(meta, body)
    text = frontmatter.dumps(meta, body)     # round-trips every string exactly
    doc = frontmatter.load(path)

Invariants (tests/logs/test_frontmatter.py):
- Reading never executes or constructs anything but plain data: ``yaml.CSafeLoader`` when
  PyYAML has its C extension, else ``yaml.SafeLoader``; never an unsafe loader.
- One hostile file cannot stall or exhaust a reader: frontmatter over ``MAX_FRONTMATTER_BYTES``
  is refused before parsing, and a document whose aliases expand past ``MAX_NODES`` (a
  "billion laughs") is refused after parsing, before anyone walks it.
- Timestamps come back as strings: PyYAML turns an unquoted ``2026-01-02`` into a date, so
  `parse` normalises dates and datetimes to ISO strings, and `dumps` quotes every string
  that would otherwise be re-typed on the next read. A timestamp that is no date at all
  (``2026-02-30``, ``T25:00:00``, year 0) is a `FrontmatterError`, never a traceback.
- Every failure to read or parse a file is one `FrontmatterError` naming the file: callers
  report it as one line and go on with the next file.
- `load` reads bytes as they are (no newline translation: a lone ``\r`` in a body stays a
  ``\r``), only from a regular file (never a FIFO, a device or through a symbolic link; see
  core/repofiles.py) of at most `MAX_FILE_BYTES`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
from dataclasses import dataclass, field

from ..core import repofiles
from ..core.errors import HelperError

DELIMITER = "---"
MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_NODES = 100_000
MAX_FILE_BYTES = repofiles.MAX_FILE_BYTES


class FrontmatterError(HelperError):
    """A file whose frontmatter cannot be used; the message names the file and the problem."""


@dataclass
class Document:
    meta: dict = field(default_factory=dict)
    body: str = ""


def split(text: str) -> tuple[str | None, str]:
    """(frontmatter YAML or None, body). The frontmatter is between a first line ``---`` and
    the next line that is exactly ``---`` (a CR before its line break allowed); the body starts
    after that line."""
    if text.startswith("---\n"):
        start = 4
    elif text.startswith("---\r\n"):
        start = 5
    else:
        return None, text
    at = start - 1
    while True:
        at = text.find("\n---", at)
        if at < 0:
            return None, text  # never closed: not frontmatter
        end = at + 4
        while text[end : end + 1] == "\r":
            end += 1
        if end == len(text):
            return text[start : at + 1], ""
        if text[end] == "\n":
            return text[start : at + 1], text[end + 1 :]
        at = end


def _normalise(value, budget: list):
    """Dates to ISO strings; counts nodes so alias expansion stays bounded."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("frontmatter expands past %d nodes (YAML alias bomb?)" % MAX_NODES)
    if isinstance(value, dict):
        return {_normalise(k, budget): _normalise(v, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, budget) for v in value]
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == _dt.timedelta(0):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def parse_yaml(yaml_text: str, path: str = "<string>") -> dict:
    if len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_FRONTMATTER_BYTES:
        raise FrontmatterError("%s: frontmatter is over %d bytes" % (path, MAX_FRONTMATTER_BYTES))
    yaml, loader, _ = _pyyaml()
    try:
        data = yaml.load(yaml_text, Loader=loader)  # noqa: S506 - loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " (line %d)" % (mark.line + 2) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontmatterError("%s: frontmatter is not valid YAML%s: %s" % (path, where, problem)) from None
    except RecursionError:
        raise FrontmatterError("%s: frontmatter nests too deeply" % path) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML builds dates itself: "2026-02-30", "T25:00:00Z" or year 0 raise from datetime.
        raise FrontmatterError("%s: frontmatter has an impossible value: %s" % (path, exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontmatterError("%s: frontmatter is not a mapping" % path)
    try:
        return _normalise(data, [MAX_NODES])
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise FrontmatterError("%s: %s" % (path, exc)) from None


def parse(text: str, path: str = "<string>") -> Document:
    """A document's frontmatter and body; FrontmatterError when it has no usable frontmatter."""
    yaml_text, body = split(text)
    if yaml_text is None:
        raise FrontmatterError("%s: no frontmatter (the file must start with a '---' line)" % path)
    return Document(read_meta(yaml_text, path), body)


def load(path: str) -> Document:
    """The document at ``path``; FrontmatterError (one line) for anything that is not one."""
    path = os.fspath(path)
    try:
        text = repofiles.read_repo_text(path, max_bytes=MAX_FILE_BYTES)
    except repofiles.Unreadable as exc:
        raise FrontmatterError(str(exc)) from None
    return parse(text, path)


@functools.cache
def _pyyaml() -> tuple:
    """(yaml, its safe loader, a dumper that quotes), imported on first use: most frontmatters
    are read and written by the codec (`decode`, `encode`), and a command that meets only those
    never pays for PyYAML (~14 ms)."""
    import yaml

    try:  # the C loader is ~10x faster
        loader, dumper = yaml.CSafeLoader, yaml.CSafeDumper
    except AttributeError:  # PyYAML built without libyaml
        loader, dumper = yaml.SafeLoader, yaml.SafeDumper

    class _QuotingDumper(dumper):
        """Writes every str so it reads back as the same str (never a date, bool or number)."""

    _QuotingDumper.add_representer(str, _str_representer)
    return yaml, loader, _QuotingDumper


def _str_representer(dumper, value: str):
    # Multi-line text reads best as a literal block; PyYAML's emitter itself falls back to a
    # double-quoted scalar when a block cannot carry the value exactly (trailing spaces, ...).
    # Single-line strings keep PyYAML's own choice, which quotes anything that would read back
    # as another type (2026-01-02, yes, null, 1e3, '@x', '# y').
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def dumps_yaml(meta: dict) -> str:
    yaml, _, quoting_dumper = _pyyaml()
    return yaml.dump(
        meta,
        Dumper=quoting_dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100_000,
    )


def dumps(meta: dict, body: str) -> str:
    """``---`` / frontmatter / ``---`` / body. ``parse(dumps(m, b))`` gives back ``m`` and ``b``.
    The frontmatter is in the codec's shape (`encode`) when ``meta`` fits it, else PyYAML's."""
    return "%s\n%s%s\n%s" % (DELIMITER, encode(meta) or dumps_yaml(meta), DELIMITER, body)


# ---------------------------------------------------------------------------- the codec
# How write-session writes a frontmatter, and its exact inverse, so that the catalog reads
# 10,000 logs without 10,000 YAML parses (~0.16 ms each). One ``key: <JSON value>`` line per
# field, in order. JSON written this way is YAML that reads back as the same data: strings
# double-quoted with escapes both share, integers, floats with a point and no exponent,
# true/false/null, flow lists and maps. `decode` accepts exactly what `encode` writes (it
# re-encodes what it parsed and compares), and anything else (a hand edit, a log of an older
# writer, an escape \uXXXX, a character YAML treats as a line break or refuses) is parsed as
# YAML: `read_meta`. tests/logs/test_frontmatter.py holds codec and YAML equal on the writer's
# output and on mutations of it.

_YAML_WORDS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"))


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


def _plain_float(text: str) -> float:
    if "e" in text or "E" in text:  # YAML 1.1 reads 1e-05 as a string
        raise ValueError("exponent")
    return float(text)


def _no_constant(text: str):
    raise ValueError(text)  # NaN, Infinity: JSON's, not YAML's


# One JSON value at the start of a string: (value, where it ends).
_scan_value = json.JSONDecoder(parse_float=_plain_float, parse_constant=_no_constant).scan_once


def _is_key(key: str) -> bool:
    # YAML refuses an implicit key of over 1,024 characters
    return len(key) <= 1024 and key.isidentifier() and key.isascii() and key.islower() and key not in _YAML_WORDS


_KEYS_SEEN: set = set()  # keys `_is_key` already said yes to: one set test per log, not one call per key


def encode(meta: dict) -> str | None:
    """``meta`` as the codec writes it (newline-terminated lines), or None when it does not fit
    (a key YAML would read as another type, a float with an exponent, a character YAML reads
    otherwise): the caller writes YAML then."""
    try:
        text = "".join("%s: %s\n" % (key, _json(value)) for key, value in meta.items() if _is_key(key))
    except (TypeError, ValueError):
        return None
    return text if text and decode(text) == meta else None


def decode(text: str) -> dict | None:
    """The data of a frontmatter written by `encode`, or None for anything else."""
    if not text.endswith("\n") or "\\u" in text or not text.replace("\n", "").isprintable():
        return None
    pairs = [line.partition(": ") for line in text[:-1].split("\n")]
    keys = [key for key, _, _ in pairs]
    raws = [value for _, _, value in pairs]
    if not _KEYS_SEEN.issuperset(keys):
        if not all(map(_is_key, keys)):
            return None
        _KEYS_SEEN.update(keys)
    values = []
    try:
        for raw in raws:
            value, end = _scan_value(raw, 0)
            if end != len(raw):  # one value per line: YAML reads ``a: 1, 2`` as the string "1, 2"
                return None
            values.append(value)
    except (ValueError, StopIteration, RecursionError):
        return None
    # Exactly what `encode` writes for these values, byte for byte. Why that is enough: YAML and
    # JSON read alike the scalars and flow collections json writes (double-quoted strings with
    # escapes both have, integers, floats with a point and no exponent, true/false/null, "[a, b]",
    # '{"k": v}'); what they could read differently (other spacing, number spellings, \u escapes,
    # characters YAML treats as breaks) is not what json writes, so the comparison refuses it.
    try:
        if _json(values) != "[" + ", ".join(raws) + "]" or len(set(keys)) != len(keys):
            return None
    except (ValueError, RecursionError):  # inf from a huge decimal; nesting json can read but not write
        return None
    return dict(zip(keys, values))


def read_meta(yaml_text: str, path: str = "<string>") -> dict:
    """A frontmatter's data: the codec's exact inverse when it is in the codec's shape, else YAML."""
    data = decode(yaml_text) if len(yaml_text.encode("utf-8", "surrogatepass")) <= MAX_FRONTMATTER_BYTES else None
    return data if data is not None else parse_yaml(yaml_text, path)
