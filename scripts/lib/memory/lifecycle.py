"""Decisions in force and open questions (issue 18 item 1): pure, over the trusted logs.

A decision (``<id>#D<n>``) is in force until a trusted log lists it in ``supersedes``; an open
question (``<id>#Q<n>``) is open until a trusted log lists it in ``resolves``. Only the trusted
logs are given here (memory/trust.py), so a branch cannot retire the team's decisions either.

Bad references never stop the briefing, each is one warning: an id no trusted log has (say, a
log not merged yet), a log naming its own item, two logs superseding each other (both are
out of force: each says the other's decision is replaced; nothing here follows chains, so a
cycle cannot loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..logs import items as item_ids

VERBS = item_ids.RETIRES  # "supersedes" -> the D items it names, "resolves" -> the Q items


@dataclass
class Log:
    id: str
    path: str
    operator: str | None
    day: str | None
    sort_key: str
    title: str
    workstreams: list
    items: dict  # letter (D, Q, L) -> [(n, text)] (lib/logs/items.py; the catalog's items table)
    refs: dict = field(default_factory=dict)  # "supersedes"/"resolves" -> [item ids]
    changed_files: list = field(default_factory=list)


@dataclass(slots=True)
class Item:
    id: str  # <log id>#D<n>
    text: str
    log: Log


def items_of(log: Log, letter: str) -> list:
    return [Item(item_ids.ref(log.id, letter, n), text, log) for n, text in log.items.get(letter, ())]


def retired(logs: list, warnings: list) -> dict:
    """``{"supersedes": {item id: by log id}, "resolves": {...}}`` over the trusted ``logs``."""
    by_id = {log.id: log for log in logs}
    out: dict = {verb: {} for verb in VERBS}
    edges = set()
    for log in logs:
        for verb, letter in VERBS.items():
            for ref in log.refs.get(verb) or ():
                parsed = item_ids.parse_ref(ref)
                if parsed is None or parsed[1] != letter:
                    warnings.append("%s: %s %r is not an item id of that kind; ignored" % (log.id, verb, str(ref)[:80]))
                    continue
                target = by_id.get(parsed[0])
                if parsed[0] == log.id:
                    warnings.append("%s: %s its own item %s; ignored" % (log.id, verb, ref))
                    continue
                if target is None or parsed[2] not in {n for n, _ in target.items.get(letter, ())}:
                    warnings.append("%s: %s %s, which no trusted log has; ignored" % (log.id, verb, ref))
                    continue
                out[verb].setdefault(ref, log.id)
                edges.add((log.id, target.id))
    for a, b in sorted(edges):
        if a < b and (b, a) in edges:
            warnings.append("%s and %s supersede or resolve each other's items; both stay retired" % (a, b))
    return out


def current(logs: list, warnings: list) -> tuple:
    """``(decisions in force, open questions)`` of the trusted ``logs``: Items, newest log first."""
    gone = retired(logs, warnings)
    newest = sorted(logs, key=lambda log: log.sort_key, reverse=True)
    decisions = [i for log in newest for i in items_of(log, "D") if i.id not in gone["supersedes"]]
    questions = [i for log in newest for i in items_of(log, "Q") if i.id not in gone["resolves"]]
    return decisions, questions
