"""The index's text columns, in FTS5 order (a leaf: the warm search path imports only this)."""

COLUMNS = ("title", "summary", "did", "decisions", "future", "learnings", "questions", "resume")
MAX_FILE_BYTES = 4 * 1024 * 1024  # read at most this much of a file; the rest is not indexed
