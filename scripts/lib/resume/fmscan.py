"""Cheap, exact reads of session-log files for ``/resume``'s newest-first walk.

Why: the peer-activity footer needs the ``workstreams:`` list of every log newer than the last
log touching each peer workstream, which at a team's scale is most of 10,000 logs. A YAML parse
costs about 100 us a log even with libyaml; this scanner reads the one top-level list in about a
tenth of that, so a cold ``/resume`` stays well under a second.

Exactness: `quick_list` either returns exactly what ``frontmatter.parse_yaml`` would give for
that key, or ``GIVE_UP``, meaning "not sure, parse it for real". It answers only for frontmatter
in a plain block-style subset of YAML, where every non-blank line at column 0 outside block
scalar bodies provably starts a top-level key:

- no tab, CR, BOM, NEL or Unicode line separator anywhere (PyYAML treats some as line breaks);
- block scalar bodies (``key: |``, ``- >-``...) are cut out first, with YAML's own indentation
  rule (the content indentation is the first text line's and must exceed the owner's column;
  a longer blank line before it gives up). A "header" the pattern misses is only checked as
  ordinary lines below, which is stricter, never looser;
- the first line must be a plain ``name:`` key; every other line must either match
  `_SAFE_LINE` (no place on it where a node can start with a quote, bracket, brace, block
  indicator, anchor, alias or tag; at column 0 a plain ``name:`` key), or pass the exact check:
  each node start (after the indentation, after ``- ``, after a plain key's ``: ``) is a plain
  scalar, a quoted scalar or flow collection that closes on that line, or a block header; an
  anchor, alias, tag, ``? ``, ``<<``, quoted key, ``...`` or ``%`` gives up. So no quoted
  scalar or flow collection can span a column-0 line and hide or fake a key.

Every pattern is written so that a line matches in one way only: the scanner is linear on
hostile input (tests/resume/test_resume_fmscan.py times 60 KB pathological lines).

For the key itself it accepts ``[]``/``[a, 'b']`` on one line, a block list of scalar items
(plain or single-line quoted) or null; each plain item must resolve to a string under PyYAML's
own implicit resolver (so ``- yes``, ``- 2026-01-02`` or ``- 12`` give up). Duplicate keys: the
last wins, as in PyYAML. tests/resume/test_resume_fmscan.py checks it against the YAML parser on
thousands of generated, mutated and PyYAML-emitted documents.

`quick_list` never raises on odd input and never guesses: the cost of giving up is one parse.
"""

from __future__ import annotations

import re

_BAD_CHARS = ("\t", "\r", "\ufeff", "\x85", "\u2028", "\u2029")
_TOP_KEY_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?= |$)")
_BLOCK_HEADER_RE = re.compile(r"[|>][+-]?[ ]*(?:#.*)?$")
_PLAIN_ITEM_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+-]*$")
_NODE_START_GIVE_UP = frozenset("&*!%@`?,]}")


def _close_quoted(text: str) -> int | None:
    """End offset (after the closing quote) of the quoted scalar at ``text[0]``; None if it
    does not close on this line."""
    quote = text[0]
    i = 1
    n = len(text)
    if quote == '"':
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                return i + 1
            i += 1
        return None
    while i < n:
        if text[i] == "'":
            if i + 1 < n and text[i + 1] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return None


def _rest_is_empty(rest: str) -> bool:
    rest = rest.lstrip(" ")
    return not rest or rest[0] == "#"


def _flow_end(text: str) -> int | None:
    """End offset of the flow collection at ``text[0]`` if it closes on this line."""
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "\"'":
            end = _close_quoted(text[i:])
            if end is None:
                return None
            i += end
            continue
        elif c == "#" and text[i - 1] == " ":
            return None  # a comment inside an open flow collection: it continues below
        elif c in "&*!":
            return None
        i += 1
    return None


def _plain_colon(text: str) -> int:
    """Offset of the ``:`` that ends a plain key on this line (``: `` or a final ``:``), or -1.
    Stops at a comment (`` #``)."""
    hash_at = text.find(" #")
    end = len(text) if hash_at < 0 else hash_at
    i = text.find(":", 0, end)
    while i >= 0:
        if i + 1 == len(text) or text[i + 1] == " ":
            return i
        i = text.find(":", i + 1, end)
    return -1


def _node(text: str, allow_key: bool) -> bool:
    """Is the node starting at ``text`` (one line's rest) in our subset: a plain scalar, a quoted
    scalar or flow collection closing on this line, or a block scalar header?"""
    if not text or text[0] == "#":
        return True
    c = text[0]
    if c == '"' or c == "'":
        end = _close_quoted(text)
        # anything after the closing quote (a quoted key, junk) is not our subset
        return end is not None and _rest_is_empty(text[end:])
    if c == "[" or c == "{":
        end = _flow_end(text)
        return end is not None and _rest_is_empty(text[end:])
    if c == "|" or c == ">":
        return _BLOCK_HEADER_RE.match(text) is not None
    if c in _NODE_START_GIVE_UP:
        return False
    if c == "-" and (len(text) == 1 or text[1] == " "):
        return False  # "key: - x" is not our subset
    if not allow_key:
        return True
    i = _plain_colon(text)
    if i < 0:
        return True
    return _node(text[i + 1 :].lstrip(" "), False)


def _line(content: str) -> bool:
    """A line outside block scalar bodies, without its indentation."""
    m = _DASHES_RE.match(content)
    if m.end():
        content = content[m.end() :]
        if not content:
            return True
    return _node(content, True)


_resolver_cache: dict = {}


def _plain_is_str(value: str) -> bool:
    hit = _resolver_cache.get(value)
    if hit is None:
        import yaml  # already imported by whoever parses workstreams; lazy for the warm path

        tag = yaml.resolver.Resolver().resolve(yaml.nodes.ScalarNode, value, (True, False))
        hit = tag == "tag:yaml.org,2002:str"
        _resolver_cache[value] = hit
    return hit


def _item(text: str):
    """One list item (plain or quoted, on one line) -> str, or None to give up."""
    text = text.strip(" ")
    if not text:
        return None
    c = text[0]
    if c == "'" or c == '"':
        end = _close_quoted(text)
        if end is None or not _rest_is_empty(text[end:]):
            return None
        inner = text[1 : end - 1]
        if c == '"':
            return None if "\\" in inner else inner
        return inner.replace("''", "'")
    hash_at = text.find(" #")
    if hash_at >= 0:
        text = text[:hash_at].rstrip(" ")
    if not _PLAIN_ITEM_RE.match(text) or not _plain_is_str(text):
        return None
    return text


def _flow_items(text: str):
    text = text.rstrip(" ")
    end = _flow_end(text)
    if end is None or text[0] != "[" or not _rest_is_empty(text[end:]):
        return None
    inner = text[1 : end - 1]
    if not inner.strip(" "):
        return []
    if any(ch in inner for ch in "[]{}#:\"") or "\\" in inner:
        return None
    parts = inner.split(",")
    if not parts[-1].strip(" "):
        parts.pop()  # PyYAML accepts one trailing comma
    items = []
    for part in parts:
        part = part.strip(" ")
        if "'" in part and not (part.startswith("'") and part.endswith("'") and len(part) >= 2):
            return None
        value = _item(part)
        if value is None:
            return None
        items.append(value)
    return items


GIVE_UP = object()

_KEY = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_PLAIN = r"[A-Za-z0-9_(./~$^=+;\\][^:#\n]*(?:(?::(?=[^ \n])|(?<! )#)[^:#\n]*)*"
# A line that cannot start a quoted scalar, flow collection, block scalar, anchor, alias or tag,
# and, at column 0, is a plain "key:" line. Everything else is checked by `_line`/`_node`.
# Written so that each line can match in one way only (no nested ambiguity: linear time even on
# a hostile 64 KiB line).
_QUOTED = r"(?:'[^'\n]*(?:''[^'\n]*)*'|\"[^\"\\\n]*(?:\\[^\n][^\"\\\n]*)*\"|\[\]|\{\}) *"
_VALUE = r"(?:%s|%s)" % (_PLAIN, _QUOTED)
# Written so that each line can match in one way only (no nested ambiguity: linear time even on
# a hostile 64 KiB line).
_SAFE_LINE = r"(?:%s:(?: +%s| *)|(?: +(?:- +)*|(?:- +)+)(?:%s:(?: +%s| *)|%s)?)?" % (
    _KEY, _VALUE, _KEY, _VALUE, _VALUE,
)
_SAFE_RUN_RE = re.compile(r"(?:%s(?:\n|\Z))*" % _SAFE_LINE)
_HEADER_RE = re.compile(r"( *)((?:- +)*)(?:(%s):[ ]+)?[|>][+-]?[ ]*(?:#[^\n]*)?$" % _KEY, re.M)
_HEADER_TAIL_RE = re.compile(r"[|>][+-]?[ ]*(?:#[^\n]*)?$", re.M)
_FIRST_KEY_RE = re.compile(r"(?: *(?:#[^\n]*)?\n)*[A-Za-z_][A-Za-z0-9_-]*:(?= |\n|$)")
_BLANKS_RE = re.compile(r"(?: *\n)*")
_SPACES_RE = re.compile(r" *")
_DASHES_RE = re.compile(r"(?:-(?: +|$))*")
_NOTHING_RE = re.compile(r"(?: *(?:#[^\n]*)?(?:\n|\Z))*")
_body_res: dict = {}


def _body_end(fm: str, pos: int, owner: int):
    """Offset of the first line after the block scalar body starting at ``pos`` (a line start),
    or GIVE_UP. Mirrors PyYAML: the content indentation is the first text line's, which must
    exceed the owner's column; blank lines belong to the body."""
    m = _BLANKS_RE.match(fm, pos)
    blank = fm[pos : m.end()]
    first = m.end()
    if first >= len(fm):
        return len(fm)
    indent = _SPACES_RE.match(fm, first).end() - first
    if indent <= owner:
        return pos  # empty body; the line belongs to the structure
    if blank and max(len(x) for x in blank.split("\n")) > indent:
        return GIVE_UP  # PyYAML would take the longer blank line's indentation
    body = _body_res.get(indent)
    if body is None:
        body = _body_res[indent] = re.compile(r"(?: {%d}[^\n]*(?:\n|\Z)| *\n)*" % indent)
    return body.match(fm, first).end()


def _indicators(fm: str) -> list:
    """Offsets of every "|" and ">" (str.find is memchr-fast; a regex scan is not)."""
    found = []
    for ch in "|>":
        i = fm.find(ch)
        while i >= 0:
            found.append(i)
            i = fm.find(ch, i + 1)
    found.sort()
    return found


def quick_list(fm: str, key: str):
    """The value of top-level ``key`` as a list of str, None when the key is absent or null,
    or ``GIVE_UP`` when the frontmatter is outside the subset this scanner is sure about."""
    for bad in _BAD_CHARS:
        if bad in fm:
            return GIVE_UP
    # 1. Cut out block scalar bodies (their text is anything at all).
    parts = []
    pos = 0
    for at in _indicators(fm):
        if at < pos:
            continue  # inside the body of an earlier block scalar
        tail = _HEADER_TAIL_RE.match(fm, at)
        if tail is None:
            continue
        m = _HEADER_RE.match(fm, fm.rfind("\n", 0, at) + 1)
        if m is None or m.end() != tail.end():
            continue  # a "|" or ">" inside text, not a block scalar header
        indent, dashes, has_key = len(m.group(1)), m.group(2), m.group(3)
        if has_key:
            owner = indent + len(dashes)
        elif dashes:
            owner = indent + dashes.rstrip(" ").rindex("-")
        else:
            owner = indent  # a header on its own line: at least as strict as YAML
        line_end = m.end() + 1 if m.end() < len(fm) else m.end()
        end = _body_end(fm, line_end, owner)
        if end is GIVE_UP:
            return GIVE_UP
        parts.append(fm[pos:line_end])
        pos = end
    text = "".join(parts) + fm[pos:] if parts else fm
    # 2. The document must start with a top-level key (or hold only blanks and comments).
    if _FIRST_KEY_RE.match(text) is None and _NOTHING_RE.fullmatch(text) is None:
        return GIVE_UP
    # 3. Every line that is not provably harmless gets the exact check.
    pos = 0
    n = len(text)
    while True:
        pos = _SAFE_RUN_RE.match(text, pos).end()
        if pos >= n:
            break
        nl = text.find("\n", pos)
        if nl < 0:
            nl = n
        line = text[pos:nl]
        pos = nl + 1
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if not content or content[0] == "#":
            continue
        if indent == 0 and not (content[:2] == "- " or content == "-"):
            k = _TOP_KEY_RE.match(line)
            if k is None:
                return GIVE_UP
            if k.group(1) == key:
                continue  # read below
            ok = _node(line[k.end() :].lstrip(" "), False)
        else:
            ok = _line(content)
        if not ok:
            return GIVE_UP
    # 4. The key itself (the last one wins, as in PyYAML).
    marker = key + ":"
    at = -1
    probe = text.find(marker)
    while probe >= 0:
        end = probe + len(marker)
        if (probe == 0 or text[probe - 1] == "\n") and (end == len(text) or text[end] in " \n"):
            at = probe
        probe = text.find(marker, end)
    if at < 0:
        return None
    nl = text.find("\n", at)
    rest = (text[at + len(marker) :] if nl < 0 else text[at + len(marker) : nl]).lstrip(" ")
    following = [] if nl < 0 else text[nl + 1 :].split("\n")
    value, _ = _key_value(rest, following, 0)
    return value


def _key_value(rest: str, lines: list, j: int):
    """Value of our key: (list | None | GIVE_UP, index of the next line to scan)."""
    if rest and rest[0] != "#":
        if rest[0] == "[":
            value = _flow_items(rest)
            if value is None:
                return GIVE_UP, j
        elif rest.split(" #", 1)[0].rstrip(" ") in ("~", "null", "Null", "NULL"):
            value = None
        else:
            return GIVE_UP, j
        # The value must end on this line: an indented line below could continue a plain
        # scalar ("~" + "  more" is the string "~ more").
        while j < len(lines):
            content = lines[j].lstrip(" ")
            if content and content[0] != "#":
                if len(content) == len(lines[j]) and content[:2] != "- " and content != "-":
                    break
                return GIVE_UP, j
            j += 1
        return value, j
    items: list = []
    item_indent = -1
    n = len(lines)
    while j < n:
        line = lines[j]
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if not content or content[0] == "#":
            j += 1
            continue
        if content == "-":
            return GIVE_UP, j
        if content[:2] == "- ":
            if item_indent < 0:
                item_indent = indent
            elif indent != item_indent:
                return GIVE_UP, j
            value = _item(content[2:])
            if value is None:
                return GIVE_UP, j
            items.append(value)
            j += 1
            continue
        if indent == 0:
            break
        return GIVE_UP, j
    return (items if items else None), j
