"""``regen-indexes``: deterministic INDEX.md files that survive merges."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

from logtree import backdate, run_helper, team, write_log, write_ws  # noqa: F401

SESSIONS_INDEX = Path("docs/sessions/INDEX.md")
WS_INDEX = Path("workstreams/INDEX.md")


def regen(root: Path, *args: str) -> subprocess.CompletedProcess:
    proc = run_helper(root, "regen-indexes", *args)
    assert "Traceback" not in proc.stderr
    return proc


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    env_args = ["-c", "user.name=Test Er", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *env_args, *args], cwd=root, capture_output=True, text=True)


def test_content(repo: Path) -> None:  # noqa: F811
    team(repo)
    write_log(repo, "CONV-old", date="2025-01-02", title="Pipes | and \\ slashes", workstreams=["auth"])
    (repo / "docs" / "sessions" / "ZZ-261121-01.md").write_text("---\ntitle: [broken\n---\n")
    proc = regen(repo)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["docs/sessions/INDEX.md: wrote", "workstreams/INDEX.md: wrote"]
    assert proc.stderr.startswith("handoff: warning: docs/sessions/ZZ-261121-01.md: frontmatter is not valid YAML")
    rows = [line for line in (repo / SESSIONS_INDEX).read_text().splitlines() if line.startswith("| [")]
    assert rows == [
        "| [ZZ-261121-01](ZZ-261121-01.md) | 2026-11-21 | ZZ | (unreadable) |   |",
        "| [CK-261121-01](CK-261121-01.md) | 2026-11-21 | CK | Unrelated |   |",
        "| [AB-261121-01](AB-261121-01.md) | 2026-11-21 | AB | Token refresh | auth |",
        "| [RT-261120-01](RT-261120-01.md) | 2026-11-20 | RT | Title of RT-261120-01 | resume-dash |",
        "| [CK-261119-02](CK-261119-02.md) | 2026-11-19 | CK | Invoices | billing, auth |",
        "| [CONV-old](CONV-old.md) | 2025-01-02 |   | Pipes \\| and \\\\ slashes | auth |",
    ]
    ws_rows = [line for line in (repo / WS_INDEX).read_text().splitlines() if line.startswith("| [")]
    assert ws_rows == [
        "| [auth](auth.md) | Auth rewrite | AB | active | 1/2 |",
        "| [billing](billing.md) | Billing | CK | paused | 0/0 |",
        "| [old-thing](old-thing.md) | Old Thing | RT | done | 1/1 |",
        "| [resume-dash](resume-dash.md) | Resume Dash | RT | active | 2/3 |",
    ]
    # the generated files are not logs or workstreams themselves
    again = regen(repo)
    assert again.stdout.splitlines() == ["docs/sessions/INDEX.md: unchanged", "workstreams/INDEX.md: unchanged"]


def _build(root: Path, order_seed: int) -> None:
    rng = random.Random(order_seed)
    jobs = [("ws", "ws-%d" % i, ("RT", "AB", "CK")[i % 3]) for i in range(12)]
    jobs += [("log", "%s-2611%02d-%02d" % (("RT", "AB", "CK")[i % 3], 1 + i % 20, 1 + i // 20), i) for i in range(60)]
    jobs += [("legacy", "CONV-%02d" % i, i) for i in range(5)]
    rng.shuffle(jobs)
    for kind, name, extra in jobs:
        if kind == "ws":
            write_ws(root, name, extra)
        elif kind == "log":
            write_log(root, name, workstreams=["ws-%d" % (extra % 12)], title="Log %s" % name)
        else:
            write_log(root, name, date="2025-06-%02d" % (1 + extra), title="Legacy %d" % extra)


def test_same_input_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _build(a, 1)
    _build(b, 2)  # the same files, created in another order (another directory order)
    backdate(a)
    regen(a)
    regen(a)  # warm cache
    regen(b)
    for index in (SESSIONS_INDEX, WS_INDEX):
        assert (a / index).read_bytes() == (b / index).read_bytes()
    # and a cold regeneration of an existing index gives the same bytes again
    shutil.rmtree(a / ".claude")
    assert regen(a).stdout.splitlines() == ["docs/sessions/INDEX.md: unchanged", "workstreams/INDEX.md: unchanged"]


def test_check_mode(repo: Path) -> None:  # noqa: F811
    team(repo)
    proc = regen(repo, "--check")
    assert proc.returncode == 1 and "out of date" in proc.stderr and not (repo / SESSIONS_INDEX).exists()
    regen(repo)
    assert regen(repo, "--check").returncode == 0
    write_log(repo, "RT-261121-02")
    proc = regen(repo, "--check")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "handoff: docs/sessions/INDEX.md out of date; run: scripts/handoff regen-indexes"
    )


def test_missing_directories_are_skipped(repo: Path) -> None:  # noqa: F811
    proc = regen(repo)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == [
        "docs/sessions/INDEX.md: skipped: no docs/sessions/ directory",
        "workstreams/INDEX.md: skipped: no workstreams/ directory",
    ]
    assert not (repo / "docs").exists() and not (repo / "workstreams").exists()


def _branch_adds(root: Path, branch: str, name: str, **meta) -> None:
    assert git(root, "checkout", "-q", "-b", branch, "main").returncode == 0
    write_log(root, name, **meta)
    regen(root)
    git(root, "add", "-A")
    assert git(root, "commit", "-q", "-m", "add " + name).returncode == 0


def _merged_then_regenerated(root: Path, tmp_path: Path) -> None:
    """After resolving by regenerating, the index is what a fresh checkout regenerates."""
    regen(root)
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".claude", ".git", "INDEX.md"))
    regen(fresh)
    assert (root / SESSIONS_INDEX).read_bytes() == (fresh / SESSIONS_INDEX).read_bytes()


def _base(repo: Path) -> None:  # noqa: F811
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-b", "main"], capture_output=True)
    for day in range(10, 20):
        write_log(repo, "RT-2611%02d-01" % day, workstreams=["auth"])
    write_ws(repo, "auth", "AB")
    regen(repo)
    (repo / ".gitignore").write_text(".claude/\n")
    git(repo, "add", "-A")
    assert git(repo, "commit", "-q", "-m", "base").returncode == 0


def test_branches_touching_different_rows_merge_cleanly(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    _base(repo)
    _branch_adds(repo, "a", "AB-261121-01", title="newest, on branch a")
    _branch_adds(repo, "b", "CK-261101-01", title="oldest, on branch b")
    git(repo, "checkout", "-q", "a")
    merge = git(repo, "merge", "-q", "--no-edit", "b")
    assert merge.returncode == 0, merge.stdout + merge.stderr
    assert regen(repo, "--check").returncode == 0  # the merged index is already exact
    _merged_then_regenerated(repo, tmp_path)


def test_conflicting_branches_resolve_by_regenerating(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    _base(repo)
    _branch_adds(repo, "a", "AB-261121-01", title="from a")
    _branch_adds(repo, "b", "CK-261121-01", title="from b")
    git(repo, "checkout", "-q", "a")
    merge = git(repo, "merge", "-q", "--no-edit", "b")
    if merge.returncode != 0:  # both inserted at the top: a conflict in INDEX.md only
        status = git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split()
        assert status == [str(SESSIONS_INDEX)]
    _merged_then_regenerated(repo, tmp_path)
    rows = [line for line in (repo / SESSIONS_INDEX).read_text().splitlines() if line.startswith("| [")]
    assert rows[0].startswith("| [CK-261121-01]") and rows[1].startswith("| [AB-261121-01]")
