"""A session's usage: tokens per model, API requests and cost, read incrementally.

``session_usage`` is what the rest of handoff calls (telemetry-read, write-session, usage,
resume). The shape is the session log's ``usage`` (scripts/lib/logs/schemas/
session.schema.json, agreed in TEAM.md)::

    {input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, requests,
     cost_usd, cost_source, by_model: {model: {..tokens, requests, cost_usd}}, unpriced_models}

A session with no transcript (``--no-session-persistence``, a deleted file) has usage None:
unknown, not zero. Problems with the input are returned as warnings (one line each, naming
the file and line); nothing here raises for bad input.

The whole transcript is read each time the session is asked for (through the store, so only
appended bytes are parsed), never summed from telemetry parts: a ``--continue``d session or
one handed off twice is counted once (tests/usage/test_session.py).
"""

from __future__ import annotations

import os

from . import cost, prices, reader, store
from .ledger import TOKEN_FIELDS
from .transcripts import find_transcript, session_files


class UsageResult:
    __slots__ = ("usage", "warnings", "transcript", "by_day", "parsed_bytes")

    def __init__(self, usage, warnings, transcript=None, by_day=None, parsed_bytes=0) -> None:
        self.usage, self.warnings, self.transcript = usage, warnings, transcript
        self.by_day, self.parsed_bytes = by_day or {}, parsed_bytes


def _same_file(info: dict, fd: int, st) -> bool:
    if (info["dev"], info["ino"]) != (st.st_dev, st.st_ino) or st.st_size < info["offset"]:
        return False
    return info["head_len"] <= st.st_size and store.head_fingerprint(fd, info["head_len"]) == info["head"]


def _read_files(state: store.SessionState, files: list, warnings: list) -> int:
    """Bring ``state`` up to date with ``files``; returns the bytes parsed."""
    opened = []
    try:
        for path in files:
            try:
                fd, st = reader.open_transcript(path)
            except reader.TranscriptUnreadable as exc:
                warnings.append(str(exc))
                continue
            opened.append((path, fd, st))
        if any(path in state.files and not _same_file(state.files[path], fd, st) for path, fd, st in opened):
            fresh = store.SessionState(state.session_id)  # another file: the ledger starts over
            state.files, state.cost_state, state.ledger = fresh.files, fresh.cost_state, fresh.ledger
        parsed = 0
        for path, fd, st in opened:
            info = state.files.get(path) or {"dev": st.st_dev, "ino": st.st_ino, "head_len": 0, "head": "",
                                             "offset": 0}
            result = reader.scan(path, fd, info["offset"], state.ledger)
            parsed += result.offset - info["offset"]
            warnings.extend(result.warnings)
            if path == files[0] and result.cost_state is not None:
                state.cost_state = result.cost_state
            head_len = min(result.offset, store.HEAD_BYTES)
            if head_len != info["head_len"]:
                info["head_len"], info["head"] = head_len, store.head_fingerprint(fd, head_len)
            info["offset"] = result.offset
            state.files[path] = info
            if result.offset < st.st_size:  # scan stops before a line with no newline yet
                line = reader.line_number(fd, result.offset)
                warnings.append(f"{path}:{line}: incomplete last line (still being written?); not counted yet")
        return parsed
    finally:
        for _, fd, _ in opened:
            os.close(fd)


def session_usage(
    state_dir: str, session_id: str, transcript_path=None, config_path=None, cache: bool = True
) -> UsageResult:
    warnings: list = []
    main = transcript_path or find_transcript(session_id)
    if not main:
        warnings.append(
            f"session {session_id}: no transcript found (run with --no-session-persistence?); usage unknown"
        )
        return UsageResult(None, warnings)
    if not os.path.lexists(main):
        warnings.append(f"{main}: transcript missing; usage unknown")
        return UsageResult(None, warnings, main)
    state = store.load(state_dir, session_id, warnings) if cache else store.SessionState(session_id)
    before = repr(sorted(state.files.items()))
    parsed = _read_files(state, session_files(main), warnings)
    if main not in state.files:  # unreadable main file (a FIFO, a symlink): warned above
        return UsageResult(None, warnings, main)
    if cache and repr(sorted(state.files.items())) != before:  # nothing new: nothing to save
        store.save(state_dir, state, warnings)
    table = prices.load(config_path)
    warnings.extend(table.warnings)
    totals = state.ledger.totals()
    usage = build_usage(totals, state.cost_state, table, warnings, main)
    return UsageResult(usage, warnings, main, totals["by_day"], parsed)


def build_usage(totals: dict, raw_cost_state, table, warnings: list, where: str = "transcript") -> dict:
    cost_state = cost.valid_cost_state(raw_cost_state) if raw_cost_state is not None else None
    if raw_cost_state is not None and cost_state is None:
        warnings.append(f"{where}: cost-state line is not the CLI's shape; cost estimated from the price table")
    cost_usd, source, per_model, unpriced = cost.price(totals["by_model"], cost_state, table)
    usage = {name: totals["tokens"][name] for name in TOKEN_FIELDS}
    usage["requests"] = totals["tokens"]["requests"]
    usage["cost_usd"] = cost_usd
    usage["cost_source"] = source
    usage["by_model"] = {
        model: {
            **{name: row[name] for name in TOKEN_FIELDS},
            "requests": row["requests"],
            "cost_usd": per_model.get(model),
        }
        for model, row in sorted(totals["by_model"].items())
    }
    usage["unpriced_models"] = unpriced
    return usage
