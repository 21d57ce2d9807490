"""Secrets in a ``write-session`` draft.

A session log is committed, pushed, and shown to the whole team by ``search``, ``resume`` and
``digest``: a credential in it is leaked for good. So every text field of the draft the log
shows (session_log.parse_request's ``scrub``: title, summary, resume prompt, workstreams, each
body section or list item) goes through the transcripts' redactor (lib/logs/redact.py: one
detector for both), and a draft with a secret is refused before anything is written, in one
line naming the field and the kind of secret. ``--redact-secrets`` writes it anyway, each
secret replaced by ``[REDACTED:<family>]`` (a warning lists the fields).
"""

from __future__ import annotations

from ..core.errors import HelperError
from .redact import FAMILY_DESCRIPTIONS, redact_text
from .session_log import WriteRequest, parse_request

REDACT_FLAG = "--redact-secrets"


class _Scrubber:
    """parse_request's ``scrub``: the text with its secrets redacted; remembers where."""

    def __init__(self):
        self.found = []  # (field, families in the order found)

    def __call__(self, where: str, text: str) -> str:
        red = redact_text(text)
        if not red.count:
            return text
        self.found.append((where, list(red.by_family)))
        return red.text


def _kinds(families: list) -> str:
    return " and ".join(FAMILY_DESCRIPTIONS.get(f, f) for f in families)


def refusal(found: list) -> str:
    where, families = found[0]
    more = f" (also in {', '.join(w for w, _ in found[1:])})" if len(found) > 1 else ""
    return (
        f"input: {where}: looks like {_kinds(families)}{more}; nothing written. Take the secret out of "
        f"the draft (say where it is kept instead), or run again with {REDACT_FLAG} to write it redacted"
    )


def warning(found: list) -> str:
    fields = "; ".join(f"{where}: {_kinds(families)}" for where, families in found)
    return f"secrets redacted from the draft before writing ({fields})"


def checked_request(data, redact_secrets: bool = False) -> tuple:
    """(WriteRequest, warnings) for the draft ``data``; HelperError for a draft holding a secret
    unless ``redact_secrets`` (then the request holds the redacted text)."""
    scrubber = _Scrubber()
    request: WriteRequest = parse_request(data, scrub=scrubber)
    if not scrubber.found:
        return request, []
    if not redact_secrets:
        raise HelperError(refusal(scrubber.found))
    return request, [warning(scrubber.found)]
