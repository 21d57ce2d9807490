"""The warm search path stays lean: no yaml, no jsonschema, nothing parsed, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from recalltree import log, noise, settle

from hookutil import state_dir
from logtree import HELPERS, clean_env

PROBE = r"""
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import handoff_helpers  # main() itself: run as __main__ it would leave by os._exit (FAST_EXIT)
code = handoff_helpers.main(["search", "--root", sys.argv[2], "--json", "lockfiles"])
assert not code, code
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
    _modules(repo)  # the first warm search creates recall.verify.lock (lib/recall/verify.py)
    settle(repo)
    index = state_dir(repo) / "recall.sqlite3"
    before = {p.name: p.stat().st_mtime_ns for p in index.parent.iterdir()}
    warm = _modules(repo)
    settle(repo)  # its verification found nothing to write either
    assert "yaml" not in warm and "jsonschema" not in warm, [m for m in warm if "yaml" in m or "jsonschema" in m]
    assert "lib.recall.build" not in warm and "lib.recall.documents" not in warm  # nothing read or parsed
    assert "lib.recall.build" in cold
    after = {p.name: p.stat().st_mtime_ns for p in index.parent.iterdir()}
    assert before == after


FLOOR = "import sqlite3, sys; sys.stderr.write(repr(sorted(sys.modules)))"
# The search run as /recall runs it (text output), its modules written at exit without
# importing anything more (no runpy, no json: they would be counted).
BARE_PROBE = r"""
import os, sys
helpers, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(helpers))
import handoff_helpers  # main() itself: run as __main__ it would leave by os._exit (FAST_EXIT)
code = handoff_helpers.main(["search", "--root", root, "lockfiles"])
assert not code, code
sys.stderr.write("MODULES " + repr(sorted(sys.modules)) + "\n")
"""
# Beyond `python3 -c "import sqlite3"`: small C or frozen modules, and handoff's own.
EXTRA_ALLOWED = {"__future__", "errno", "fcntl", "importlib", "importlib._bootstrap",
                 "importlib._bootstrap_external", "warnings"}


def test_warm_search_imports_little_beyond_import_sqlite3(repo) -> None:
    """The warm path's budget is twice ``python3 -c "import sqlite3"`` (tests/bench/bench_recall.py):
    no argparse (lib/core/fastargs.py), no re, no json, nothing third-party."""
    import ast

    log(repo, "RT-261101-01", "Storage", decisions="- lockfiles")
    old = 1_700_000_000
    for p in [*(repo / "docs" / "sessions").iterdir(), repo / "docs" / "sessions"]:
        os.utime(p, (old, old))  # out of the racy window, as a while after a checkout
    run = [sys.executable, "-c", BARE_PROBE, str(HELPERS), str(repo)]
    for n in range(3):  # the first builds the index
        if n == 1:
            # utime set the directory's ctime to now: the build stored it as racy, so the next
            # search lists it once more and, out of the window, stores it; the third is warm
            # (lib/recall/freshness.py), as any search a while after a change
            time.sleep(2.1)
        proc = subprocess.run(run, capture_output=True, text=True, env=clean_env())
        assert proc.returncode == 0, proc.stderr
        settle(repo)
    warm = set(ast.literal_eval(proc.stderr.split("MODULES ", 1)[1]))
    floor = set(ast.literal_eval(subprocess.run([sys.executable, "-c", FLOOR], capture_output=True, text=True,
                                                env=clean_env()).stderr))
    extra = {m for m in warm - floor if m not in ("lib", "handoff_helpers") and not m.startswith("lib.")}
    assert extra <= EXTRA_ALLOWED, sorted(extra - EXTRA_ALLOWED)
    assert "lib.recall.documents" not in warm


def test_fast_exit_delivers_all_output_and_a_closed_pipe_is_no_error(repo) -> None:
    """search leaves by os._exit (FAST_EXIT): every byte of a large answer still arrives, and
    a reader that stops early (``| head``) gets no traceback and no error exit."""
    import json

    noise(repo, 250, word="kittiwake")
    argv = [sys.executable, str(HELPERS), "search", "--root", str(repo), "--json", "--limit", "1000", "kittiwake"]
    full = subprocess.run(argv, capture_output=True, env=clean_env())
    assert full.returncode == 0, full.stderr
    assert len(full.stdout) > 65536  # more than a pipe holds: written in several goes
    assert len(json.loads(full.stdout)["hits"]) == 250
    settle(repo)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    proc.stdout.read(10)
    proc.stdout.close()  # as `| head -c 10` does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and b"Traceback" not in err and b"Exception" not in err, err


# The modules and stats as the index update leaves them (before the answer is printed).
NEW_LOG_PROBE = r"""
import os, sys
helpers, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(helpers))
import handoff_helpers  # main() itself: run as __main__ it would leave by os._exit (FAST_EXIT)
from lib.recall import index
seen = {}
def open_current(project, warnings, stats=None, _open=index.open_current):
    conn = _open(project, warnings, stats)
    seen.update(check=stats.get("check"), parsed=stats.get("parsed"), modules=sorted(sys.modules))
    return conn
index.open_current = open_current
code = handoff_helpers.main(["search", "--root", root, "gannet"])
assert not code, code
sys.stderr.write("SEEN " + repr(seen) + "\n")
"""


def test_the_first_search_after_a_new_log_parses_it_without_re_or_yaml(repo) -> None:
    """A log as write-session writes it (its Resume Prompt fenced) is read, parsed and indexed
    by the search that follows it without importing re (~2.4 ms), yaml or documents.py:
    lib/recall/plainlog.py (its equality with documents.py: tests/recall/test_plainlog.py)."""
    import ast

    noise(repo, 5)
    subprocess.run([sys.executable, str(HELPERS), "search", "--root", str(repo), "anything"], check=True,
                   capture_output=True, env=clean_env())
    settle(repo)
    log(repo, "RT-261121-01", "Storage", decisions="- gannet", resume="Go on with ## the bench")
    proc = subprocess.run([sys.executable, "-c", NEW_LOG_PROBE, str(HELPERS), str(repo)], capture_output=True,
                          text=True, env=clean_env())
    settle(repo)
    assert proc.returncode == 0, proc.stderr
    assert "RT-261121-01" in proc.stdout
    seen = ast.literal_eval(proc.stderr.split("SEEN ", 1)[1])
    assert (seen["check"], seen["parsed"]) == ("changes", 1)  # the cheap check found it; it was parsed
    unwanted = set(seen["modules"]) & {"re", "yaml", "lib.recall.documents"}
    assert not unwanted, sorted(unwanted)
