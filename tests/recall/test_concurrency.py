"""Concurrent searches while logs are written, all real processes: no search errors, and none
sees a torn index (a hit whose row and text disagree, or a log that disappears again).

Writers: ``write-session`` itself (which updates the index after each write, so it is a second
index writer racing the searchers' incremental updates) and a plain writer dropping logs in
with rename. Searchers: four processes searching in a loop. Each log's title names its marker
word, so every hit can be checked against the file it claims to come from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from handoff_fixtures import HELPERS, PY, make_repo, request
from hookutil import state_dir

SEARCHER = r"""
import json, subprocess, sys, time
helpers, root, deadline = sys.argv[1], sys.argv[2], float(sys.argv[3])
seen = 0
runs = []
while time.time() < deadline:
    p = subprocess.run([sys.executable, helpers, "search", "--root", root, "--json", "--limit", "1000", "sharedword"],
                       capture_output=True, text=True)
    runs.append({"rc": p.returncode, "stderr": p.stderr[-2000:], "out": p.stdout})
print(json.dumps(runs))
"""

DROPPER = r"""
import os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    name = "CK-2611%02d-%02d" % (1 + i // 50, i % 50 + 1)
    title = "Dropped %s" % name
    text = ("---\nid: %s\noperator: CK\ntitle: %s\nworkstreams: []\n---\n# %s\n\n## Summary\n\nsharedword %s\n"
            % (name, title, title, name))
    path = os.path.join(root, "docs", "sessions", name + ".md")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    time.sleep(0.01)
"""


def test_searches_while_logs_are_written_never_error_or_see_a_torn_index(tmp_path) -> None:
    repo = make_repo(tmp_path)
    (repo.path / "docs" / "sessions").mkdir(parents=True)
    first = repo.write_ok(request(title="Seed sharedword", summary="sharedword seed"), "seed")
    search = subprocess.run([PY, str(HELPERS), "search", "--root", str(repo.path), "--json", "sharedword"],
                            capture_output=True, text=True, env=repo.env)
    assert search.returncode == 0 and first["id"] in search.stdout, search.stderr

    deadline = time.time() + 12
    env = {**repo.env, "PYTHONDONTWRITEBYTECODE": "1"}
    searchers = [
        subprocess.Popen([sys.executable, "-c", SEARCHER, str(HELPERS), str(repo.path), str(deadline)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    dropper = subprocess.Popen([sys.executable, "-c", DROPPER, str(repo.path), "150"], env=env)
    written = [first["id"]]
    n = 0
    while time.time() < deadline - 2:
        n += 1
        out = repo.write_ok(request(title="Written %d sharedword" % n, summary="sharedword %d" % n), "s%d" % n)
        written.append(out["id"])
    assert dropper.wait(timeout=60) == 0
    results = []
    for proc in searchers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))

    titles = {}
    for p in (repo.path / "docs" / "sessions").glob("*.md"):
        line = next(x for x in p.read_text().splitlines() if x.startswith("title: "))
        titles[p.stem] = line[len("title: "):].strip("'\"")
    total_runs = 0
    for runs in results:
        previous: set = set()
        for run in runs:
            total_runs += 1
            assert run["rc"] == 0 and "Traceback" not in run["stderr"], run["stderr"]
            hits = json.loads(run["out"])["hits"]
            found = {h["id"] for h in hits}
            assert len(found) == len(hits)  # no document twice
            for h in hits:  # the row and its text agree with the file it names
                assert h["title"] == titles[h["id"]], h
                assert h["path"] == "docs/sessions/%s.md" % h["id"]
                assert "**sharedword**" in h["snippet"] or "**Sharedword**" in h["snippet"], h
            assert previous <= found, previous - found  # logs are only added: none may vanish
            previous = found
    assert total_runs >= 8
    final = subprocess.run([PY, str(HELPERS), "search", "--root", str(repo.path), "--json", "--limit", "1000",
                            "sharedword"], capture_output=True, text=True, env=repo.env)
    final_ids = {h["id"] for h in json.loads(final.stdout)["hits"]}
    assert set(written) <= final_ids and len(final_ids) == len(written) + 150
    assert os.path.getsize(state_dir(repo.path) / "catalog.sqlite3") > 0
