"""A session's cost: the CLI's own figure when it wrote one, else the price table.

The CLI appends a ``cost-state`` line at the end of each run: ``totalCostUSD`` and per-model
``modelUsage`` (tokens and ``costUSD``), cumulative over ``--continue`` runs, subagents
included (probed: tests/e2e/test_usage_e2e.py). It is the client's own figure for what the
session cost, so it wins (``cost_source: "claude-code"``). Tokens the transcript has beyond the
last cost-state (a run still going, e.g. /handoff itself, or one killed before it wrote its
cost-state) are priced from the table and added; the source is then ``"price-table"``, as it
is when there is no cost-state at all. A model whose tokens need the table and that has no
price there makes the cost unknown (``None``) and is named in ``unpriced_models``: never $0.
"""

from __future__ import annotations

from . import prices

_CS_TOKENS = (
    ("input_tokens", "inputTokens"),
    ("output_tokens", "outputTokens"),
    ("cache_creation_tokens", "cacheCreationInputTokens"),
    ("cache_read_tokens", "cacheReadInputTokens"),
    ("cache_creation_1h_tokens", "cacheCreationEphemeral1hInputTokens"),
)


def _number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0 and value == value


def valid_cost_state(cost_state) -> dict | None:
    """``{"total": usd, "models": {model: {token fields..., "cost_usd"}}, "unknown": bool}``, or
    None when the line is not the shape the CLI writes."""
    if not isinstance(cost_state, dict) or not _number(cost_state.get("totalCostUSD")):
        return None
    usage = cost_state.get("modelUsage")
    if not isinstance(usage, dict):
        return None
    models = {}
    for model, row in usage.items():
        if not isinstance(row, dict) or not _number(row.get("costUSD")):
            return None
        out = {"cost_usd": float(row["costUSD"])}
        for ours, theirs in _CS_TOKENS:
            value = row.get(theirs, 0)
            if type(value) is not int or value < 0:
                return None
            out[ours] = value
        models[model] = out
    unknown = cost_state.get("hasUnknownModelCost") is True
    return {"total": float(cost_state["totalCostUSD"]), "models": models, "unknown": unknown}


def price(by_model: dict, cost_state, table: prices.PriceTable):
    """(cost_usd, cost_source, {model: cost_usd or None}, unpriced models) for the ledger's
    per-model rows and the last cost-state (validated, or None)."""
    per_model: dict = {}
    unpriced: list = []
    used_table = False
    total = cost_state["total"] if cost_state else 0.0
    for model, row in sorted(by_model.items()):
        cs = cost_state["models"].get(model) if cost_state else None
        if cs is not None and cost_state["unknown"] and cs["cost_usd"] == 0:
            cs = None  # the CLI had no price for it either: its 0 is not a cost
        if cs is None:
            rest = row
            cost = 0.0
        else:
            rest = {name: max(0, row.get(name, 0) - cs[name]) for name, _ in _CS_TOKENS}
            cost = cs["cost_usd"]
        if any(rest.get(name, 0) for name, _ in _CS_TOKENS[:4]):
            used_table = True
            extra = prices.estimate(rest, table.rates(model))
            if extra is None:
                unpriced.append(model)
                cost = None
            else:
                cost += extra
                total += extra
        per_model[model] = round(cost, 6) if cost is not None else None
    if unpriced:
        return None, None, per_model, unpriced
    if cost_state is not None and not used_table:
        return round(total, 6), "claude-code", per_model, []
    return round(total, 6), "price-table", per_model, []
