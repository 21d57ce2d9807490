"""Usage through the real CLI (2.1.329) against the scripted API: the transcripts it writes,
counted by us, by ccusage 20.0.24 and by the CLI's own cost-state, must agree.

Probed here (and recorded as tests/fixtures/usage/cli-multiblock-subagent-continue/):
- the main transcript is ``$HOME/.claude/projects/<slug>/<session id>.jsonl``; a subagent's is
  ``<slug>/<session id>/subagents/agent-<agent id>.jsonl`` (lines ``isSidechain: true``);
- a response with text + tool_use is written as two lines with one message id and requestId;
- ``--continue`` appends to the same file; each run ends with a cumulative ``cost-state``
  that includes the subagent's tokens.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "usage"))  # usagekit: ccusage helpers

from usagekit import CCUSAGE_TOKENS, TOKENS, ccusage_sessions, last_cost_state  # noqa: E402

from lib.usage.session import session_usage  # noqa: E402  (tests/conftest.py: scripts/ on sys.path)

pytestmark = pytest.mark.e2e


def U(inp, out, cc=0, cr=0, one_hour=0):  # noqa: N802
    return {"input_tokens": inp, "output_tokens": out, "cache_creation_input_tokens": cc,
            "cache_read_input_tokens": cr, "ephemeral_1h_input_tokens": one_hour}


def test_real_cli_transcripts_agree_with_ccusage_and_the_cli(run_claude, git_project, tmp_path):
    turns = [
        {"text": "Looking.", "tool": "Bash", "input": {"command": "echo one", "description": "one"},
         "usage": U(1200, 345, 5000, 20000, one_hour=1000)},
        {"tool": "Agent", "usage": U(7, 1000, 0, 25000),
         "input": {"description": "sub", "prompt": "SUB-1: run echo sub", "subagent_type": "general-purpose",
                   "run_in_background": False}},
        {"text": "All done.", "usage": U(3, 77, 900, 0)},
    ]
    subagents = {"SUB-1": [
        {"tool": "Bash", "input": {"command": "echo sub", "description": "sub"}, "usage": U(50, 60, 70, 80)},
        {"text": "sub answer", "usage": U(51, 61, 71, 81)},
    ]}
    first, _, _ = run_claude(git_project, "first", turns, subagents=subagents, timeout=120)
    second, _, _ = run_claude(git_project, "second", [
        {"text": "again", "tool": "Bash", "input": {"command": "echo two", "description": "two"}}, "fin",
    ], extra_args=["--continue"], timeout=120)
    session_id = first["session_id"]
    assert second["session_id"] == session_id

    config_dir = run_claude.home / ".claude"
    (main,) = config_dir.glob(f"projects/*/{session_id}.jsonl")
    subs = list(config_dir.glob(f"projects/*/{session_id}/subagents/agent-*.jsonl"))
    assert len(subs) == 1, "2.1.329 writes a foreground subagent's transcript under <id>/subagents/"

    assistant = [json.loads(x) for x in main.read_text().splitlines() if '"type":"assistant"' in x]
    by_id = {}
    for line in assistant:
        by_id.setdefault(line["message"]["id"], set()).add(line["requestId"])
    assert all(len(reqs) == 1 for reqs in by_id.values())
    assert len({next(iter(r)) for r in by_id.values()}) == len(by_id), "request ids are unique per response"
    assert len(assistant) > len(by_id), "some response was written as several lines (one per block)"

    ours = session_usage(str(tmp_path / "state"), session_id, str(main)).usage
    theirs = ccusage_sessions(config_dir)[session_id]
    assert [ours[f] for f in TOKENS] == [theirs[f] for f in CCUSAGE_TOKENS]
    assert ours["input_tokens"] == 1200 + 7 + 3 + 50 + 51 + sum(
        r.reply["usage"]["input_tokens"] for r in run_claude.runs[1].requests if r.kind == "main"
    )

    state = last_cost_state(main)
    (model,) = state["modelUsage"]
    cs = state["modelUsage"][model]
    assert (ours["input_tokens"], ours["output_tokens"], ours["cache_creation_tokens"], ours["cache_read_tokens"]) == (
        cs["inputTokens"], cs["outputTokens"], cs["cacheCreationInputTokens"], cs["cacheReadInputTokens"])
    assert ours["cost_source"] == "claude-code"
    assert ours["cost_usd"] == pytest.approx(state["totalCostUSD"], abs=1e-6)
    assert ours["cost_usd"] == pytest.approx(second["total_cost_usd"], abs=1e-6)
