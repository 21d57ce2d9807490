"""Redacting secrets from Claude Code transcripts (JSON Lines) before they are archived.

Transcripts hold tool output verbatim, secrets included. `redact_jsonl` keeps the file's shape:

- Every line that was valid JSON stays valid JSON, and only the JSON tokens that held a secret
  are rewritten (a string is decoded, redacted, re-encoded; a number under a secret key becomes
  the string ``"[REDACTED:assignment]"``); every other byte of the line, and every line without
  a secret, stays byte-identical.
- A secret is replaced by ``[REDACTED:<family>]``; for assignments, ``Authorization`` headers
  and URLs only the secret part goes (``PASSWORD=[REDACTED:assignment]``), so the transcript
  stays readable.
- JSON inside JSON: a string value that is itself JSON text (a tool result) is redacted as JSON,
  `MAX_DEPTH` levels deep. Text with JSON string escapes (``\\"``, ``\\u0041``, ``\\/``) is also
  searched in its decoded form, and what is found there is cut out of the text as it stands,
  so ``{\\"password\\": \\"x\\"}`` in a truncated line, or ``\\u0041KIA...``, is caught and the
  rest of the line is left as it was.
- A line that is not JSON (a truncated last line) is redacted as plain text, as above.
- Secret keys: the value of a key that names a secret (``"api_key"``, ``"Authorization"``) is
  redacted whole, numbers and the items of a list included; a key that is itself a token (an
  AWS key id used as a key) is redacted like any string.

Families (`FAMILY_DESCRIPTIONS`; the rules follow gitleaks' and detect-secrets', whose test
strings tests/logs/test_handoff_redact.py reuses): AWS access key ids, and a bare 40-character
AWS secret key next to one (mixed case, never a 40-digit hex number such as a git sha), GitHub /
GitLab / Slack tokens (and Slack webhooks), Hugging Face and Twilio tokens, Azure storage
``AccountKey=``, Anthropic and OpenAI keys, Google API keys, Stripe and npm tokens, JWTs (three
base64url parts, header and payload JSON objects), PEM private key blocks (also a block split
over two strings: each half's base64 body goes), ``Authorization: Bearer|Basic|token`` values,
URLs with a password (``scheme://user:pw@host``, empty user and ``@`` in the password included),
``curl -u user:pw``, ``mysql -pPW``, and ``*PASSWORD*=``, ``*SECRET*=``, ``*TOKEN*=``,
``*API_KEY*=``, ``*PRIVATE_KEY*=``-style assignments (``=``, ``:``, ``:=`` and ``--flag value``
forms; ``ENV_NAME <key-shaped value>``; chains such as ``password: api_key = <secret>``, whose
secret is the value after the last separator, and the whole chain after the first one goes:
see `_assignment_spans`).

The same detector decides whether a ``write-session`` draft holds a secret
(lib/logs/draft_secrets.py).

Deliberately kept (not secrets): a value that is a reference (``$VAR``, ``${VAR}``,
``$(cmd)``, ``<placeholder>``, ``{{ template }}``), code (``getpass.getpass()``,
``os.environ[...]``, ``self.token``), type names and the like (``str``, ``null``); names that
describe a secret rather than hold one (``token_type``, ``token_count``, ``secret_name``,
``password_file``...); a hash name's algorithm (``password_hash: argon2``); prose
(``password: then``, ``the API_KEY is set``); a port that reads like a password
(``https://example.com:8080@foo``); a command-line password that is a placeholder
(``curl -u user:$PASS``, ``-u <user:password>``, ``mysql -p`` alone, which prompts).

Cost is linear in the input: every pattern's repetitions are bounded or cannot overlap, and
the assignment scanner starts only at a secret word (tests/logs/test_handoff_redact.py times
adversarial inputs).
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from dataclasses import dataclass, field

MAX_DEPTH = 3  # JSON text inside strings, and levels of string escaping, that are looked into
_PEM_KIND = r"[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?"

# (family, pattern), in priority order (the first wins when two find the same text). A pattern
# with a group named "secret" redacts only that group.
_TOKEN_PATTERNS = [
    (
        "pem_private_key",
        r"-----BEGIN (?P<kind>" + _PEM_KIND + r")-----(?:.*?-----END (?P=kind)-----|.*\Z)",
    ),
    ("aws_access_key", r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    # gitleaks huggingface-access-token / -organization-api-token: "hf_" or "api_org_" + 34 letters
    ("huggingface_token", r"(?<![A-Za-z0-9_])(?:hf|api_org)_[A-Za-z]{34}(?![A-Za-z0-9_])"),
    # detect-secrets TwilioKeyDetector (AC/SK + 32 lowercase alphanumerics) and gitleaks
    # twilio-api-key (SK + 32 hex of either case)
    ("twilio_key", r"(?<![A-Za-z0-9_])(?:AC|SK)(?:[0-9a-z]{32}|[0-9a-fA-F]{32})(?![A-Za-z0-9_])"),
    # detect-secrets AzureStorageKeyDetector ("AccountKey=" + 88 base64), any length from 20; the
    # same shape names Service Bus / Event Hubs keys in their connection strings
    ("azure_storage_key", r"(?i:\b(?:Account|SharedAccess)Key[ \t]*=[ \t]*)(?P<secret>[A-Za-z0-9+/]{20,1024}={0,2})"),
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
    # base64url of '{"', '{ ', '{\n', '{\t', '{\r' starts "ey" or "ew": header and payload are
    # JSON objects, whatever their spacing.
    ("jwt", r"(?<![A-Za-z0-9_-])e[wy][A-Za-z0-9_-]{8,}\.e[wy][A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    (
        "authorization",
        r"(?i:\b(?:proxy-)?authorization\b[\"']?[ \t]*[:=][ \t]*(?:[\"'][ \t]*)?(?:bearer|basic|token|bot)[ \t]+)"
        r"(?P<secret>[A-Za-z0-9._~+/=-]{6,})",
    ),
    ("bearer_token", r"(?i:\bbearer[ \t]+)(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)"),
    # The password runs to the last "@" before the host ("p@ss@host"); the user may be empty.
    (
        "url_password",
        r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://(?P<user>[^/\s:@\"'<>]{0,256}):(?P<secret>[^/\s\"'<>]{1,256})@",
    ),
    # gitleaks curl-auth-user: "curl ... -u user:pw" / "--user=user:pw" (quoted or not, the
    # option on a continuation line); only the password goes. Placeholders: `_placeholder`.
    (
        "curl_password",
        r"\bcurl\b.{0,512}?[ \t\n](?:-u|--user)(?:=|[ \t]{0,5})[\"']?(?P<user>[^\s:\"']{0,256})[\"']?"
        r":[\"']?(?P<secret>[^\s\"']{1,256})",
    ),
    # "mysql -pPASSWORD" (the password glued to -p; a lone -p prompts; -P is the port), also
    # mysqldump, mysqladmin, mariadb... "--password=" is an assignment.
    (
        "mysql_password",
        r"(?i:\b(?:mysql|mariadb)[a-z_-]{0,16}\b)[^\n]{0,256}?[ \t]-p"
        r"(?P<secret>\"[^\"\n]{1,256}\"|'[^'\n]{1,256}'|[^\s\"'][^\s]{0,255})",
    ),
]
_TOKENS = [(family, re.compile(pattern, re.DOTALL)) for family, pattern in _TOKEN_PATTERNS]
# Families whose every match holds one of these (lower-cased) words: not looked for without one.
_FAMILY_NEEDS = {
    "pem_private_key": ("private key",),
    "huggingface_token": ("hf_", "api_org_"),
    "azure_storage_key": ("accountkey", "sharedaccesskey"),
    "slack_webhook": ("hooks.slack.com",),
    "url_password": ("://",),
    "curl_password": ("curl",),
    "mysql_password": ("mysql", "mariadb"),
}
_PRIORITY = {family: i for i, (family, _) in enumerate(_TOKEN_PATTERNS)}
_PRIORITY["pem_private_key_end"] = 0
_PRIORITY["aws_secret_key"] = _PRIORITY["aws_access_key"]
_PRIORITY["assignment"] = len(_TOKEN_PATTERNS)
# A 40-character AWS secret access key candidate (and `_aws_secret_shaped`); "=" after it means
# a longer base64 text, checked where it is found.
# What each family is, for a person ("looks like an AWS secret access key"); one per family.
FAMILY_DESCRIPTIONS = {
    "pem_private_key": "a private key (PEM block)",
    "aws_access_key": "an AWS access key id",
    "aws_secret_key": "an AWS secret access key",
    "huggingface_token": "a Hugging Face token",
    "twilio_key": "a Twilio key",
    "azure_storage_key": "an Azure storage account key",
    "github_token": "a GitHub token",
    "gitlab_token": "a GitLab token",
    "slack_webhook": "a Slack webhook URL",
    "slack_token": "a Slack token",
    "anthropic_key": "an Anthropic API key",
    "openai_key": "an OpenAI API key",
    "google_api_key": "a Google API key",
    "stripe_key": "a Stripe key",
    "npm_token": "an npm token",
    "jwt": "a JSON Web Token",
    "authorization": "an Authorization header's credentials",
    "bearer_token": "a bearer token",
    "url_password": "a password in a URL",
    "curl_password": "a password given to curl -u",
    "mysql_password": "a MySQL password given with -p",
    "assignment": "a secret assigned to a password, token or key name",
}
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])")
AWS_PAIR_WINDOW = 256
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# What a command-line password in documentation stands for (gitleaks curl-auth-user allowlist).
_PLACEHOLDER_WORDS = frozenset(
    ("pass", "password", "passwd", "pwd", "test", "token", "secret", "changeit", "changeme", "pw", "mypassword")
)

_SECRET_WORDS = (
    r"password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
    r"|client[_-]?secret|credentials?"
)
# A name that holds a secret: it ends with a secret word or goes on after a separator
# ("GITHUB_TOKEN", "db_password_hash"; not "max_tokens"). Lengths are bounded.
_NAME = r"[A-Za-z0-9_.-]{0,60}?(?i:" + _SECRET_WORDS + r")(?:[_.-][A-Za-z0-9_.-]{0,60})?"
_SECRET_NAME = re.compile(r"(?:" + _NAME + r"|(?i:(?:proxy-)?authorization))\Z")
_SECRET_WORD = re.compile(r"(?i:" + _SECRET_WORDS + r")")
# A name whose last part is one of these describes a secret rather than holding one.
_DESCRIBING = frozenset(
    (
        "type", "types", "kind", "count", "counts", "length", "len", "size", "name", "names", "label", "field",
        "fields", "id", "ids", "url", "uri", "urls", "endpoint", "path", "file", "dir", "env", "var", "expiry",
        "expires", "expiration", "ttl", "lifetime", "timeout", "limit", "limits", "min", "max", "policy",
        "format", "algorithm", "algo", "alg", "scheme", "prefix", "suffix", "hint", "header", "param",
        "params", "version", "mode", "enabled", "required", "source", "provider", "strength", "rules", "regex",
        "pattern", "placeholder", "prompt", "description", "desc", "help", "usage", "status", "valid",
        "expired", "index", "idx", "at", "in", "set", "changed", "reset", "updated", "created", "age",
        "rotation", "store", "manager", "service", "helper",
    )
)
_HASH_PARTS = frozenset(("hash", "hashed", "digest"))
_ALGORITHM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,19}\Z")  # "argon2", "bcrypt", "pbkdf2_sha256"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")

# The assignment scanner starts at a secret word (rare), never at every name-like character,
# so no input makes it quadratic: the name's prefix is found by scanning back (60 characters at
# most) and the value by one bounded match after the separator.
# The suffix is matched "atomically" (lookahead + backreference: the suffix's characters and
# what may follow it are disjoint, so giving characters back could never help).
_ASSIGNMENT_HEAD = re.compile(
    r"(?i:" + _SECRET_WORDS + r")(?=(?P<suffix>(?:[_.-][A-Za-z0-9_.-]{0,60})?))(?P=suffix)(?P<q1>[\"']?)"
    r"(?P<sep>[ \t]*(?::=|=|:(?!//))[ \t]*|[ \t]+)"
)
_ASSIGNMENT_VALUE = re.compile(
    r"\"(?P<dq>[^\"\n]{0,4096})\"|'(?P<sq>[^'\n]{0,4096})'|(?P<bare>[^\s\"',;&|>]{1,512})"
)
# One link of a chain ("api_key = ", "token: "): a bare name, then "=", ":" or ":=" with a space
# before or after it (so "Pa55:word" and "abc=def" stay one value).
_CHAIN_LINK = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,60})[\"']?(?:[ \t]+(?::=|=|:(?!//))|(?::=|=|:)(?=[ \t]))[ \t]*"
)
MAX_CHAIN = 8
_KEY_CHARS = re.compile(r"[A-Za-z0-9+/=_.~-]+")
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
        "***",
        "****",
        "********",
        "redacted",
        "[redacted]",
    )
)
# After "password:" in prose ("the password: then run ..."), never a password.
_PROSE_WORDS = frozenset(
    (
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "for", "from", "here", "if", "in", "is",
        "it", "its", "no", "not", "of", "on", "or", "see", "set", "so", "that", "the", "then", "there", "this",
        "to", "use", "was", "we", "when", "which", "will", "with", "you", "your",
    )
)
_REFERENCE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[^{}]*\}|\([^()]*\)|[0-9@*#?$!-])\Z")
_CALL_OR_INDEX = re.compile(r"[A-Za-z_][\w.]*[ \t]*[(\[]")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\Z")
_RECEIVERS = frozenset(
    (
        "self", "this", "cls", "ctx", "context", "config", "conf", "cfg", "settings", "options", "opts",
        "args", "kwargs", "params", "env", "environ", "os", "process", "request", "req", "app", "props",
        "state", "creds", "credentials", "secrets", "vault", "auth", "user", "data", "payload", "response",
        "resp", "session", "client",
    )
)
# Cheap pre-check: text whose lower-cased form holds none of these cannot hold a secret of any
# family (a superset of what the patterns need; substring search is far cheaper than a regex
# alternation tried at every position).
_TRIGGER_WORDS = (
    "pass", "secret", "token", "apikey", "api_key", "api-key", "accesskey", "access_key", "access-key",
    "privatekey", "private_key", "private-key", "private key", "auth", "credential", "bearer", "://",
    ".ey", ".ew", "sk-", "sk_", "rk_", "akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "anpa",
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "glcbt-", "glptt-",
    "glft-", "glsoat-", "glimt-", "gloas-", "glagent-", "xox", "aiza", "npm_", "hf_", "api_org_",
    "accountkey", "sharedaccesskey", "curl", "mysql", "mariadb",
)
# Twilio's "AC"/"SK" prefixes are common letter pairs: looked for case-sensitively, with the
# 32 characters after them.
_TWILIO_TRIGGER = re.compile(r"(?:AC|SK)[0-9a-zA-Z]{32}")


def _triggered(text: str) -> bool:
    low = text.lower()
    return any(word in low for word in _TRIGGER_WORDS) or _TWILIO_TRIGGER.search(text) is not None


# JSON string escapes that can hide a trigger: "\u0041KIA", "https:\/\/".
_HIDING_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\/")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([\"\\/bfnrt]))")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PEM_END = re.compile(r"-----END " + _PEM_KIND + r"-----")
_PEM_BODY_LINE = re.compile(r"[ \t]*[A-Za-z0-9+/=]+[ \t]*\Z")
_PEM_LINE_BREAK = re.compile(r"\r\n|\n|\r|\\r\\n|\\n")
PEM_BODY_MAX = 64 * 1024
REDACTED_RE = re.compile(r"\[REDACTED:[a-z_]+\]")
_MARKER_FOR_NUMBER = '"[REDACTED:assignment]"'


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


# --- names and values ----------------------------------------------------------------------


_NAME_SEPARATORS = re.compile(r"[_.-]+")


def _name_parts(name: str) -> list:
    return [p for p in _NAME_SEPARATORS.split(name.lower()) if p]


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True for a key or variable name that holds a secret (``GITHUB_TOKEN``, ``api_key``,
    ``Authorization``); False for one that only describes it (``token_type``, ``secret_name``)."""
    if len(name) > 200 or not _SECRET_NAME.match(name):
        return False
    parts = _name_parts(name)
    return not (parts and parts[-1] in _DESCRIBING)


def _is_hash_name(name: str) -> bool:
    parts = _name_parts(name)
    return bool(parts) and parts[-1] in _HASH_PARTS


def is_secret_value(value: str) -> bool:
    """False for values an assignment to a secret name can hold without being a secret: empty,
    a type or null word, a reference or placeholder (``$VAR``, ``${X}``, ``<pw>``, ``{{ x }}``),
    something already redacted, a ``==`` comparison."""
    stripped = value.strip()
    if stripped.lower() in _NOT_SECRET_VALUES or REDACTED_RE.search(stripped):
        return False
    if stripped.startswith("$"):  # "$VAR" is a reference; "$3cr3t!" is not
        return _REFERENCE.match(stripped) is None
    return not stripped.startswith(("<", "%", "{", "[", "(", "="))


def _is_code(value: str) -> bool:
    """An unquoted value that is an expression: a call or index (``getpass.getpass()``,
    ``os.environ[`` cut at its quote) or an attribute of a well-known object or named like a
    secret (``self.token``, ``settings.API_KEY``). ``abc(def)ghi`` and ``abc.def`` are not."""
    if _CALL_OR_INDEX.match(value) and value[-1] in "()[]":
        return True
    if _DOTTED.match(value):
        parts = value.split(".")
        return parts[0].lower() in _RECEIVERS or _SECRET_WORD.search(parts[-1]) is not None
    return False


def _value_is_secret(name: str, value: str) -> bool:
    if not is_secret_value(value):
        return False
    # "password_hash: argon2" names the algorithm
    return not (_is_hash_name(name) and _ALGORITHM_NAME.match(value.strip()))


def _trim_closers(value: str) -> str:
    """``abc)`` -> ``abc`` when the ``)`` closes something opened before the value."""
    for opener, closer in ("()", "[]", "{}"):
        extra = value.count(closer) - value.count(opener)
        while extra > 0 and value.endswith(closer):
            value = value[:-1]
            extra -= 1
    return value


# --- finding secrets in text ---------------------------------------------------------------


def _value_at(text: str, at: int):
    """(value, start, end, quoted) of the assignment value at ``at``, or None. A bare value is
    cut before closers it did not open; ``end`` is past the closing quote of a quoted one."""
    m = _ASSIGNMENT_VALUE.match(text, at)
    if m is None:
        return None
    for group in ("dq", "sq"):
        if m.group(group) is not None:
            return m.group(group), m.start(group), m.end(), True
    value = _trim_closers(m.group("bare"))
    return value, m.start("bare"), m.start("bare") + len(value), False


def _env_or_snake(name: str) -> bool:
    return name.isupper() or "_" in name or "-" in name


def _key_shaped(value: str) -> bool:
    """A value that can only be a key, not a word of prose: 16+ key characters, letters and digits."""
    return (
        len(value) >= 16
        and _KEY_CHARS.fullmatch(value) is not None
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )


def _assignment_spans(text: str, out: list) -> None:
    """Assignments to a secret name. Chains are one assignment: in ``password: api_key = <s>``,
    ``db_password: password = <s>`` or ``api_key: token: <s>`` the value names another key, so
    the secret is the value after the last separator, and everything after the first separator
    goes (a link name is itself no secret, but which part of a chain the secret is cannot be
    known for sure). A space alone separates a flag (``--password <s>``) or, for an env or
    snake name, a key-shaped value (``AWS_SECRET_ACCESS_KEY <s>``, ``aws configure set
    aws_secret_access_key <s>``), never a word (``the API_KEY is set``)."""
    pos = 0
    search = _ASSIGNMENT_HEAD.search
    while True:
        m = search(text, pos)
        if m is None:
            return
        pos = m.end("sep")
        start = m.start()
        floor = max(0, start - 60)
        while start > floor and text[start - 1] in _NAME_CHARS:
            start -= 1
        name = text[start : m.start("q1")]
        if not is_secret_name(name):
            continue
        sep = m.group("sep")
        found = _value_at(text, m.end())
        if found is None:
            continue
        value, v_start, v_end, quoted = found
        span_start, last_name, links = v_start, name, 0
        while not quoted and links < MAX_CHAIN:
            link = _CHAIN_LINK.match(text, v_start)
            found = _value_at(text, link.end()) if link is not None else None
            if found is None:
                break
            last_name, links = link.group("name"), links + 1
            value, v_start, v_end, quoted = found
        if not value or (not quoted and _is_code(value)):
            continue
        if "=" not in sep and ":" not in sep:
            if name.startswith("-"):  # "--password hunter2"
                if not quoted and not links and value.startswith("-"):
                    continue
            elif quoted or links or not _env_or_snake(name) or not _key_shaped(value):
                continue
        elif ":" in sep and "=" not in sep and not m.group("q1"):  # ":=" assigns like "="
            is_password = re.search(r"(?i)pass(?:word|wd|phrase)", name) is not None
            if not (_env_or_snake(name) or is_password):
                continue  # "the token: it expires"
            if value.lower() in _PROSE_WORDS:
                continue  # "password: then ..."
        if not (_value_is_secret(name, value) and _value_is_secret(last_name, value)):
            continue  # either name may say it is a hash's algorithm ("password_hash: str = argon2")
        span_end = v_end if links and quoted else v_start + len(value)
        out.append((span_start, span_end, _PRIORITY["assignment"], "assignment"))
        pos = max(pos, span_end)


def _pem_end_spans(text: str, covered: list, out: list) -> None:
    """The base64 body lines right before an ``-----END ... PRIVATE KEY-----`` whose BEGIN is
    elsewhere (a block split over two strings): from the first body line through the marker.
    ``covered``: sorted (start, end) of the complete blocks already found."""
    floor = 0
    starts = [s for s, _ in covered]
    for m in _PEM_END.finditer(text):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and m.start() < covered[i][1]:
            floor = m.end()
            continue
        lo = max(floor, m.start() - PEM_BODY_MAX)
        segment = text[lo : m.start()]
        breaks = list(_PEM_LINE_BREAK.finditer(segment))
        line_starts = [0] + [b.end() for b in breaks]
        line_ends = [b.start() for b in breaks] + [len(segment)]
        first_body = None
        for n in range(len(line_starts) - 1, -1, -1):
            line = segment[line_starts[n] : line_ends[n]]
            if n == len(line_starts) - 1 and not line.strip():
                continue  # the marker starts its line
            if not _PEM_BODY_LINE.match(line):
                break
            first_body = line_starts[n]
        if first_body is not None:
            out.append((lo + first_body, m.end(), _PRIORITY["pem_private_key_end"], "pem_private_key"))
        floor = m.end()


def _placeholder(value: str) -> bool:
    """A command-line password that only stands for one: ``$PASS``, ``${{ secrets.X }}``,
    ``<password>``, ``[PASSWORD]``, ``changeme``, ``****`` (gitleaks curl-auth-user's allowlist)."""
    value = value.strip("\"'")
    low = value.lower()
    if not low:
        return False  # an empty user ("curl -u :pw") stands for nothing
    if low in _PLACEHOLDER_WORDS or not low.strip("*") or not low.strip("x"):
        return True
    if value.startswith("$"):
        return _REFERENCE.match(value) is not None or value.startswith(("${{", "$("))
    return value.startswith(("<", "[", "{{")) or REDACTED_RE.search(value) is not None


def _kept(family: str, m) -> bool:
    """True when the match of a family with a "secret" group holds no secret after all."""
    secret = m.group("secret")
    if REDACTED_RE.fullmatch(secret):
        return True
    if family == "url_password":
        return secret.isdigit() and len(secret) <= 5 and "." in m.group("user")  # "https://example.com:8080@foo"
    if family in ("curl_password", "mysql_password"):
        return _placeholder(secret) or (family == "curl_password" and _placeholder(m.group("user")))
    return False


def _aws_secret_shaped(value: str) -> bool:
    """An AWS secret access key is 40 characters of base64 (30 random bytes): upper and lower
    case letters, and (all but certainly) a letter past "f". A git sha or any other 40-digit
    hex number (of either case, or both) never is one."""
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and not all(c in _HEX_DIGITS for c in value)
    )


def _aws_secret_spans(text: str, key_ids: list, out: list) -> None:
    """A bare 40-character secret within `AWS_PAIR_WINDOW` characters of an access key id (the
    pair as ``aws iam create-access-key``, a credentials CSV or a paste prints it; detect-secrets
    AWSKeyDetector looks for the secret next to the id the same way)."""
    scanned = 0
    for start, end in key_ids:
        lo, hi = max(scanned, start - AWS_PAIR_WINDOW), end + AWS_PAIR_WINDOW  # where a secret may start
        for m in _AWS_SECRET.finditer(text, lo, min(len(text), hi + 40)):
            after = text[m.end() : m.end() + 1]
            if (after and after in _BASE64_CHARS) or not _aws_secret_shaped(m.group()):
                continue
            out.append((m.start(), m.end(), _PRIORITY["aws_secret_key"], "aws_secret_key"))
        scanned = max(scanned, hi)


def _direct_spans(text: str) -> list:
    """(start, end, priority, family) of every secret found in ``text`` as it stands."""
    out: list = []
    if not _triggered(text):
        return out
    low = text.lower()
    for family, regex in _TOKENS:
        needs = _FAMILY_NEEDS.get(family)
        if needs is not None and not any(word in low for word in needs):
            continue  # a pass over the whole text saved
        for m in regex.finditer(text):
            if "secret" in regex.groupindex:
                if _kept(family, m):
                    continue
                start, end = m.span("secret")
            else:
                start, end = m.span()
            out.append((start, end, _PRIORITY[family], family))
    key_ids = [(s, e) for s, e, _, f in out if f == "aws_access_key"]
    if key_ids:
        _aws_secret_spans(text, key_ids, out)
    if "-----END " in text:
        covered = sorted((s, e) for s, e, _, f in out if f == "pem_private_key")
        _pem_end_spans(text, covered, out)
    _assignment_spans(text, out)
    return out


class _Unescaped:
    """``text`` with its JSON string escapes decoded, and the way back to ``text``'s offsets."""

    def __init__(self, text: str):
        self.view_starts = []  # view offset where each piece starts
        self.raw_starts = []  # text offset where that piece starts
        self.escape = []  # True: one decoded character from an escape of raw length n; else literal
        self.raw_len = []
        pieces = []
        view_pos = 0
        last = 0
        for m in _ESCAPE.finditer(text):
            if m.start() > last:
                self._piece(view_pos, last, False, m.start() - last)
                pieces.append(text[last : m.start()])
                view_pos += m.start() - last
            char = chr(int(m.group(1), 16)) if m.group(1) else _SIMPLE_ESCAPES[m.group(2)]
            self._piece(view_pos, m.start(), True, m.end() - m.start())
            pieces.append(char)
            view_pos += 1
            last = m.end()
        if last < len(text):
            self._piece(view_pos, last, False, len(text) - last)
            pieces.append(text[last:])
        self.view = "".join(pieces)

    def _piece(self, view_start: int, raw_start: int, escape: bool, raw_len: int) -> None:
        self.view_starts.append(view_start)
        self.raw_starts.append(raw_start)
        self.escape.append(escape)
        self.raw_len.append(raw_len)

    def raw_start(self, view_offset: int) -> int:
        i = bisect.bisect_right(self.view_starts, view_offset) - 1
        if self.escape[i]:
            return self.raw_starts[i]
        return self.raw_starts[i] + (view_offset - self.view_starts[i])

    def raw_end(self, view_end: int) -> int:
        """The text offset just after the view character at ``view_end - 1``."""
        i = bisect.bisect_right(self.view_starts, view_end - 1) - 1
        if self.escape[i]:
            return self.raw_starts[i] + self.raw_len[i]
        return self.raw_starts[i] + (view_end - self.view_starts[i])


def _decoded_view(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else _SIMPLE_ESCAPES[m.group(2)], text)


def _spans(text: str, depth: int) -> list:
    """Secrets in ``text`` and, ``depth`` levels of string escaping down, in its decoded form."""
    out = _direct_spans(text)
    if depth > 0 and "\\" in text and _ESCAPE.search(text):
        view = _decoded_view(text)
        if view != text and _triggered(view):
            inner = _spans(view, depth - 1)
            if inner:
                mapping = _Unescaped(text)
                out.extend((mapping.raw_start(s), mapping.raw_end(e), p, f) for s, e, p, f in inner if e > s)
    return out


def _apply(text: str, spans: list) -> Redaction:
    out = Redaction(text)
    if not spans:
        return out
    merged: list = []
    for start, end, _, family in sorted(spans, key=lambda s: (s[0], s[2])):
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, family])
    pieces = []
    last = 0
    for start, end, family in merged:
        pieces.append(text[last:start])
        pieces.append(_marker(family))
        last = end
        out.add(family)
    pieces.append(text[last:])
    out.text = "".join(pieces)
    return out


def might_hold_secret(text: str) -> bool:
    return _triggered(text) or ("\\u" in text and _HIDING_ESCAPE.search(text) is not None) or "\\/" in text


def redact_text(text: str, depth: int = MAX_DEPTH - 1) -> Redaction:
    """``text`` with every secret replaced; ``count`` secrets redacted. Text that is a JSON
    object or array is redacted as JSON (`_redact_json`); ``depth`` bounds how many more levels
    of JSON in strings, or of string escaping, are looked into."""
    if not might_hold_secret(text):
        return Redaction(text)
    if depth > 0 and _json_document(text):
        return _redact_json(text, depth - 1)
    return _apply(text, _spans(text, depth))


# --- JSON ----------------------------------------------------------------------------------

# JSON tokens of a valid JSON text; scanning left to right finds exactly them (whitespace is
# skipped). The string alternative is the unrolled form of "(?:[^"\\]|\\.)*": no per-character
# alternation.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def _encode_json_string(value: str) -> str:
    try:
        encoded = json.dumps(value, ensure_ascii=False)
        encoded.encode("utf-8")
        return encoded
    except UnicodeEncodeError:  # a lone surrogate: escape everything non-ASCII instead
        return json.dumps(value, ensure_ascii=True)


def _json_document(value: str):
    """True when ``value`` is JSON text worth walking (an object or array)."""
    head = value.lstrip()[:1]
    if head not in ("{", "["):
        return False
    try:
        json.loads(value)
    except (ValueError, RecursionError):
        return False
    return True


def _redact_json(text: str, depth: int) -> Redaction:
    """``text`` (valid JSON) with the secrets in its tokens redacted; see the module docstring."""
    total = Redaction(text)
    pieces = []
    last = 0
    stack = []  # per open container: (is_object, the secret key whose items an array holds, or None)
    expect_key = False
    secret_key = None  # the name of the secret key whose value comes next
    for m in _JSON_TOKEN.finditer(text):
        token = m.group(0)
        first = token[0]
        if first == "{":
            stack.append((True, False))
            expect_key, secret_key = True, None
            continue
        if first == "[":
            outer = stack[-1][1] if stack and not stack[-1][0] else None
            stack.append((False, secret_key if secret_key is not None else outer))
            secret_key = None
            continue
        if first in "}]":
            if stack:
                stack.pop()
            continue
        if first == ":":
            continue
        if first == ",":
            expect_key = bool(stack) and stack[-1][0]
            continue
        name = secret_key if secret_key is not None else (stack[-1][1] if stack and not stack[-1][0] else None)
        in_secret = name is not None
        secret_key = None
        if first == '"':
            value = json.loads(token) if "\\" in token else token[1:-1]
            if expect_key:
                expect_key = False
                if is_secret_name(value):
                    secret_key = value
                red = redact_text(value, depth) if might_hold_secret(value) else None  # a token used as a key
            elif in_secret and _value_is_secret(name, value):
                red = Redaction(_marker("assignment"))
                red.add("assignment")
            else:
                red = redact_text(value, depth)
            if red is None or not red.count:
                continue
            replacement = _encode_json_string(red.text)
        else:
            if not in_secret or token in ("true", "false", "null"):
                continue
            red = Redaction(_MARKER_FOR_NUMBER)
            red.add("assignment")
            replacement = _MARKER_FOR_NUMBER
        pieces.append(text[last : m.start()])
        pieces.append(replacement)
        last = m.end()
        total.absorb(red)
    if total.count:
        pieces.append(text[last:])
        total.text = "".join(pieces)
    return total


def redact_json_line(line: str) -> Redaction:
    """One line: as JSON when it is JSON (see the module docstring), else as plain text."""
    if not might_hold_secret(line):
        return Redaction(line)
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return _apply(line, _spans(line, MAX_DEPTH))
    return _redact_json(line, MAX_DEPTH - 1)


def redact_jsonl_line(raw: bytes) -> tuple:
    """(redacted bytes, Redaction or None) for one line without its ``\\n``."""
    line = raw.decode("utf-8", "surrogateescape")
    core = line[:-1] if line.endswith("\r") else line
    if not core.strip():
        return raw, None
    red = redact_json_line(core)
    if not red.count:
        return raw, None
    text = red.text + line[len(core) :]
    return text.encode("utf-8", "surrogateescape"), red


def redact_jsonl(data: bytes) -> tuple:
    """(redacted bytes, Redaction summary with text unset) for a whole JSONL file."""
    summary = Redaction("")
    out = []
    for raw in data.split(b"\n"):
        redacted, red = redact_jsonl_line(raw)
        if red is not None:
            summary.absorb(red)
        out.append(redacted)
    return b"\n".join(out), summary
