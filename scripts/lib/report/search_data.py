"""The search data: every session's id, title, summary and body text, in ``<script>`` files.

Chromium refuses fetch()/XHR of a local file under ``file://``, but loads a ``<script src>`` of
the same folder: so each shard is a script calling ``handoffSearch.add([...])`` (assets/search.js).
A shard is cut before it reaches `SHARD_BYTES` so that no file of the report is over 2 MB; a
body is cut at `BODY_CHARS` (search finds a log by what it is about, which its start says).
JSON with ``ensure_ascii``: no character of a log can end the string or the script early.
"""

from __future__ import annotations

import json

SHARD_BYTES = 1_500_000
BODY_CHARS = 20_000
TITLE_CHARS = 500
SUMMARY_CHARS = 2_000


def entry(s: dict, body: str | None) -> list:
    """One session's row: [page, id, title, summary, operator, day, week, body text]."""
    text = " ".join(body.split()) if body else ""
    return [s["page"], s["id"], (s["title"] or "")[:TITLE_CHARS], (s["summary"] or "")[:SUMMARY_CHARS],
            s["operator"] or "", s["day"] or "", s["week"] or "", text[:BODY_CHARS]]


def shards(entries: list) -> list:
    """[(file name, script text)] holding every entry, each under `SHARD_BYTES`."""
    out, chunk, size = [], [], 0
    for row in entries:
        encoded = json.dumps(row, ensure_ascii=True, separators=(",", ":"))
        if chunk and size + len(encoded) + 1 > SHARD_BYTES:
            out.append(chunk)
            chunk, size = [], 0
        chunk.append(encoded)
        size += len(encoded) + 1
    if chunk:
        out.append(chunk)
    return [("search/data-%04d.js" % i, "handoffSearch.add([\n%s\n]);\n" % ",\n".join(rows))
            for i, rows in enumerate(out)]
