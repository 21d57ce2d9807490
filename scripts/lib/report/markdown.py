"""A log's markdown -> HTML that is safe to serve: a log is untrusted text.

markdown-it-py (CommonMark, the reference parser's port; the one dependency the report adds):

- ``html: False``: raw HTML in a log (``<script>``, ``<img onerror>``, comments) is text, escaped;
- a link is live only for ``http:``, ``https:``, ``mailto:`` and scheme-less targets (a page
  anchor, a relative path); anything else (``javascript:``, ``vbscript:``, ``data:``,
  ``file:``) stays the literal text it was written as;
- an image is never loaded (a remote one would be a request outside the report's folder, a
  relative one names a file of the repository that is not in it): it becomes a link to its
  target with its alt text, under the same link rule;
- a link never opens in the report's context with powers: ``rel="noopener noreferrer nofollow"``.

The body is cut at `MAX_BODY_CHARS` before rendering so no page can go over the report's 2 MB
page limit (escaping grows text at most 6x: ``"`` -> ``&quot;``).
"""

from __future__ import annotations

import html
import re

MAX_BODY_CHARS = 256_000
_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
SAFE_SCHEMES = ("http", "https", "mailto")

_md = None


def link_is_safe(url: str) -> bool:
    """Whether ``url`` may become an ``href``: a safe scheme, or none at all."""
    # Browsers drop ASCII tab/newline and leading control/space characters before reading the scheme.
    probe = re.sub(r"[\x00-\x20\x7f]", "", url)
    m = _SCHEME_RE.match(probe)
    if m is None:
        return not probe.startswith("//")  # "//host/x" is a request outside the folder
    return m.group(1).lower() in SAFE_SCHEMES


def _renderer():
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False, "typographer": False})
        md.validateLink = link_is_safe
        rules = md.renderer.rules

        def image(tokens, idx, options, env):
            token = tokens[idx]
            alt = "".join(child.content for child in token.children or ())
            src = token.attrGet("src") or ""
            return '<a class="image-link" href="%s" rel="noopener noreferrer nofollow">[image: %s]</a>' % (
                html.escape(src, quote=True), html.escape(alt or src))

        def link_open(tokens, idx, options, env):
            tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
            return md.renderer.renderToken(tokens, idx, options, env)

        rules["image"] = image
        rules["link_open"] = link_open
        _md = md
    return _md


def render(text: str) -> tuple[str, bool]:
    """(HTML of ``text``, whether it was cut at `MAX_BODY_CHARS`)."""
    cut = len(text) > MAX_BODY_CHARS
    if cut:
        text = text[:MAX_BODY_CHARS]
    return _renderer().render(text), cut
