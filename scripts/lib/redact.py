"""Redacting secrets from Claude Code transcripts (JSON Lines) before they are archived.

Transcripts hold tool output verbatim, secrets included. `redact_jsonl` keeps the file's shape:

- Every line that was valid JSON stays valid JSON, and only the JSON string literals that held
  a secret are rewritten (decoded, redacted, re-encoded); every other byte of the line, and
  every line without a secret, stays byte-identical.
- A secret is replaced by ``[REDACTED:<family>]``; for assignments, ``Authorization`` headers
  and URLs only the secret part goes (``PASSWORD=[REDACTED:assignment]``), so the transcript
  stays readable.
- A line that is not JSON (a truncated last line) is redacted as plain text.

Families: AWS access keys, GitHub / GitLab / Slack tokens (and Slack webhooks), Anthropic and
OpenAI keys, Google API keys, Stripe and npm tokens, JWTs, PEM private key blocks,
``Authorization: Bearer|Basic|token`` values, URLs with a password, and ``*PASSWORD*=``,
``*SECRET*=``, ``*TOKEN*=``, ``*API_KEY*=``-style assignments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# (family, pattern). A pattern with a group named "secret" redacts only that group.
_TOKEN_PATTERNS = [
    (
        "pem_private_key",
        r"-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
        r"(?:.*?-----END (?P=kind)-----|.*\Z)",
    ),
    ("aws_access_key", r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ("github_token", r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"),
    (
        "gitlab_token",
        r"(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|cbt|ptt|ft|soat|imt|oas|agent)-[A-Za-z0-9_-]{20,}",
    ),
    ("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}"),
    ("slack_token", r"(?<![A-Za-z0-9_-])xox(?:[abposre]|app)-[A-Za-z0-9-]{10,}"),
    ("anthropic_key", r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai_key", r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
    ("google_api_key", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
    ("stripe_key", r"(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("npm_token", r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    ("jwt", r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    (
        "authorization",
        r"(?i:\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?\s*(?:bearer|basic|token|bot)\s+)"
        r"(?P<secret>[A-Za-z0-9._~+/=-]{6,})",
    ),
    ("bearer_token", r"(?i:\bbearer\s+)(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)"),
    ("url_password", r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^/\s:@\"'<>]{1,256}:(?P<secret>[^/\s@\"'<>]{1,256})@"),
]

_SECRET_WORDS = (
    r"password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
    r"|client[_-]?secret|credentials?"
)
# A name that holds a secret: it ends with a secret word or goes on after a separator
# ("GITHUB_TOKEN", "db_password_hash"; not "max_tokens"). Lengths are bounded so no input can
# make the search quadratic.
_NAME = r"[A-Za-z0-9_.-]{0,60}?(?i:" + _SECRET_WORDS + r")(?:[_.-][A-Za-z0-9_.-]{0,60})?"
_SECRET_NAME = re.compile(r"(?:" + _NAME + r"|(?i:(?:proxy-)?authorization))\Z")
# NAME=value (shell, .env, code) and NAME: value (YAML, headers, JSON text inside a string).
# "name: value" forms need a quoted, ALL-CAPS or snake_case name, or a password word, so prose
# like "the token: it expires" is left alone.
_ASSIGNMENT = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_])" + _NAME + r")"
    r"(?P<q1>[\"']?)(?P<sep>[ \t]*(?:=|:(?!//))[ \t]*)"
    r"(?:\"(?P<dq>[^\"\n]*)\"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s\"',;&|)}\]>]+))"
)
_NOT_SECRET_VALUES = frozenset(
    (
        "",
        "null",
        "none",
        "nil",
        "true",
        "false",
        "undefined",
        "yes",
        "no",
        "required",
        "optional",
        "str",
        "string",
        "int",
        "bool",
        "bytes",
        "float",
        "any",
        "dict",
        "list",
        "object",
        "number",
        "boolean",
        "...",
        "…",
    )
)
_CODE_LIKE = re.compile(r"[(\[{=]|\A[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
# Cheap pre-check: a string that matches none of these cannot hold a secret of any family.
_TRIGGER = re.compile(
    r"(?i:private key|akia|asia|abia|acca|agpa|aida|aroa|anpa|gh[pousr]_|github_pat_|gl[a-z]{1,5}-"
    r"|xox|sk-|sk_|rk_|aiza|npm_|eyj|bearer|authoriz|://|pass|secret|token|api.?key|access.?key"
    r"|auth.?key|credential)"
)

_TOKENS = [(family, re.compile(pattern, re.DOTALL)) for family, pattern in _TOKEN_PATTERNS]
REDACTED_RE = re.compile(r"\[REDACTED:[a-z_]+\]")


def _marker(family: str) -> str:
    return "[REDACTED:%s]" % family


@dataclass
class Redaction:
    text: str
    count: int = 0
    by_family: dict = field(default_factory=dict)

    def add(self, family: str, n: int = 1) -> None:
        self.count += n
        self.by_family[family] = self.by_family.get(family, 0) + n

    def absorb(self, other: Redaction) -> None:
        for family, n in other.by_family.items():
            self.add(family, n)


def is_secret_value(value: str) -> bool:
    """False for values an assignment to a secret name can hold without being a secret."""
    stripped = value.strip()
    if stripped.lower() in _NOT_SECRET_VALUES or REDACTED_RE.search(stripped):
        return False
    if stripped.startswith(("$", "<", "%", "{{")):  # a reference or placeholder, not the secret
        return False
    return not _CODE_LIKE.search(stripped)


def _assignment_ok(m: re.Match, value: str) -> bool:
    if not is_secret_value(value):
        return False
    if ":" in m.group("sep") and not m.group("q1"):
        name = m.group("name")
        is_env_or_snake = name.isupper() or "_" in name or "-" in name
        is_password = re.search(r"(?i)pass(?:word|wd|phrase)", name) is not None
        if not (is_env_or_snake or is_password):
            return False
    return True


def redact_text(text: str) -> Redaction:
    """``text`` with every secret replaced; ``count`` secrets redacted."""
    out = Redaction(text)
    if not _TRIGGER.search(text):
        return out
    for family, regex in _TOKENS:
        if family == "pem_private_key" and "PRIVATE KEY" not in out.text:
            continue

        def replace(m: re.Match, family=family, regex=regex) -> str:
            if "secret" in regex.groupindex:
                start, end = m.span("secret")
                if REDACTED_RE.fullmatch(m.group("secret")):
                    return m.group(0)
                out.add(family)
                return m.string[m.start() : start] + _marker(family) + m.string[end : m.end()]
            out.add(family)
            return _marker(family)

        out.text = regex.sub(replace, out.text)

    def replace_assignment(m: re.Match) -> str:
        group = "dq" if m.group("dq") is not None else "sq" if m.group("sq") is not None else "bare"
        if not _assignment_ok(m, m.group(group)):
            return m.group(0)
        start, end = m.span(group)
        out.add("assignment")
        return m.string[m.start() : start] + _marker("assignment") + m.string[end : m.end()]

    out.text = _ASSIGNMENT.sub(replace_assignment, out.text)
    return out


# A JSON string literal; in valid JSON, scanning left to right with this finds exactly the
# string tokens (outside strings there are no quotes or backslashes).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _encode_json_string(value: str) -> str:
    try:
        encoded = json.dumps(value, ensure_ascii=False)
        encoded.encode("utf-8")
        return encoded
    except UnicodeEncodeError:  # a lone surrogate: escape everything non-ASCII instead
        return json.dumps(value, ensure_ascii=True)


def redact_json_line(line: str) -> Redaction:
    """One JSON text with the secrets in its string values redacted.

    Keys are never changed; the value of a key that names a secret (``"api_key": "..."``,
    ``"Authorization": "..."``) is redacted whole.
    """
    try:
        json.loads(line)
    except ValueError:
        return redact_text(line)
    total = Redaction(line)
    pieces = []
    last = 0
    secret_key_end = None  # end offset of the last key that names a secret
    for m in _JSON_STRING.finditer(line):
        literal = m.group(0)
        value = json.loads(literal) if "\\" in literal else literal[1:-1]
        after = line[m.end() : m.end() + 64].lstrip()
        if after.startswith(":"):  # an object key
            secret_key_end = m.end() if _SECRET_NAME.match(value) else None
            continue
        if secret_key_end is not None and line[secret_key_end : m.start()].strip() == ":" and is_secret_value(value):
            red = Redaction(_marker("assignment"))
            red.add("assignment")
        else:
            red = redact_text(value)
        secret_key_end = None
        if not red.count:
            continue
        pieces.append(line[last : m.start()])
        pieces.append(_encode_json_string(red.text))
        last = m.end()
        total.absorb(red)
    if total.count:
        pieces.append(line[last:])
        total.text = "".join(pieces)
    return total


def redact_jsonl(data: bytes) -> tuple:
    """(redacted bytes, Redaction summary with text unset) for a whole JSONL file."""
    summary = Redaction("")
    out = []
    for raw in data.split(b"\n"):
        line = raw.decode("utf-8", "surrogateescape")
        core = line[:-1] if line.endswith("\r") else line
        if not core.strip():
            out.append(raw)
            continue
        red = redact_json_line(core)
        if not red.count:
            out.append(raw)
            continue
        summary.absorb(red)
        text = red.text + line[len(core) :]
        out.append(text.encode("utf-8", "surrogateescape"))
    return b"\n".join(out), summary
