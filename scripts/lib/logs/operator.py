"""Who is handing off: the operator's initials (2-4 capitals, e.g. ``RT``).

Resolution order (`resolve`): ``$HANDOFF_OPERATOR``; the value cached in the state dir by
``whoami --set``; initials derived from ``git config user.name`` ("Roman Tester" -> ``RT``).
A bad explicit value is an error, never silently replaced by a later source.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple

from ..core import statefiles
from ..core.errors import HelperError
from .log_ids import is_operator

ENV = "HANDOFF_OPERATOR"
CACHE_NAME = "operator"
SET_HINT = "scripts/handoff whoami --set XX"


# (initials, source "env" | "cache" | "git", detail: where exactly, e.g. the cache path or the git
# user.name). A named tuple, not a dataclass or typing.NamedTuple: /resume's warm path resolves
# the operator on every run, and importing dataclasses (through inspect) cost 9 ms of it.
Operator = namedtuple("Operator", ("initials", "source", "detail"), defaults=("",))


# Letters NFKD does not take apart into an ASCII letter and accents.
_TRANSLIT = {
    "ß": "S",
    "ẞ": "S",
    "Ø": "O",
    "ø": "O",
    "Æ": "A",
    "æ": "A",
    "Œ": "O",
    "œ": "O",
    "Ł": "L",
    "ł": "L",
    "Đ": "D",
    "đ": "D",
    "Ð": "D",
    "ð": "D",
    "Þ": "T",
    "þ": "T",
    "Ŋ": "N",
    "ŋ": "N",
    "Ħ": "H",
    "ħ": "H",
    "ı": "I",
}


def _ascii_letter(ch: str) -> str | None:
    """The A-Z letter ``ch`` stands for in initials ("É" -> "E", "Ł" -> "L"), or None."""
    if ch in _TRANSLIT:
        return _TRANSLIT[ch]
    import unicodedata  # only when deriving from a name (not on the env/cache path)

    base = unicodedata.normalize("NFKD", ch)[:1]
    return base.upper() if base.isascii() and base.isalpha() else None


def initials_from_name(name: str) -> str | None:
    """Initials of a person's name, or None when they are not plain A-Z letters.

    Accents are dropped ("Émile Zola" -> ``EZ``) and a few letters are transliterated ("Łukasz
    Żak" -> ``LZ``, "Øyvind Ærø" -> ``OA``); apostrophes join ("Conan O'Brien" -> ``CO``),
    hyphens and other punctuation split ("Jean-Luc Picard" -> ``JLP``); one word gives its first
    two letters ("roman" -> ``RO``); more than four words keep the first three and the last. A
    word whose first letter has no A-Z equivalent ("Влад", "李") gives None: the caller asks for
    ``whoami --set`` rather than guessing from the rest of the name.
    """
    import unicodedata

    text = unicodedata.normalize("NFKC", name)
    words = re.findall(r"[^\W\d_]+", re.sub(r"['\u2019\u02bc`]", "", text))
    if not words:
        return None
    if len(words) == 1:
        letters = [_ascii_letter(ch) for ch in words[0][:2]]
    else:
        if len(words) > 4:
            words = words[:3] + words[-1:]
        letters = [_ascii_letter(w[0]) for w in words]
    if any(letter is None for letter in letters):
        return None
    initials = "".join(letters).upper()
    return initials if is_operator(initials) else None


def cache_path(state_dir: str) -> str:
    return os.path.join(state_dir, CACHE_NAME)


def read_cache(state_dir: str) -> str | None:
    path = cache_path(state_dir)
    try:
        with open(path, encoding="utf-8") as f:
            value = f.read().strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HelperError("%s: unreadable (%s); fix it with %s" % (path, exc, SET_HINT)) from None
    if not is_operator(value):
        raise HelperError("%s: %r is not 2-4 capital letters; fix it with %s" % (path, value[:40], SET_HINT))
    return value


def write_cache(state_dir: str, initials: str) -> str:
    if not is_operator(initials):
        raise HelperError("--set: %r is not 2-4 capital letters (e.g. RT)" % (initials,))
    try:
        statefiles.ensure_dir(state_dir)
        path = cache_path(state_dir)
        statefiles.write_atomic(path, (initials + "\n").encode("ascii"))
    except OSError as exc:
        raise HelperError("%s: cannot store the operator (%s)" % (state_dir, exc.strerror or exc)) from None
    return path


def git_user(root: str) -> tuple:
    """``(user.name, user.email)`` from git's config (None for a missing one), in one process."""
    import subprocess  # only when the name comes from git: keeps the env/cache path fast

    try:
        out = subprocess.run(["git", "-C", root, "config", "--get-regexp", r"^user\.(name|email)$"],
                             capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None, None
    found = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        found[key.lower()] = value.strip() or None
    return found.get("user.name"), found.get("user.email")


def initials_owners(root: str, state_dir: str, initials: str) -> set:
    """``{email}`` of the person whose logs carry ``initials`` in this repo: the author who added
    the first of them still here (logs/authorship.py, one ``git log`` cached by HEAD in the state
    dir); empty when nobody has committed one yet."""
    from .authorship import Authors

    claim = Authors(root, state_dir).claim(initials)
    return {claim[0]} if claim else set()


def clash_message(initials: str, others: set, how: str) -> str:
    shown = ", ".join(sorted(others)[:3]) + (" and %d more" % (len(others) - 3) if len(others) > 3 else "")
    return ("initials %s (%s) are already used by %s in this repo's session logs; one person, one set of "
            "initials: choose yours with %s (or set $%s)" % (initials, how, shown, SET_HINT, ENV))


_RESOLVED: dict = {}  # one answer per process: /resume asks, then logs/authorship.py asks again


def resolve(root: str, state_dir: str, environ=None) -> Operator:
    if environ is None:
        key = (root, state_dir, os.environ.get(ENV, ""))
        if key not in _RESOLVED:
            _RESOLVED[key] = _resolve(root, state_dir, os.environ)
        return _RESOLVED[key]
    return _resolve(root, state_dir, environ)


def _resolve(root: str, state_dir: str, environ) -> Operator:
    value = environ.get(ENV, "")
    if value:
        if not is_operator(value):
            raise HelperError("$%s=%r is not 2-4 capital letters (e.g. RT)" % (ENV, value[:40]))
        return Operator(value, "env", "$" + ENV)
    cached = read_cache(state_dir)
    if cached:
        return Operator(cached, "cache", cache_path(state_dir))
    name, email = git_user(root)
    if name:
        initials = initials_from_name(name)
        if initials:
            # Derived initials are a guess: refuse one that another person's logs already carry
            # (the author email that added the first of them, logs/authorship.py), or /resume
            # would show their work as ours and our ids would interleave with theirs.
            others = initials_owners(root, state_dir, initials) - {(email or "").lower()}
            if others:
                raise HelperError(clash_message(initials, others, "derived from git user.name %r" % name))
            return Operator(initials, "git", "git config user.name %r" % name)
        raise HelperError("cannot derive initials from git user.name %r; run: %s (or set $%s)" % (name, SET_HINT, ENV))
    raise HelperError("no operator initials: set $%s, run: %s, or set git config user.name" % (ENV, SET_HINT))
