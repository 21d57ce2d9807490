"""Shell-style glob matching of tool names, without ``re``.

``fnmatch`` compiles patterns with ``re`` (about 4 ms of imports on every hook run). Invariant
patterns such as ``mcp__notion*__*`` only need ``*``, ``?`` and ``[...]``, so this is a small
matcher with ``fnmatch.fnmatchcase`` semantics (case-sensitive, ``*`` crosses everything);
tests/core/test_hook_primitives.py checks it against ``fnmatchcase`` on thousands of random cases.
"""


def _match_class(pattern: str, i: int, ch: str):
    """``pattern[i] == '['``: return (matched, index after ``]``), or None if never closed."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] == "!"
    if negate:
        j += 1
    body_start = j
    if j < len(pattern) and pattern[j] == "]":  # a leading ']' is a literal member
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    if j >= len(pattern):
        return None
    body = pattern[body_start:j]
    hit = False
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            if body[k] <= ch <= body[k + 2]:
                hit = True
            k += 3
        else:
            if body[k] == ch:
                hit = True
            k += 1
    return hit != negate, j + 1


def glob_match(pattern: str, name: str) -> bool:
    """True when ``name`` matches ``pattern`` (``*``, ``?``, ``[seq]``, ``[!seq]``)."""
    p = t = 0
    star_p = -1
    star_t = 0
    while t < len(name):
        if p < len(pattern):
            c = pattern[p]
            if c == "*":
                star_p, star_t = p, t
                p += 1
                continue
            if c == "?":
                p += 1
                t += 1
                continue
            if c == "[":
                r = _match_class(pattern, p, name[t])
                if r is None:
                    if name[t] == "[":  # unterminated '[' is a literal
                        p += 1
                        t += 1
                        continue
                elif r[0]:
                    p = r[1]
                    t += 1
                    continue
            elif c == name[t]:
                p += 1
                t += 1
                continue
        if star_p >= 0:  # backtrack: let the last '*' swallow one more character
            star_t += 1
            t = star_t
            p = star_p + 1
            continue
        return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
