"""Files -> rows of the index: read, hash, parse and insert (lib/recall/index.py decides which
files; this module turns them into rows, for a one-file update and a cold build alike).

- `read` a file once (regular, no link, at most ``MAX_FILE_BYTES``) and `file_key` its bytes.
- `load` turns a batch of files into rows ready to insert: pure with respect to the database
  (``is_new`` answers "is this key unindexed?"), so a forked child can run it.
- `insert` puts the rows in: ``docs``, ``docs_fts`` and ``files``, one ``executemany`` each per
  batch, batches in docid order.

A large build (`PARALLEL_AFTER` files) shares the reading and parsing between the parent and a
forked child (`_shared`): the files are cut into at most 255 batches whose numbers wait in a
pipe, one byte each; whoever takes the next one parses it (a read of one byte from a pipe goes
to exactly one reader). The child sends its rows back through a second pipe; the parent
inserts them in batch order. So the parent's SQLite inserts (C code) overlap the child's
reading and parsing (Python). The parent, with nothing to insert, parses a batch itself only
while the child has more parsing left than the parent has inserting (`_Balance`, from the
paces measured so far). Workstreams and legacy logs (YAML) are the child's alone, parsed first
and inserted last: the parent never imports PyYAML. The child touches no database (the
parent's connection and locks stay the parent's; it leaves by ``os._exit``, and ``is_new`` is
a set there). If it dies, the parent reads and parses whatever it did not get.
"""

from __future__ import annotations

import os
import stat
import struct

from ..resume.lognames import LEGACY_PREFIX
from .columns import MAX_FILE_BYTES
from .plainlog import fields as plain_fields

PARALLEL_AFTER = 1000  # files to read before a forked child shares the work
_BATCH = 32  # files per batch at least (fewer than 255 batches: one byte names one)
_MAX_BATCHES = 255
_HEADER = struct.Struct("<II")  # batch number, payload length
_PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size: the child rarely waits for the parent to read

_INSERT_DOC = (
    "INSERT INTO docs (docid, key, kind, id, path, day, operator, title, workstreams, sort_key, warning,"
    " fm_unchecked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FTS = (
    "INSERT INTO docs_fts (rowid, title, summary, did, decisions, future, learnings, questions, resume)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FILE = "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)"
_READ_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)


def read(path: str) -> tuple[bytes, bool] | None:
    """(bytes, truncated) of a regular file, or None when it cannot be read now (one read of
    the size fstat gives, plus one byte to see a file that grew)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        want = min(st.st_size, MAX_FILE_BYTES) + 1
        data = os.read(fd, want)
        while len(data) < want and len(data) != st.st_size:  # short read (not at the end)
            more = os.read(fd, want - len(data))
            if not more:
                break
            data += more
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return data[:MAX_FILE_BYTES], True
    return data, False


def file_key(rel: str, data: bytes) -> bytes:
    """The document key: a hash of the path and the bytes (the same file in two worktrees is
    one document; the same bytes under another name are another)."""
    try:  # the same blake2b without hashlib's OpenSSL start-up (~2 ms of a first search after a new log)
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b

    h = blake2b(rel.encode("utf-8", "surrogateescape"), digest_size=16)
    h.update(b"\0")
    h.update(data)
    return h.digest()


class Job:
    """What `load` needs, the same in the parent and the forked child: ``entries``
    [(rel, kind, name, size, mtime, ino)], ``known`` {rel: (size, mtime, ino, key)} of the
    files indexed before, ``is_new(key)``, the docid of entry 0 (entry i gets ``first_docid +
    i`` if it is a new document: any process can number the rows it makes), and the racy
    window's start (a file modified after it is stored with mtime -1: read again next time).
    ``lean``: a few files (a search after a new log): a log in write-session's shape is parsed
    without importing ``re`` (lib/recall/plainlog.split_lines, ~8 us a log); many: by
    documents.py, whose one regular expression splits a body faster (~5 us) once ``re`` is in."""

    __slots__ = ("root", "entries", "known", "is_new", "first_docid", "racy_after", "lean")

    def __init__(self, root: str, entries: list, known: dict, is_new, first_docid: int, racy_after: int,
                 lean: bool = False):
        self.lean = lean
        self.root = root
        self.entries = entries
        self.known = known
        self.is_new = is_new
        self.first_docid = first_docid
        self.racy_after = racy_after


def load(job: Job, lo: int, hi: int) -> tuple:
    """The rows of entries ``lo:hi``, ready to insert: (docs rows, docs_fts rows, files rows,
    rels that could not be read, keys those files had before and no longer have). Pure with
    respect to the database, so a forked child can run it."""
    docs, fts, files, unreadable, dropped = [], [], [], [], []
    root, known, is_new, racy_after, lean = job.root, job.known, job.is_new, job.racy_after, job.lean
    documents = None  # imported once a file needs it (a lean job of plain logs never does: it imports re)
    prefix = root + "/"
    docid = job.first_docid + lo - 1
    for rel, kind, name, size, mtime, ino in job.entries[lo:hi]:
        docid += 1  # this entry's
        got = read(prefix + rel)
        if got is None:
            unreadable.append(rel)
            continue
        data, truncated = got
        key = file_key(rel, data)
        files.append((root, rel, size, -1 if mtime > racy_after else mtime, ino, key))
        old = known.get(rel)
        if old is not None:
            if old[3] == key:
                continue
            dropped.append(old[3])
        if not is_new(key):
            continue
        whole = True  # its frontmatter looked at whole (documents.parsed_log); else schema.m003's mark
        if kind == "log":
            got = plain_fields(rel, name, data) if lean and not truncated else None
            whole = False
            if got is None:
                documents = documents or _documents()
                got, whole = documents.parsed_log(rel, name, data, truncated)
            _, id_, path, day, op, title, workstreams, sort_key, cols, warning = got
        else:
            documents = documents or _documents()
            doc = documents.workstream_document(rel, name, data, truncated)
            id_, path, day, op, title, workstreams, sort_key, cols, warning = (
                doc.id, doc.path, doc.day, doc.operator, doc.title, doc.workstreams, doc.sort_key, doc.columns,
                doc.warning,
            )
        get = cols.get
        docs.append((
            docid, key, kind, id_, path, day, op, title, "," + ",".join(workstreams) + "," if workstreams else "",
            sort_key, warning, None if whole else 1,
        ))
        fts.append((
            docid, title, get("summary", ""), get("did", ""), get("decisions", ""), get("future", ""),
            get("learnings", ""), get("questions", ""), get("resume", ""),
        ))
    return docs, fts, files, unreadable, dropped


def _documents():
    from . import documents

    return documents


def loaded(job: Job, parallel: bool):
    """Yields `load`'s answer for each batch of ``job.entries``, in order; ``parallel``: shared
    with a forked child (``job.is_new`` must not touch the database then)."""
    if parallel and hasattr(os, "fork"):
        yield from _shared(job)
    else:
        yield load(job, 0, len(job.entries))


def _batches(n: int) -> list:
    size = max(_BATCH, -(-n // _MAX_BATCHES))
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _slow_last(entries: list) -> tuple[list, int]:
    """(entries with those that likely need YAML last, how many come before them): workstreams
    and legacy logs. Their batches are the child's alone and it parses them first, so the
    parent, the busier of the two, never pays for importing PyYAML (~16 ms) nor for the slow
    parses, and has named logs to parse and insert from the start."""
    slow, fast = [], []
    for entry in entries:
        (slow if entry[1] != "log" or entry[2].startswith(LEGACY_PREFIX) else fast).append(entry)
    return fast + slow, len(fast)


class _Balance:
    """Whether the parent, with nothing to insert, should parse a batch itself or wait.

    Every batch costs the parent its inserts (``per_insert``: seconds measured between yields)
    and costs whoever parses it a parse (``per_parse``: the child's pace, measured over the
    batches it sent since its own ones). Helping moves one parse from the child to the parent:
    worth it only while the child's remaining parses exceed the parent's remaining inserts by
    more than a batch (else the parent would finish last). Measured on the bench repo: helping
    whenever idle made the parent parse 1,500 files and finish 35 ms after the child."""

    __slots__ = ("tokens", "taken", "sent", "child_own", "since", "inserting", "inserted")

    def __init__(self, tokens: int, child_own: int, now: float):
        self.tokens = tokens  # batches handed out through the pipe (numbers below it)
        self.taken = 0  # ... of which the parent parsed
        self.sent = 0  # ... of which the child sent
        self.child_own = child_own  # the child's own batches not received yet
        self.since = None if child_own else now  # when the child started on the others
        self.inserting = 0.0  # seconds the parent spent inserting and receiving
        self.inserted = 0

    def arrived(self, numbers: list, now: float) -> None:
        for number in numbers:
            if number < self.tokens:
                self.sent += 1
            else:
                self.child_own -= 1
                if not self.child_own:
                    self.since = now
        numbers.clear()

    def help(self, now: float, backlog: int) -> bool:
        if self.since is None or not self.sent or not self.inserted:
            return True  # the child is on its own batches, or there is no pace to compare yet
        per_parse = (now - self.since) / self.sent
        per_insert = self.inserting / self.inserted
        left = self.tokens - self.taken - self.sent  # counting the one the child is parsing
        return per_parse * left - per_insert * (left + backlog) > per_parse


def _shared(job: Job):
    import marshal
    from time import perf_counter

    job.entries, n_fast = _slow_last(job.entries)
    batches = _batches(len(job.entries))
    own = sum(1 for lo, _ in batches if lo < n_fast)  # batches [own:] are the child's alone
    tokens_r, tokens_w = os.pipe()
    os.write(tokens_w, bytes(range(own)))  # at most 255 bytes: one atomic write
    os.close(tokens_w)  # no writer left: an empty pipe reads as b"" (all taken), never blocks
    rows_r, rows_w = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(rows_w, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass  # not Linux, or over the limit: the default size works, with more waiting
    try:
        pid = os.fork()
    except OSError:  # no process to spare (EAGAIN, ENOMEM): the serial way
        for fd in (tokens_r, rows_r, rows_w):
            os.close(fd)
        yield load(job, 0, len(job.entries))
        return
    if pid == 0:  # the child: its own batches, then take batches until none is left
        status = 1
        try:
            os.close(rows_r)
            with os.fdopen(rows_w, "wb") as out:
                number = own
                while True:
                    if number >= len(batches):
                        token = os.read(tokens_r, 1)
                        if not token:
                            break
                        number = token[0]
                    # marshal: the same interpreter at both ends, and only tuples of str, bytes,
                    # int and None (measured on these rows: dumps 16 ms, pickle 21 ms per 10,000)
                    payload = marshal.dumps(load(job, *batches[number]))
                    out.write(_HEADER.pack(number, len(payload)))
                    out.write(payload)
                    out.flush()
                    number = number + 1 if number >= own else len(batches)
            status = 0
        finally:
            os._exit(status)
    os.close(rows_w)
    done: dict = {}  # batch number -> its rows
    inbox = _Inbox(rows_r)
    arrived: list = []  # batch numbers, as the inbox puts them in done
    child = True  # its pipe is open
    tokens = True  # some may be left
    balance = _Balance(own, len(batches) - own, perf_counter())
    finished = False
    try:
        nxt = 0
        while nxt < len(batches):
            rows = done.pop(nxt, None)
            if rows is not None:
                nxt += 1
                start = perf_counter()
                yield rows
                balance.inserting += perf_counter() - start
                balance.inserted += 1
                continue
            if child:
                start = perf_counter()
                got = inbox.receive(done, arrived, False)
                now = perf_counter()
                balance.inserting += now - start
                if got is None:
                    child = False
                balance.arrived(arrived, now)
                if got is not False:
                    continue
            # (the child's own batches come last: they wait in done, and are no work now)
            if tokens and (not child or balance.help(perf_counter(), sum(1 for n in done if n < own))):
                token = os.read(tokens_r, 1)
                if token:
                    balance.taken += 1
                    done[token[0]] = load(job, *batches[token[0]])
                    continue
                tokens = False
            if child:
                child = inbox.receive(done, arrived, True) is not None
                balance.arrived(arrived, perf_counter())
                continue
            # the child is gone without sending this one: read it here
            done[nxt] = load(job, *batches[nxt])
        finished = True
    finally:
        os.close(tokens_r)
        os.close(rows_r)  # a child still writing gets EPIPE and leaves
        if not finished:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        os.waitpid(pid, 0)


class _Inbox:
    """The parent's end of the rows pipe: what the child sent, read into one buffer (no
    allocation per read, no copy but the kernel's) and cut into batches. Measured: reading
    with a fresh 1 MB ``os.read`` after ``select``, appending and deleting from the front cost
    the parent 21 ms per 10,000 files (140 us a call); marshal itself is 7."""

    __slots__ = ("fd", "buf", "start", "end")

    def __init__(self, fd: int):
        os.set_blocking(fd, False)
        self.fd = fd
        self.buf = bytearray(_PIPE_BYTES)
        self.start = self.end = 0  # unparsed bytes: buf[start:end]

    def receive(self, done: dict, arrived: list, block: bool) -> bool | None:
        """Complete batches go to ``done``, their numbers to ``arrived``. True: one or more
        arrived; False: none yet (only without ``block``, which waits for one); None: the pipe
        is closed (the child is gone; a partial batch is dropped)."""
        import select

        while True:
            if self.end == len(self.buf):
                self._make_room()
            try:
                with memoryview(self.buf) as view:
                    n = os.readv(self.fd, [view[self.end :]])
            except BlockingIOError:
                if not block:
                    return False
                select.select([self.fd], [], [])
                continue
            if not n:
                return None
            self.end += n
            if self._parse(done, arrived):
                return True

    def _parse(self, done: dict, arrived: list) -> bool:
        import marshal

        at, end, size_of = self.start, self.end, _HEADER.size
        with memoryview(self.buf) as view:
            while end - at >= size_of:
                number, size = _HEADER.unpack_from(view, at)
                stop = at + size_of + size
                if stop > end:
                    break
                done[number] = marshal.loads(view[at + size_of : stop])
                arrived.append(number)
                at = stop
        got = at != self.start
        self.start = at
        if at == end:
            self.start = self.end = 0
        return got

    def _make_room(self) -> None:
        """The buffer is full with a partial batch: move it to the front; grow the buffer
        when the batch is larger than it."""
        pending = self.end - self.start
        need = 0
        if pending >= _HEADER.size:
            need = _HEADER.size + _HEADER.unpack_from(self.buf, self.start)[1]
        if self.start:
            self.buf[:pending] = self.buf[self.start : self.end]
            self.start, self.end = 0, pending
        if need > len(self.buf):
            self.buf.extend(bytes(need - len(self.buf)))


def insert(conn, job: Job, parallel: bool) -> tuple:
    """Read, parse and insert ``job.entries``; returns (rels that could not be read, keys these
    files no longer have, files read, documents parsed). The caller's transaction is open."""
    unreadable, dropped_keys = [], []
    read_n = parsed = 0
    for docs, fts, files, gone, dropped in loaded(job, parallel):
        # as batches arrive (overlapping the child's work), in docid order (FTS5 flushes its
        # pending terms whenever a rowid is not larger than the last one)
        conn.executemany(_INSERT_DOC, docs)
        conn.executemany(_INSERT_FTS, fts)
        conn.executemany(_INSERT_FILE, files)
        read_n += len(files)
        parsed += len(docs)
        unreadable += gone
        dropped_keys += dropped
    return unreadable, dropped_keys, read_n, parsed
