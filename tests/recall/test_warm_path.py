"""The warm search path stays lean: no yaml, no jsonschema, nothing parsed, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from recalltree import log, noise

from logtree import HELPERS, clean_env

PROBE = r"""
import json, runpy, sys
sys.argv = [sys.argv[1], "search", "--root", sys.argv[2], "--json", "lockfiles"]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\n")
"""


def _modules(root) -> list:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(HELPERS), str(root)], capture_output=True, text=True,
                          env=clean_env())
    assert proc.returncode == 0, proc.stderr
    line = [x for x in proc.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return json.loads(line[len("MODULES "):])


def test_warm_search_imports_no_yaml_or_jsonschema_and_writes_nothing(repo) -> None:
    noise(repo, 5)
    log(repo, "RT-261101-01", "Storage", decisions="- lockfiles")
    old = 1_700_000_000
    for p in (repo / "docs" / "sessions").iterdir():
        os.utime(p, (old, old))  # out of the racy window, as after a checkout
    cold = _modules(repo)
    index = repo / ".claude" / "state" / "recall.sqlite3"
    before = {p.name: p.stat().st_mtime_ns for p in index.parent.iterdir()}
    warm = _modules(repo)
    assert "yaml" not in warm and "jsonschema" not in warm, [m for m in warm if "yaml" in m or "jsonschema" in m]
    assert "lib.recall.documents" not in warm  # nothing parsed
    assert "lib.recall.documents" in cold
    after = {p.name: p.stat().st_mtime_ns for p in index.parent.iterdir()}
    assert before == after
