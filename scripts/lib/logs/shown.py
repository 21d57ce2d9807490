"""Text from a log, shown on one line: to an agent (the team memory), in a pull request comment
(pr-summary) or on a report page. A log is untrusted input: what reads differently than it is
(control characters, bidi overrides, zero-width and line-separator characters) goes, whitespace
folds to single spaces, and the length is capped with an ellipsis that says so.

Standard library only. Escaping for the medium (HTML, markdown) is the caller's, on top of this.
"""

from __future__ import annotations

import re

# C0/C1 controls, zero-width and directional marks, line/paragraph separators, bidi embeddings and
# overrides, word joiners and invisible operators, the BOM, interlinear annotation characters.
_INVISIBLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def one_line(text, limit: int) -> str:
    """``text`` (None: "") on one line, without invisible characters, at most ``limit`` characters."""
    text = " ".join(_INVISIBLE_RE.sub(" ", "" if text is None else str(text)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
