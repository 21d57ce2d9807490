"""Deduplicated token counts of one session: the `Ledger`, fed one usage line at a time.

Invariant: an API response counts once, however many transcript lines carry it and in
whichever of the session's files they are, and the counts equal ccusage's (20.0.24,
``ccusage session --json --offline``) on the same files. The rules are ccusage's
(rust/crates/ccusage/src/adapter/claude/mod.rs: ``push_deduped_entry``,
``should_replace_deduped_entry``, ``TokenUsageRaw::cache_creation_token_count``); each says
which fixture shows it (tests/fixtures/usage/, checked against ccusage in tests/usage/).

1. Key = ``(message.id, requestId)``; a line without ``requestId`` keys on ``(message.id,
   None)``, which matches only other lines without one. Why: the CLI writes one API response
   as one line per content block, all with the same id, requestId and usage
   (``cli-multiblock-subagent-continue/`` lines 19-20 of the main file: text + tool_use).
   ``handmade-no-request-id.jsonl`` shows the id-only key.
2. A line without ``message.id`` is never deduplicated: nothing identifies its response
   (``handmade-no-request-id.jsonl``, last line).
3. Among lines of one key, keep the one with the most tokens (input + output + cache
   creation + cache read); on a tie the first stays, unless only the later one has
   ``usage.speed``. Why: streaming snapshots are written early with a small
   ``output_tokens`` and again at the end with the right one (ccusage's tracker, Claude Code
   #22686); ``handmade-streaming-snapshots.jsonl``.
4. A sidechain line (``isSidechain: true``: a subagent's or a /btw side question's file)
   with the same ``message.id`` *and the same timestamp* as a counted line is the same
   response even under another ``requestId``: side questions replay the parent's messages,
   copied, with new request ids. The main-thread line wins over the sidechain one whatever
   the token counts. ``handmade-sidechain-replay/``: ``msg_p1``'s replay counts once (main's
   200 output tokens, not the replay's 999); ``msg_p2``'s "replay" has another timestamp and
   counts twice, as in ccusage 20.0.24 (probed: its fallback matches only equal timestamps).
5. Cache creation counts the ``cache_creation`` split (ephemeral 5m + 1h) when the object is
   there, else ``cache_creation_input_tokens`` (``handmade-cache-split.jsonl``); the CLI's
   real files keep both equal (``cli-multiblock-subagent-continue/``).
6. ``<synthetic>`` (the CLI's own stand-in replies) and a missing model count in the totals
   but in no model's row; ``usage.speed == "fast"`` is priced as ``<model>-fast``.

One deliberate difference: ccusage deduplicates across every file under ~/.claude/projects;
we deduplicate within one session's files (its main transcript and its subagents'), which is
the same result unless two sessions' files hold the same response.

Pure data; no I/O. A ledger round-trips through `to_json` / `from_json` for the incremental
store (lib/usage/store.py).
"""

from __future__ import annotations

# Entry fields (a list, so the store can keep it as JSON as is).
MODEL, INPUT, OUTPUT, CACHE_CREATE, CACHE_READ, SIDECHAIN, HAS_SPEED, DAY, CACHE_1H, TIMESTAMP = range(10)
ENTRY_LEN = 10
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
SYNTHETIC_MODEL = "<synthetic>"


def _tokens(entry: list) -> int:
    return entry[INPUT] + entry[OUTPUT] + entry[CACHE_CREATE] + entry[CACHE_READ]


def _better(candidate: list, existing: list) -> bool:
    """Rule 3 and the sidechain preference of rule 4 (ccusage's should_replace_deduped_entry)."""
    if candidate[SIDECHAIN] != existing[SIDECHAIN]:
        return bool(existing[SIDECHAIN])
    a, b = _tokens(candidate), _tokens(existing)
    if a != b:
        return a > b
    return bool(candidate[HAS_SPEED]) and not existing[HAS_SPEED]


class Ledger:
    """Usage entries of one session, deduplicated as they arrive (order-independent but for
    exact token ties, as in ccusage)."""

    __slots__ = ("slots", "index", "by_message", "unkeyed")

    def __init__(self) -> None:
        self.slots: list[list] = []  # one counted response each
        # (message id, request id or None) -> slot. A replaced slot keeps its old key and gains
        # the winner's, as ccusage re-indexes it: the winner's other content-block lines must
        # find it by exact key (rule 1) even when rule 4 brought it in under another key.
        self.index: dict[tuple, int] = {}
        self.by_message: dict[str, list] = {}  # message id -> slots (rule 4's lookup)
        self.unkeyed: list[list] = []  # rule 2

    def add(self, message_id, request_id, entry: list) -> None:
        if message_id is None:
            self.unkeyed.append(entry)
            return
        key = (message_id, request_id)
        slot = self.index.get(key)
        if slot is None:
            for other in self.by_message.get(message_id, ()):
                found = self.slots[other]
                if (entry[SIDECHAIN] or found[SIDECHAIN]) and entry[TIMESTAMP] == found[TIMESTAMP]:
                    slot = other
                    break
        if slot is None:
            slot = len(self.slots)
            self.slots.append(entry)
            self.index[key] = slot
            self.by_message.setdefault(message_id, []).append(slot)
        elif _better(entry, self.slots[slot]):
            self.slots[slot] = entry
            self.index[key] = slot

    def entries(self):
        yield from self.slots
        yield from self.unkeyed

    def totals(self) -> dict:
        """{"tokens": {field: n, "requests": n}, "by_model": {model: {fields..., requests}},
        "by_day": {day: {fields..., requests}}}."""
        groups: dict = {}  # (model or None, day) -> [in, out, cache create, cache read, 1h, requests]
        for e in self.entries():
            model = e[MODEL] if e[MODEL] != SYNTHETIC_MODEL else None
            g = groups.get((model, e[DAY]))
            if g is None:
                groups[(model, e[DAY])] = [e[INPUT], e[OUTPUT], e[CACHE_CREATE], e[CACHE_READ], e[CACHE_1H], 1]
            else:
                g[0] += e[INPUT]
                g[1] += e[OUTPUT]
                g[2] += e[CACHE_CREATE]
                g[3] += e[CACHE_READ]
                g[4] += e[CACHE_1H]
                g[5] += 1
        total = _zero()
        by_model: dict[str, dict] = {}
        by_day: dict[str, dict] = {}
        for (model, day), g in groups.items():
            rows = [total, by_day.setdefault(day, _zero())]
            if model is not None:
                rows.append(by_model.setdefault(model, _zero()))
            for row in rows:
                row["input_tokens"] += g[0]
                row["output_tokens"] += g[1]
                row["cache_creation_tokens"] += g[2]
                row["cache_read_tokens"] += g[3]
                row["cache_creation_1h_tokens"] += g[4]  # priced apart; not shown
                row["requests"] += g[5]
        return {"tokens": total, "by_model": by_model, "by_day": by_day}

    # -- persistence (lib/usage/store.py) --------------------------------------------------
    def to_json(self) -> dict:
        return {
            "slots": self.slots,
            "index": [[k[0], k[1], slot] for k, slot in self.index.items()],
            "unkeyed": self.unkeyed,
        }

    @classmethod
    def from_json(cls, data) -> Ledger:
        """A ledger from `to_json`'s output; ValueError when it is not that shape."""
        if not isinstance(data, dict):
            raise ValueError("ledger: not an object")
        ledger = cls()
        slots, index, unkeyed = data.get("slots"), data.get("index"), data.get("unkeyed")
        if not (isinstance(slots, list) and isinstance(index, list) and isinstance(unkeyed, list)):
            raise ValueError("ledger: slots, index or unkeyed is not a list")
        ledger.slots = [_checked_entry(e) for e in slots]
        for row in index:
            if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str)):
                raise ValueError("ledger: bad index row")
            if not (row[1] is None or isinstance(row[1], str)):
                raise ValueError("ledger: bad request id")
            if type(row[2]) is not int or not 0 <= row[2] < len(ledger.slots):
                raise ValueError("ledger: bad slot")
            ledger.index[(row[0], row[1])] = row[2]
            known = ledger.by_message.setdefault(row[0], [])
            if row[2] not in known:
                known.append(row[2])
        ledger.unkeyed = [_checked_entry(e) for e in unkeyed]
        return ledger


def _zero() -> dict:
    row = dict.fromkeys(TOKEN_FIELDS, 0)
    row["cache_creation_1h_tokens"] = 0
    row["requests"] = 0
    return row


def _checked_entry(entry) -> list:
    if not (isinstance(entry, list) and len(entry) == ENTRY_LEN):
        raise ValueError("ledger: bad entry")
    if not (entry[MODEL] is None or isinstance(entry[MODEL], str)):
        raise ValueError("ledger: bad model")
    for i in (INPUT, OUTPUT, CACHE_CREATE, CACHE_READ, CACHE_1H):
        if type(entry[i]) is not int or entry[i] < 0:
            raise ValueError("ledger: bad count")
    if not (isinstance(entry[DAY], str) and isinstance(entry[TIMESTAMP], str)):
        raise ValueError("ledger: bad day or timestamp")
    return entry
