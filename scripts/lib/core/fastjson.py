"""JSON for the hook without importing the ``json`` package.

Why: ``import json`` pulls in ``re`` and ``enum`` and costs about 6 ms on these machines, which
alone is most of the hook's budget (1.5x ``python3 -S -c pass``, about 9 ms; see ``make bench``).
CPython's ``_json`` accelerator, which ``json`` itself uses, costs 0.2 ms. This module drives it
directly with the same settings as ``json.loads``/``json.dumps(sort_keys=True)``;
tests/core/test_hook_primitives.py checks it against ``json`` on a corpus of awkward documents.

Only the hook should use this; helpers use ``json``.
"""

import _json

_WS = " \t\n\r"


def _reject_constant(name):
    # json.loads accepts NaN/Infinity; Claude Code never sends them, and a record must stay
    # standard JSON that any reader (jq, JS) can parse.
    raise ValueError("non-standard JSON constant %s" % name)


class _DecoderSettings:
    """The attributes ``_json.make_scanner`` reads from a ``json.JSONDecoder``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_reject_constant)
    memo = {}


_scan_once = _json.make_scanner(_DecoderSettings())


def loads(text: str):
    """Parse one JSON document; raise ValueError on anything else (empty, trailing data, ...)."""
    start = len(text) - len(text.lstrip(_WS))
    try:
        value, end = _scan_once(text, start)
    except (StopIteration, ValueError, SystemError):
        # Invalid JSON. The accelerator reports syntax errors through json.decoder, which it only
        # finds if something imported it already (else it returns NULL without an exception:
        # SystemError). Bad input is the rare path, so let the json package say what is wrong.
        return _slow_loads(text)
    finally:
        _DecoderSettings.memo.clear()
    if text[end:].strip(_WS):
        raise ValueError("extra data after the JSON value at offset %d" % end)
    return value


def _slow_loads(text: str):
    import json

    return json.loads(text, parse_constant=_reject_constant)


def _no_default(obj):
    raise TypeError("not JSON serializable: %s" % type(obj).__name__)


# Same arguments json.dumps(sort_keys=True, separators=(",", ":"), allow_nan=False) passes.
_encode = _json.make_encoder(
    None, _no_default, _json.encode_basestring_ascii, None, ":", ",", True, False, False
)


def dumps(obj) -> str:
    """Compact, key-sorted, ASCII-only JSON (the on-disk form of session records)."""
    return "".join(_encode(obj, 0))
