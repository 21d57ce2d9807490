"""Sessions that ended without a /handoff: for /resume's list and ``write-session --session-id``.

A session is listed when its live telemetry record in the state dir has ended (SessionEnd
fired: ``ended_at``) and no log references it (the state dir's session -> log map that
``write-session`` keeps, lib/logs/log_alloc.py). A session handed off has its record moved to
the archive by ``archive-state``, so a live ended record with no log is one nobody closed.
"""

from __future__ import annotations

import os

from ..core import statefiles
from .sessions import _records

MAP_DIR = "session-logs"  # lib/logs/log_alloc.py MAP_DIR (logs sits above us; kept equal by a test)


def has_log(state_dir: str, session_id: str) -> bool:
    return os.path.exists(os.path.join(state_dir, MAP_DIR, statefiles.session_stem(session_id) + ".id"))


def unfinished_sessions(state_dir: str, config_path=None, limit: int = 5, with_cost: bool = True) -> tuple:
    """([{session_id, ended_at, tool_calls, cost_usd, unpriced_models, usage_known}], warnings),
    newest end first, at most ``limit``."""
    warnings: list = []
    ended = [
        r for r in _records(state_dir, warnings)
        if isinstance(r.get("ended_at"), str) and not has_log(state_dir, r["session_id"])
    ]
    ended.sort(key=lambda r: r["ended_at"], reverse=True)
    rows = []
    for record in ended[:limit]:
        row = {
            "session_id": record["session_id"],
            "ended_at": record["ended_at"],
            "tool_calls": record.get("tool_calls_total") if type(record.get("tool_calls_total")) is int else None,
            "cost_usd": None,
            "unpriced_models": [],
            "usage_known": False,
        }
        if with_cost:
            from .session import session_usage  # the reader's imports only when there is one to price

            path = record.get("transcript_path")
            path = path if isinstance(path, str) else None
            usage = session_usage(state_dir, record["session_id"], path, config_path).usage
            if usage is not None:
                row.update(cost_usd=usage["cost_usd"], unpriced_models=usage["unpriced_models"], usage_known=True)
        rows.append(row)
    return rows, warnings
