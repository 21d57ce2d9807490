"""Cost (lib/usage/cost.py, prices.py): the CLI's cost-state when it covers every token, the
price table for what it does not, and never $0 for a model without a price."""

from __future__ import annotations

import json

import pytest

from lib.logs import log_alloc
from lib.usage import cost, prices, unfinished


def row(inp=0, out=0, cc=0, cr=0, cc1h=0, requests=1):
    return {"input_tokens": inp, "output_tokens": out, "cache_creation_tokens": cc, "cache_read_tokens": cr,
            "cache_creation_1h_tokens": cc1h, "requests": requests}


def state(model, inp, out, cc, cr, usd, unknown=False):
    return cost.valid_cost_state({
        "type": "cost-state", "totalCostUSD": usd, "hasUnknownModelCost": unknown,
        "modelUsage": {model: {"inputTokens": inp, "outputTokens": out, "cacheCreationInputTokens": cc,
                               "cacheReadInputTokens": cr, "costUSD": usd}},
    })


def test_cost_state_covering_every_token_is_the_cost():
    table = prices.load(None)
    got = cost.price({"claude-opus-5-5": row(100, 10, 5, 50)}, state("claude-opus-5-5", 100, 10, 5, 50, 0.5), table)
    assert got == (0.5, "claude-code", {"claude-opus-5-5": 0.5}, [])


def test_tokens_after_the_last_cost_state_are_priced_from_the_table():
    table = prices.load(None)
    before = state("claude-sonnet-4-5", 100_000, 10, 0, 0, 1.0)
    got = cost.price({"claude-sonnet-4-5": row(1_100_000, 10)}, before, table)
    assert got[1] == "price-table" and got[0] == pytest.approx(1.0 + 3.0)  # 1M more input at $3/M


def test_unpriced_model_beyond_the_cost_state_makes_the_cost_unknown_not_zero():
    table = prices.load(None)
    got = cost.price({"claude-opus-5-5": row(200, 10)}, state("claude-opus-5-5", 100, 10, 0, 0, 0.5), table)
    assert got[0] is None and got[1] is None and got[3] == ["claude-opus-5-5"]
    assert got[2]["claude-opus-5-5"] is None


def test_the_clis_zero_for_a_model_it_could_not_price_is_not_a_cost():
    table = prices.load(None)
    got = cost.price({"claude-x": row(100, 10)}, state("claude-x", 100, 10, 0, 0, 0.0, unknown=True), table)
    assert got[0] is None and got[3] == ["claude-x"]


def test_overrides_in_handoff_json_price_a_model_and_bad_ones_are_named(tmp_path):
    config = tmp_path / "handoff.json"
    config.write_text(json.dumps({"prices": {
        "claude-opus-5-5": {"input": 10, "output": 50, "cache_read": 1, "cache_write_5m": 12.5, "cache_write_1h": 20},
        "claude-bad": {"input": -1, "output": 1, "cache_read": 1, "cache_write_5m": 1},
    }}))
    table = prices.load(str(config))
    assert table.overridden == ["claude-opus-5-5"]
    assert table.warnings == [f"{config}: prices.claude-bad.input: -1 is not a price >= 0; ignored"]
    got = cost.price({"claude-opus-5-5": row(1_000_000, 1_000_000, 1_000_000, 1_000_000, 400_000)}, None, table)
    assert got[1] == "price-table"
    assert got[0] == pytest.approx(10 + 50 + 1 + 0.6 * 12.5 + 0.4 * 20)


def test_dated_model_ids_use_their_family_price():
    table = prices.load(None)
    assert table.rates("claude-sonnet-4-5-20250929") == table.rates("claude-sonnet-4-5") is not None
    assert table.rates("claude-opus-5-5") is None


def test_malformed_cost_state_is_not_used():
    assert cost.valid_cost_state({"totalCostUSD": "1", "modelUsage": {}}) is None
    assert cost.valid_cost_state({"totalCostUSD": 1.0, "modelUsage": {"m": {"costUSD": 1, "inputTokens": -1}}}) is None


def test_usage_lists_the_archive_archive_state_writes():
    from lib.state import archive
    from lib.usage import sessions

    assert sessions.ARCHIVE_DIR == archive.ARCHIVE_DIR


def test_unfinished_sessions_read_the_same_map_write_session_writes(tmp_path):
    log_alloc.remember_session_log(str(tmp_path), "sess-x", "RT-261130-01")
    assert unfinished.has_log(str(tmp_path), "sess-x") and not unfinished.has_log(str(tmp_path), "sess-y")


def test_missing_ccusage_fails_under_ci_and_skips_otherwise(monkeypatch, tmp_path):
    import usagekit

    monkeypatch.setattr(usagekit, "CCUSAGE", tmp_path / "no-ccusage")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI: ccusage not installed"):
        usagekit.ccusage_bin()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        usagekit.ccusage_bin()
