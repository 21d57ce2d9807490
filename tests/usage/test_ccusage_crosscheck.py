"""Our token counts equal ccusage 20.0.24's (``ccusage session --json --offline``) on the same
files, per session and per model; on transcripts the real CLI wrote, they also equal the CLI's
own cost-state, and the cost is the CLI's.

Fixtures (tests/fixtures/usage/, each a CLI config dir):
- cli-usage-continue: real CLI 2.1.329, varied usage, a text+tool_use response, --continue.
- cli-multiblock-subagent-continue: real CLI 2.1.329 (tests/e2e/test_usage_e2e.py makes the
  same): a 1h cache split, a foreground subagent (its own file under <id>/subagents/),
  --continue.
- handmade-*: what the CLI did not produce offline (lib/usage/ledger.py names each rule's).
"""

from __future__ import annotations

import pytest
from usagekit import CCUSAGE_TOKENS, FIXTURES, TOKENS, ccusage_sessions, copy_fixture, last_cost_state, main_transcript

from lib.usage import prices
from lib.usage.session import session_usage

ALL = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
CLI_WRITTEN = [n for n in ALL if n.startswith("cli-")]


def ours(config_dir, session_id, tmp_path):
    result = session_usage(str(tmp_path / "state"), session_id, str(main_transcript(config_dir, session_id)))
    assert result.usage is not None, result.warnings
    return result


@pytest.mark.parametrize("name", ALL)
def test_token_counts_equal_ccusage(name, tmp_path):
    config_dir = copy_fixture(name, tmp_path)
    theirs = ccusage_sessions(config_dir)
    assert theirs, "ccusage found no session"
    for session_id, row in theirs.items():
        usage = ours(config_dir, session_id, tmp_path).usage
        assert [usage[f] for f in TOKENS] == [row[f] for f in CCUSAGE_TOKENS], session_id
        assert {m: [v[f] for f in TOKENS] for m, v in usage["by_model"].items()} == {
            b["modelName"]: [b[f] for f in CCUSAGE_TOKENS] for b in row["modelBreakdowns"]
        }


@pytest.mark.parametrize("name", CLI_WRITTEN)
def test_cli_transcripts_equal_the_clis_cost_state(name, tmp_path):
    config_dir = copy_fixture(name, tmp_path)
    (session_id,) = ccusage_sessions(config_dir)
    usage = ours(config_dir, session_id, tmp_path).usage
    state = last_cost_state(main_transcript(config_dir, session_id))
    assert state is not None
    for model, cs in state["modelUsage"].items():
        mine = usage["by_model"][model]
        assert (mine["input_tokens"], mine["output_tokens"]) == (cs["inputTokens"], cs["outputTokens"])
        assert (mine["cache_creation_tokens"], mine["cache_read_tokens"]) == (
            cs["cacheCreationInputTokens"],
            cs["cacheReadInputTokens"],
        )
    assert usage["cost_source"] == "claude-code"
    assert usage["cost_usd"] == pytest.approx(state["totalCostUSD"], abs=1e-6)
    assert usage["requests"] > 0


def test_subagent_file_is_part_of_the_session(tmp_path):
    """Without the subagent's file the counts are lower: the session reads it (and ccusage too)."""
    config_dir = copy_fixture("cli-multiblock-subagent-continue", tmp_path)
    (session_id,) = ccusage_sessions(config_dir)
    full = ours(config_dir, session_id, tmp_path).usage
    for sub in config_dir.glob(f"projects/*/{session_id}/subagents/*.jsonl"):
        sub.unlink()
    alone = session_usage(str(tmp_path / "state2"), session_id, str(main_transcript(config_dir, session_id))).usage
    assert alone["input_tokens"] < full["input_tokens"]
    assert alone["input_tokens"] == ccusage_sessions(config_dir)[session_id]["inputTokens"]


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("handmade-") and n != "handmade-unknown-model"])
def test_price_table_cost_equals_ccusage_for_priced_models(name, tmp_path):
    """Our bundled table (prices.json) prices like ccusage's offline table for the models it has."""
    config_dir = copy_fixture(name, tmp_path)
    for session_id, row in ccusage_sessions(config_dir).items():
        usage = ours(config_dir, session_id, tmp_path).usage
        assert usage["cost_source"] == "price-table"
        assert usage["cost_usd"] == pytest.approx(row["totalCost"], abs=1e-6)


def test_unknown_model_has_no_cost_never_zero(tmp_path):
    config_dir = copy_fixture("handmade-unknown-model", tmp_path)
    (session_id,) = ccusage_sessions(config_dir)
    usage = ours(config_dir, session_id, tmp_path).usage
    assert usage["cost_usd"] is None and usage["cost_source"] is None
    assert usage["unpriced_models"] == ["claude-nonexistent-9"]
    assert usage["by_model"]["claude-nonexistent-9"]["cost_usd"] is None
    assert usage["by_model"]["claude-haiku-4-5"]["cost_usd"] > 0
    # <synthetic> replies count in the totals, in no model's row (as ccusage)
    assert "<synthetic>" not in usage["by_model"]
    assert usage["requests"] == 3


def test_price_table_file_names_its_source_and_date():
    table = prices.load(None)
    assert table.source and table.date and table.models
