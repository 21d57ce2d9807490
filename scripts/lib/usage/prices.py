"""The bundled price table (prices.json: source, date, USD per million tokens) and the
project's overrides (``"prices"`` in ``.claude/handoff.json``), for sessions whose transcript
has no ``cost-state`` from the CLI.

A model missing from both has no price: its cost is unknown (``None``), never $0
(tests/usage/test_cost.py). Override shape, per model: ``{"input", "output", "cache_read",
"cache_write_5m", "cache_write_1h"}`` numbers >= 0 (``cache_write_1h`` defaults to
``cache_write_5m``); a bad entry is ignored with a warning naming it.
"""

from __future__ import annotations

import json
import os
import re

TABLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prices.json")
RATE_FIELDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
_DATED = re.compile(r"-(20[0-9]{6})$")


class PriceTable:
    __slots__ = ("models", "source", "date", "overridden", "warnings")

    def __init__(self, models: dict, source: str, date: str) -> None:
        self.models, self.source, self.date = models, source, date
        self.overridden: list[str] = []
        self.warnings: list[str] = []

    def rates(self, model: str):
        """USD per million tokens for ``model`` (a dated id falls back to its undated family)."""
        if model in self.models:
            return self.models[model]
        undated = _DATED.sub("", model)
        return self.models.get(undated)


def _rates(value, where: str):
    if not isinstance(value, dict):
        raise ValueError(f"{where}: not an object")
    out = {}
    for name in RATE_FIELDS:
        rate = value.get(name, value.get("cache_write_5m") if name == "cache_write_1h" else None)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0 or rate != rate:
            raise ValueError(f"{where}.{name}: {rate!r} is not a price >= 0")
        out[name] = float(rate)
    unknown = sorted(set(value) - set(RATE_FIELDS))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}")
    return out


def load(config_path=None) -> PriceTable:
    """The bundled table with the overrides of ``config_path`` (``.claude/handoff.json``) applied."""
    with open(TABLE_PATH, encoding="utf-8") as fh:
        raw = json.load(fh)
    models = {m: _rates(r, f"prices.json: {m}") for m, r in raw["models"].items()}
    table = PriceTable(models, raw["source"], raw["date"])
    if not config_path:
        return table
    try:
        with open(config_path, "rb") as fh:
            config = json.loads(fh.read(1 << 20))
    except FileNotFoundError:
        return table
    except (OSError, ValueError) as exc:
        table.warnings.append(f"{config_path}: unreadable ({exc}); its prices are not used")
        return table
    overrides = config.get("prices") if isinstance(config, dict) else None
    if overrides is None:
        return table
    if not isinstance(overrides, dict):
        table.warnings.append(f"{config_path}: prices is not an object; ignored")
        return table
    for model, value in sorted(overrides.items()):
        try:
            table.models[model] = _rates(value, f"{config_path}: prices.{model}")
        except ValueError as exc:
            table.warnings.append(f"{exc}; ignored")
            continue
        table.overridden.append(model)
    return table


def estimate(row: dict, rates) -> float | None:
    """USD for one model's token row (ledger totals), or None without rates."""
    if rates is None:
        return None
    one_hour = row.get("cache_creation_1h_tokens", 0)
    five_min = row["cache_creation_tokens"] - one_hour
    usd = (
        row["input_tokens"] * rates["input"]
        + row["output_tokens"] * rates["output"]
        + row["cache_read_tokens"] * rates["cache_read"]
        + five_min * rates["cache_write_5m"]
        + one_hour * rates["cache_write_1h"]
    ) / 1_000_000
    return usd
