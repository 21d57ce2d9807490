"""The catalog as derived data (lib/catalog/store.py, schema.py): never trusted, never fatal.

A catalog that is not a database, foreign, from a newer handoff, truncated, garbled (a row, the
saved listing, a name in the schema) is moved aside and rebuilt, or simply read again; a state
dir we cannot write gives a temporary catalog; another process holding the lock is waited for
a bounded time; a command killed mid-update, or the file damaged while a command runs, never
leaves a crash or a wrong answer behind. All through the real commands.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from catalogtree import OLD, answered, catalog, git, ids, log, log_path, noise, one_line, quiet, search, site

from handoff_fixtures import make_repo, request
from lib.catalog import schema, store
from logtree import HELPERS, clean_env, run_helper

MOVED = "catalog.sqlite3.moved-aside"


def _sql(root: Path, *statements: str) -> None:
    con = sqlite3.connect(catalog(root))
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _garble(path: Path, start: float, end: float) -> None:
    data = bytearray(path.read_bytes())
    for i in range(int(len(data) * start), int(len(data) * end)):
        data[i] = (data[i] * 7 + 13) % 256
    path.write_bytes(bytes(data))


def _poke(path: Path, at: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(data)


DAMAGE = {
    "garbage": lambda root: catalog(root).write_bytes(os.urandom(8192)),
    "foreign": lambda root: catalog(root).unlink() or _sql(root, "CREATE TABLE notes (x)"),
    "future": lambda root: _sql(root, "INSERT INTO _migrations VALUES ('999_from_the_future', 'x')"),
    "tampered": lambda root: _sql(root, "DROP TABLE roots"),  # its migrations say it has this table
    "truncated": lambda root: os.truncate(catalog(root), catalog(root).stat().st_size // 2),
    "schema-format": lambda root: _poke(catalog(root), 44, b"\x00\x00\x00\x07"),  # "unsupported file format"
    "row-not-utf8": lambda root: _sql(root, "UPDATE docs SET title = CAST(x'ff41' AS TEXT) WHERE id = 'RT-261120-04'"),
    "row-a-blob": lambda root: _sql(root, "UPDATE docs SET day = x'00'"),
    "schema-name-not-utf8": lambda root: _sql(
        root, "PRAGMA writable_schema = 1",
        "UPDATE sqlite_master SET name = CAST(x'6361ff' AS TEXT) WHERE name = 'docs_order'"),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_bad_catalog_is_moved_aside_and_rebuilt(repo, kind) -> None:
    noise(repo, 4)
    log(repo, "RT-261120-04", "Skua", did="- skua")
    quiet(repo)
    search(repo, "skua")
    DAMAGE[kind](repo)
    result = search(repo, "skua")
    assert ids(result) == ["RT-261120-04"] and result["hits"][0]["date"] == "2026-11-20"
    assert [w for w in result["warnings"] if "moved aside" in w], result["warnings"]
    assert (catalog(repo).parent / MOVED).exists()
    assert search(repo, "skua")["warnings"] == []  # rebuilt once
    proc = run_helper(repo, "learnings", "--json")
    answered(proc)
    assert len(json.loads(proc.stdout)["items"]) == 4


@pytest.mark.parametrize("blob", [b"\x5b\x00\xff", b"not marshal", b""])
def test_a_garbled_listing_means_every_file_is_read_again(repo, blob) -> None:
    """roots.listing (what each file's stat was) garbled: no traceback, every file read again,
    and a log deleted meanwhile is gone from the answers."""
    noise(repo, 6)
    quiet(repo)
    search(repo, "anything")
    con = sqlite3.connect(catalog(repo))
    con.execute("UPDATE roots SET listing = ?", (blob,))
    con.commit()
    con.close()
    log_path(repo, OLD).unlink()
    log(repo, "RT-261120-04", "Skua", did="- skua")
    assert ids(search(repo, "skua")) == ["RT-261120-04"]
    assert OLD not in ids(search(repo, "routine", "--limit", "100"))
    assert len(search(repo, "routine", "--limit", "100")["hits"]) == 6  # 5 left, and the new one


def test_damage_found_only_by_the_query_is_moved_aside_and_asked_again(repo) -> None:
    noise(repo, 40)
    log(repo, "RT-261120-06", "Tern", decisions="- tern")
    quiet(repo)
    search(repo, "tern")
    search(repo, "tern")
    _garble(catalog(repo), 0.4, 0.9)  # pages the warm check does not read: the FTS index
    result = search(repo, "tern")
    assert ids(result) == ["RT-261120-06"], result
    assert any("moved aside" in w for w in result["warnings"]), result["warnings"]
    assert ids(search(repo, "--section", "decisions", "tern")) == ["RT-261120-06"]
    proc = run_helper(repo, "decisions", "--json")
    answered(proc)
    assert [i["id"] for i in json.loads(proc.stdout)["items"]] == ["RT-261120-06"]


def _read_only(state: Path, argv: list) -> list:
    """``argv`` run with ``state`` read-only. Root writes through any mode bits, so as root the
    directory is bind-mounted read-only in a private mount namespace (EROFS, as on a read-only
    volume); otherwise its mode is 0555."""
    if os.geteuid() != 0:
        os.chmod(state, 0o555)
        return argv
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed for the read-only state dir test"
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return [unshare, "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", str(state), *argv]


@pytest.mark.parametrize("existing", [False, True])
def test_a_read_only_state_dir_answers_from_a_temporary_catalog(repo, existing) -> None:
    log(repo, "RT-261120-05", "Gull", did="- gull")
    if existing:
        search(repo, "gull")
    state = catalog(repo).parent
    state.mkdir(parents=True, exist_ok=True)
    log(repo, "RT-261120-06", "Another gull", did="- gull")
    argv = _read_only(state, [sys.executable, str(HELPERS), "search", "--root", str(repo), "--json", "gull"])
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=clean_env(), cwd=repo, timeout=60)
    finally:
        os.chmod(state, 0o755)
    answered(proc)
    result = json.loads(proc.stdout)
    assert sorted(ids(result)) == ["RT-261120-05", "RT-261120-06"]
    assert [w for w in result["warnings"] if "temporary catalog" in w], result["warnings"]
    assert not (state / MOVED).exists()


def test_migrations_are_named_recorded_and_each_in_one_transaction(tmp_path, monkeypatch) -> None:
    con = store.connect(str(tmp_path / "x.sqlite3"))
    assert schema.migrate(con) == list(schema.NAMES)
    assert [r[0] for r in con.execute("SELECT name FROM _migrations ORDER BY rowid")] == list(schema.NAMES)
    assert schema.migrate(con) == []  # idempotent

    def broken(conn):
        conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (("999_broken", broken),))
    monkeypatch.setattr(schema, "NAMES", schema.NAMES + ("999_broken",))
    with pytest.raises(RuntimeError):
        schema.migrate(con)
    # A migration that fails half-way leaves nothing behind: neither its table nor its row.
    assert "half" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert [r[0] for r in con.execute("SELECT name FROM _migrations")] == list(schema.NAMES[:-1])
    con.close()


# An SQLite without FTS5, as some Python builds have.
NO_FTS5 = r"""
import sqlite3
_connect = sqlite3.connect

class NoFts5(sqlite3.Connection):
    def execute(self, sql, *args):
        if "fts5" in sql.lower():
            raise sqlite3.OperationalError("no such function: fts5")
        return super().execute(sql, *args)

def connect(*args, **kwargs):
    kwargs["factory"] = NoFts5
    return _connect(*args, **kwargs)

sqlite3.connect = connect
"""


def test_missing_fts5_is_one_line_naming_the_fix(repo, tmp_path) -> None:
    log(repo, "RT-261120-05", "Gull", did="- gull")
    one_line(run_helper(repo, "search", "gull", env=site(tmp_path, NO_FTS5)), "FTS5", "HANDOFF_PYTHON")
    assert ids(search(repo, "gull")) == ["RT-261120-05"]  # this Python's SQLite has it (the CI's must)


def test_the_catalog_is_the_one_derived_database_in_the_state_dir_and_never_committed(tmp_path) -> None:
    r = make_repo(tmp_path)
    noise(r.path, 2)
    search(r.path, "queue")
    state = catalog(r.path).parent
    assert catalog(r.path).is_file()
    assert [p.name for p in state.iterdir() if not p.name.endswith(".lock")] == ["catalog.sqlite3"]
    git(r.path, "add", "-A")
    assert "catalog" not in git(r.path, "status", "--porcelain", "--ignored", "--untracked-files=all")


def test_the_old_caches_are_deleted_by_the_first_command(repo) -> None:
    log(repo, "RT-261120-05", "Gull", did="- gull")
    state = catalog(repo).parent
    state.mkdir(parents=True)
    old = ["recall.sqlite3", "recall.sqlite3-wal", "recall.sqlite3-shm", "recall.sqlite3.moved-aside", "recall.lock",
           "resume-cache.json", "resume-cache.wt2.json", "digest-cache.json", "digest-cache.json.corrupt",
           "index-cache.json"]
    kept = ["id-registry.json", "hook-errors.log", "session.lock"]  # state, not caches
    for name in old + kept:
        (state / name).write_text("x")
    assert ids(search(repo, "gull")) == ["RT-261120-05"]
    assert sorted(p.name for p in state.iterdir()) == sorted(kept + ["catalog.lock", "catalog.sqlite3"])


def test_a_catalog_deleted_by_hand_is_rebuilt_without_its_old_wal(repo) -> None:
    """A process killed with the catalog open leaves -wal/-shm; the user deletes catalog.sqlite3
    ("rebuilt at will"): the new file must not replay the old frames."""
    noise(repo, 6)
    quiet(repo)
    search(repo, "anything")
    path = catalog(repo)
    kill = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('PRAGMA wal_autocheckpoint = 0'); c.execute('BEGIN IMMEDIATE');"
            "c.execute(\"UPDATE docs SET title = title || 'x'\"); c.execute('COMMIT'); os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", kill, str(path)])
    assert Path(str(path) + "-wal").stat().st_size > 0
    path.unlink()
    noise(repo, 30, start_day=15)  # the rebuilt file's pages hold other rows than the old frames'
    quiet(repo)
    for _ in range(2):
        result = search(repo, "routine")
        assert len(result["hits"]) == 10 and result["warnings"] == []  # (the default --limit)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


def _hold(lock_path: Path) -> int:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_another_process_holding_the_lock_during_a_cold_build_is_a_bounded_wait_then_one_line(repo) -> None:
    noise(repo, 6)
    quiet(repo)
    fd = _hold(catalog(repo).parent / "catalog.lock")
    try:
        t0 = time.monotonic()
        one_line(run_helper(repo, "search", "routine", env={"HANDOFF_LOCK_WAIT_S": "1"}), "catalog.lock",
                 "still locked")
        assert time.monotonic() - t0 < 10
    finally:
        os.close(fd)
    assert len(search(repo, "routine")["hits"]) == 6
    search(repo, "routine")  # (out of the racy window: the next one changes nothing)
    fd = _hold(catalog(repo).parent / "catalog.lock")
    try:  # a reader with nothing to update is never blocked by a writer
        assert len(search(repo, "routine", env={"HANDOFF_LOCK_WAIT_S": "1"})["hits"]) == 6
    finally:
        os.close(fd)


def _logs(root: Path, n: int) -> None:
    """``n`` logs, each with one learning of its own (lesson<i>)."""
    for i in range(n):
        log(root, "AB-2610%02d-%02d" % (1 + i // 80, i % 80 + 1), "Routine %d" % i, learnings="- lesson%d" % i)


def _answers_correctly(root: Path, n: int) -> None:
    proc = run_helper(root, "learnings", "--json")
    answered(proc)
    result = json.loads(proc.stdout)
    assert sorted(i["item"] for i in result["items"]) == sorted("lesson%d" % i for i in range(n))
    assert result["warnings"] == []
    assert ids(search(root, "lesson1234")) == ["AB-261016-35"]


@pytest.mark.slow
def test_a_command_killed_mid_update_leaves_a_usable_catalog(repo) -> None:
    """SIGKILL at several points of a cold build of 2,000 logs, and of an update that re-reads
    them all (each file touched): the next command answers every log, with no warning."""
    _logs(repo, 2000)
    quiet(repo)
    path = catalog(repo)
    argv = [sys.executable, str(HELPERS), "search", "--root", str(repo), "anything"]
    killed_while_running = 0
    for n, delay in enumerate((0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)):
        if n % 2:  # an update of every row of an existing catalog
            quiet(repo, 7200 + n)
        else:  # a cold build
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())
        deadline = time.monotonic() + 30
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        killed_while_running += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _answers_correctly(repo, 2000)
    assert killed_while_running >= 4
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


@pytest.mark.slow
def test_the_catalog_damaged_while_commands_run_is_an_error_line_or_a_rebuild_never_a_crash(repo) -> None:
    """Another process truncates and garbles the file while searches run: each search answers
    (rebuilt), or prints one line; none dies by a signal (a read through mmap would: SIGBUS)."""
    noise(repo, 200)
    quiet(repo)
    search(repo, "routine")
    stop = threading.Event()
    rng = random.Random(5)

    def damage() -> None:
        while not stop.is_set():
            try:
                size = catalog(repo).stat().st_size
                with open(catalog(repo), "r+b") as f:
                    if rng.random() < 0.5:
                        f.truncate(rng.randrange(size + 1))
                    else:
                        f.seek(rng.randrange(size + 1))
                        f.write(os.urandom(rng.randrange(1, 65536)))
            except OSError:
                pass
            time.sleep(rng.random() * 0.05)

    worker = threading.Thread(target=damage, daemon=True)
    worker.start()
    outcomes = []
    try:
        for _ in range(25):
            proc = run_helper(repo, "search", "--json", "routine")
            assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, (proc.returncode, proc.stderr)
            if proc.returncode:
                assert proc.stderr.splitlines()[-1].startswith("handoff: "), proc.stderr
            outcomes.append(proc.returncode)
    finally:
        stop.set()
        worker.join()
    assert len(search(repo, "routine", "--limit", "1000")["hits"]) == 200  # and afterwards, all is well


def test_write_session_never_depends_on_the_catalog(tmp_path) -> None:
    r = make_repo(tmp_path)
    r.commit("feat: one", {"a.py": "1\n"}, when="2026-11-21T09:00:00Z")
    state = catalog(r.path).parent
    state.mkdir(parents=True, exist_ok=True)
    catalog(r.path).write_bytes(b"garbage, not a database" * 100)
    (state / "catalog.lock").mkdir()  # the lock cannot even be opened
    out = r.write_ok(request(title="Still written"), "s1", {"HANDOFF_NOW": "2026-11-21T10:00:00Z"})
    assert (r.path / out["path"]).is_file()
