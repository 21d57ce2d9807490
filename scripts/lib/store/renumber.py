"""``renumber <path>``: give a local, unpushed session log the next free id, in one step.

What moves, for log ``OLD`` -> ``NEW`` (same operator and day, the next number free in every
worktree, branch and fetched remote ref: store/id_registry.py, under the same lock as
``write-session``): the file name, the ``id:`` line of its frontmatter (nothing else in the file
changes), ``docs/sessions/INDEX.md`` (regenerated), the references to ``OLD`` in the commit
log's lines (core/changelog_path.py; never a changelog of the user's) that the remote's
changelog does not have (the remote's lines are about the remote's log), the session -> log map
in the state dir, and the archived transcript ``OLD.jsonl`` when it is this session's.

Refused in one line, with nothing changed: a path that is not a session log; a target that
exists (in the work tree or on any ref); a log already pushed (the same session's log is at
that path on a remote-tracking ref: renumbering it would fork a published id); a log that is a
symbolic link, a FIFO, a device or not UTF-8 text (core/repofiles.py). A step that fails once
things changed (git refusing the commit, e.g. the user's pre-commit hook) is undone: the files
and the index are put back as they were (`_Undo`), and the one line says so.

During a merge/rebase/cherry-pick stopped on an add/add conflict of the log, the side that is
on a remote-tracking ref keeps the path; the other side is the local log and gets ``NEW``; both
are staged, and the user concludes the merge. Otherwise, when the log was committed, the
rename is committed alone (``git commit --only``), so the next ``git pull`` (merge) is clean.
A ``pull --rebase`` after that would replay the commit that added the old id first and stop on
an add/add conflict: there, run ``renumber`` in the stopped rebase (the case above) and continue
(tests/store/test_ids_team_rounds.py does both).
"""

from __future__ import annotations

import json
import os
import re
import stat

from ..core import changelog_path, repofiles, statefiles
from ..core.errors import HelperError
from ..logs import frontmatter, log_alloc, log_ids
from ..logs.log_ids import LogId, parse_log_id
from ..state.locking import session_lock
from . import collisions, gitproc
from .id_registry import RepoIds

COMMIT_PREFIX = "handoff: renumber"


class Plan:
    __slots__ = ("rel", "old", "local", "remote_blob", "conflict", "tracked", "in_head", "ref")

    def __init__(self, rel, old, local, remote_blob=None, conflict=False, tracked=False, in_head=False, ref=None):
        self.rel, self.old, self.local, self.remote_blob = rel, old, local, remote_blob
        self.conflict, self.tracked, self.in_head, self.ref = conflict, tracked, in_head, ref


def relative_log_path(project, given: str) -> tuple:
    """``(path relative to the root, LogId)`` of a log in docs/sessions/: its name is its id, or
    (a copy kept under another name when a collision was resolved by hand) its ``id:`` is."""
    path = os.path.abspath(given if os.path.isabs(given) or os.path.exists(given) else project.path(given))
    rel = os.path.relpath(path, project.root).replace(os.sep, "/")
    name = os.path.basename(rel)
    log_id = parse_log_id(name[:-3]) if name.endswith(".md") else None
    if log_id is None and os.path.dirname(rel) == collisions.SESSIONS and os.path.isfile(path):
        try:
            meta_id = frontmatter.load(path).meta.get("id")
        except frontmatter.FrontmatterError:
            meta_id = None
        log_id = parse_log_id(meta_id) if isinstance(meta_id, str) else None
    if os.path.dirname(rel) != collisions.SESSIONS or log_id is None:
        raise HelperError("%s: not a session log (expected docs/sessions/<OP>-<YYMMDD>-<NN>.md); nothing changed"
                          % given)
    return rel, log_id


def plan(project, rel: str, old) -> Plan:
    root = project.root
    remote = collisions.remote_logs(project)
    name = os.path.basename(rel)
    names = (name, "%s.md" % old)  # a renamed copy is checked against its id's path too
    on_remote = {ref: files[n] for ref, files in remote.items() for n in names if n in files}
    stages = collisions.unmerged_logs(root).get(rel)
    if stages:
        if 2 not in stages or 3 not in stages:
            raise HelperError("%s: unmerged, but not added on both sides; resolve it with git; nothing changed" % rel)
        pushed = [s for s in (2, 3) if stages[s] in on_remote.values()]
        if len(pushed) != 1:
            raise HelperError("%s: cannot tell which side of the conflict is pushed (fetch first?); nothing changed"
                              % rel)
        local_stage = 5 - pushed[0]
        content = collisions.blobs(root, [stages[local_stage]]).get(stages[local_stage])
        ref = next(r for r, b in on_remote.items() if b == stages[pushed[0]])
        return Plan(rel, old, content, stages[pushed[0]], conflict=True, ref=ref)
    try:
        local = repofiles.read_repo_file(project.path(rel), root=root, shown=rel)
        repofiles.decode(local, rel)
    except repofiles.Unreadable as exc:
        raise HelperError("%s; nothing changed" % exc) from None
    mine = collisions.identity(local)
    blobs = collisions.blobs(root, sorted(set(on_remote.values())))
    for ref, blob in sorted(on_remote.items()):
        if blob in blobs and collisions.identity(blobs[blob]) == mine:
            raise HelperError("%s: already pushed (on %s); renumber the other, unpushed log instead; nothing changed"
                              % (rel, ref[len("refs/remotes/"):]))
    tracked = bool(gitproc.text(root, ["ls-files", "--", rel]).strip())
    in_head = gitproc.run(root, ["cat-file", "-e", "HEAD:" + rel], check=False).returncode == 0
    return Plan(rel, old, local, tracked=tracked, in_head=in_head)


_ID_LINE = re.compile(r"^id:[ \t]*['\"]?(?P<id>%s)['\"]?[ \t]*$" % log_ids.ID_PATTERN, re.MULTILINE)


def with_new_id(data: bytes, old: str, new: str) -> bytes:
    """The log's bytes with its frontmatter's ``id:`` line (only) changed; HelperError when the
    result would not read back with ``id: NEW``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HelperError("%s: not UTF-8 text; nothing changed" % old) from None
    yaml_text, _ = frontmatter.split(text)
    head = text[: text.find("\n") + 1 + len(yaml_text)] if yaml_text is not None else ""  # "---" and the frontmatter
    m = _ID_LINE.search(head)
    if not m or m.group("id") != old:
        raise HelperError("%s: no 'id: %s' line in its frontmatter; nothing changed" % (old, old))
    # Written as write-session writes it (a JSON string, frontmatter.encode): the catalog then
    # still reads the renumbered log by the codec, not by YAML.
    out = text[: m.start()] + "id: " + json.dumps(new) + text[m.end():]
    try:
        if frontmatter.parse(out, new).meta.get("id") != new:
            raise frontmatter.FrontmatterError("id does not read back")
    except frontmatter.FrontmatterError as exc:
        raise HelperError("%s: renumbered log would not read back (%s); nothing changed" % (old, exc)) from None
    return out.encode("utf-8")


def _changelog_refs(project, p: Plan, new: str, rel: str) -> bool:
    path = project.path(rel)
    text = repofiles.read_repo_text(path, root=project.root, missing_ok=True, shown=rel)
    if text is None:
        return False
    if not changelog_path.is_ours(text):
        return False
    old = str(p.old)
    pattern = re.compile(re.escape(old) + r"(?![0-9])")
    if not pattern.search(text):
        return False
    theirs = set()
    if p.ref:
        out = gitproc.run(project.root, ["show", "%s:%s" % (p.ref[len("refs/"):], rel)], check=False)
        theirs = set(out.stdout.decode("utf-8", "replace").splitlines()) if out.returncode == 0 else set()
    else:
        for _, ref in collisions.remote_tips(project):
            out = gitproc.run(project.root, ["show", "%s:%s" % (ref, rel)], check=False)
            if out.returncode == 0:
                theirs |= set(out.stdout.decode("utf-8", "replace").splitlines())
    lines = text.split("\n")
    changed = [pattern.sub(new, line) if line not in theirs else line for line in lines]
    if changed == lines:
        return False
    statefiles.write_atomic(path, "\n".join(changed).encode("utf-8"), mode=0o644)
    return True


def _move_transcript(local: bytes, old: str, new: str) -> bool:
    from ..logs.transcripts import transcripts_dir

    directory = transcripts_dir()
    src, dst = os.path.join(directory, old + ".jsonl"), os.path.join(directory, new + ".jsonl")
    kind, sid = collisions.identity(local)
    try:
        regular = stat.S_ISREG(os.lstat(src).st_mode)  # never a link, a FIFO or a device
    except OSError:
        regular = False
    if kind != "session" or not regular or os.path.lexists(dst):
        return False
    with open(src, "rb") as f:
        head = f.read(256 * 1024)
    if ('"sessionId":"%s"' % sid).encode() not in head.replace(b": ", b":"):
        return False  # the other clone's transcript: leave it
    os.rename(src, dst)
    return True


def _remap_session(project, local: bytes, new: str) -> None:
    kind, sid = collisions.identity(local)
    if kind == "session":
        map_path = log_alloc._map_path(project.state_dir, sid)
        if os.path.exists(map_path):
            log_alloc.remember_session_log(project.state_dir, sid, new)


def renumber(project, given: str, to: str | None = None, fetcher=None, commit: bool = True) -> dict:
    if not project.git_common_dir:
        raise HelperError("%s: not a git repository; renumber needs git; nothing changed" % project.root)
    rel, old = relative_log_path(project, given)
    ids = RepoIds(project, fetcher)
    ids.prepare()
    lock = ids.lock_path(old.operator)
    os.makedirs(os.path.dirname(lock), mode=0o700, exist_ok=True)
    with session_lock(lock):
        p = plan(project, rel, old)
        taken = max(log_alloc.seq_after(log_alloc.day_logs(project.root, old.operator, old.day)) - 1,
                    ids.highest_seq(old.operator, old.day))
        if to:
            new = parse_log_id(to)
            if new is None or (new.operator, new.day) != (old.operator, old.day):
                raise HelperError("--to %s: expected %s-%s-NN (same operator and day); nothing changed"
                                  % (to, old.operator, old.day))
            if new.seq <= taken and _taken(project, str(new)):
                raise HelperError("%s: target %s already exists; nothing changed" % (rel, to))
        else:
            new = LogId(day=old.day, seq=taken + 1, operator=old.operator)
        new_rel = "%s/%s.md" % (collisions.SESSIONS, new)
        if os.path.lexists(project.path(new_rel)):
            raise HelperError("%s: target %s already exists; nothing changed" % (rel, new_rel))
        data = with_new_id(p.local, str(old), str(new))
        return _apply(project, p, str(new), new_rel, data, commit) | {"warnings": ids.warnings}


def _taken(project, log_id: str) -> bool:
    name = log_id + ".md"
    if os.path.lexists(project.path(collisions.SESSIONS, name)):
        return True
    return any(name in files for files in collisions.remote_logs(project).values())


class _Undo:
    """The work-tree files renumber may change and git's index, as they were before, put back
    when a step fails (a pre-commit hook refusing the commit, git failing, a file we cannot
    write): a failed renumber leaves the files, the index and ``git status`` as they were.

    Taken before anything changes, so a file we could not put back (a FIFO where an index
    should be) is refused with nothing changed. The index is restored as bytes, through
    git's own ``index.lock`` protocol: exact, whatever was staged (unmerged stages too)."""

    def __init__(self, project, rels: list):
        self.index = os.path.join(project.git_dir, "index")
        self.index_bytes = self._read(self.index, "index", project.git_dir)
        self.files = {}
        for rel in rels:
            path = project.path(rel)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                self.files[path] = None
                continue
            if stat.S_ISLNK(st.st_mode):
                self.files[path] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                self.files[path] = ("file", self._read(path, rel, project.root), st.st_mode & 0o7777)
            else:
                raise HelperError("%s: not a regular file; nothing changed" % rel)

    @staticmethod
    def _read(path: str, shown: str, root: str):
        try:
            return repofiles.read_repo_file(path, root=root, missing_ok=True, max_bytes=1 << 30, shown=shown)
        except repofiles.Unreadable as exc:
            raise HelperError("%s; nothing changed" % exc) from None

    def restore(self) -> None:
        for path, saved in self.files.items():
            if saved is not None and saved[0] == "file":
                statefiles.write_atomic(path, saved[1], mode=saved[2])
                continue
            if os.path.lexists(path):
                os.unlink(path)
            if saved is not None:
                os.symlink(saved[1], path)
        if self.index_bytes is None:
            if os.path.lexists(self.index):
                os.unlink(self.index)
            return
        lock = self.index + ".lock"
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            os.write(fd, self.index_bytes)  # a regular file: one write takes it all
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(lock, self.index)


def _referencing_logs(project, p: Plan, new: str) -> dict:
    """{rel: new bytes} of the local, unpushed logs whose ``supersedes`` / ``resolves`` name an
    item of ``OLD`` (issue 18): written in this clone, they meant this log, which becomes ``NEW``.
    A log also on a remote-tracking ref (the same bytes) is left alone: its ``OLD`` is the pushed one."""
    old = str(p.old)
    directory = project.path(collisions.SESSIONS)
    found = {}
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
        rel = "%s/%s" % (collisions.SESSIONS, name)
        if rel == p.rel or not log_ids.is_log_name(name):
            continue
        try:
            data = repofiles.read_repo_file(project.path(rel), root=project.root, shown=rel)
        except repofiles.Unreadable:
            continue
        if (old + "#").encode() not in data:
            continue
        changed = _with_refs_renamed(data, old, new)
        if changed is not None:
            found[rel] = (name, data, changed)
    if found:
        remote = collisions.remote_logs(project)
        shas = {sha for files in remote.values() for n, sha in files.items() if any(n == f[0] for f in found.values())}
        pushed = set(collisions.blobs(project.root, sorted(shas)).values())
        found = {rel: f for rel, f in found.items() if f[1] not in pushed}
    return {rel: f[2] for rel, f in found.items()}


_LIFECYCLE_LINE = re.compile(r"^(?P<key>supersedes|resolves):[^\n]*$", re.MULTILINE)


def _with_refs_renamed(data: bytes, old: str, new: str) -> bytes | None:
    """The log's bytes with ``OLD#`` -> ``NEW#`` in its ``supersedes`` / ``resolves`` lines, written
    as write-session writes them; None when there is nothing to change or it would not read back."""
    try:
        text = data.decode("utf-8")
        yaml_text, _ = frontmatter.split(text)
        if yaml_text is None:
            return None
        meta = frontmatter.parse(text).meta
    except (UnicodeDecodeError, frontmatter.FrontmatterError):
        return None
    head_end = text.find("\n") + 1 + len(yaml_text)

    def renamed(m):
        refs = meta.get(m.group("key"))
        if not isinstance(refs, list):
            return m.group(0)
        out = [new + r[len(old):] if isinstance(r, str) and r.startswith(old + "#") else r for r in refs]
        return "%s: %s" % (m.group("key"), json.dumps(out)) if out != refs else m.group(0)

    head = _LIFECYCLE_LINE.sub(renamed, text[:head_end])
    if head == text[:head_end]:
        return None
    out = head + text[head_end:]
    try:
        frontmatter.parse(out)
    except frontmatter.FrontmatterError:
        return None
    return out.encode("utf-8")


def _apply(project, p: Plan, new: str, new_rel: str, data: bytes, commit: bool) -> dict:
    index_rels = [collisions.SESSIONS + "/INDEX.md", "workstreams/INDEX.md"]
    refs = _referencing_logs(project, p, new)
    undo = _Undo(project, [new_rel, p.rel, *index_rels, project.changelog_relpath(), *refs])
    try:
        result = _change(project, p, new, new_rel, data, commit, refs)
    except BaseException as exc:
        try:
            undo.restore()
        except OSError as undo_exc:
            raise HelperError("%s: renumbering to %s failed (%s) and could not be undone (%s); check git status"
                              % (p.rel, new, exc, undo_exc)) from None
        if isinstance(exc, (HelperError, OSError)):
            raise HelperError("%s: renumbering to %s failed (%s); undone, nothing changed"
                              % (p.rel, new, exc)) from None
        raise
    # State outside the work tree, once the rename is in: the session -> log map, the transcript.
    _remap_session(project, p.local, new)
    if _move_transcript(p.local, str(p.old), new):
        result["changed"].append("transcript")
    return result


def _change(project, p: Plan, new: str, new_rel: str, data: bytes, commit: bool, refs: dict) -> dict:
    """The work tree, the index and (``commit``) the commit; `_apply` undoes a failure."""
    root = project.root
    old = str(p.old)
    log_alloc.write_log_atomic(project.path(new_rel), data)
    staged = [new_rel]
    if p.conflict:  # the pushed side keeps the path
        remote = collisions.blobs(root, [p.remote_blob])[p.remote_blob]
        statefiles.write_atomic(project.path(p.rel), remote, mode=0o644)
        gitproc.run(root, ["add", "--", new_rel, p.rel])
        staged.append(p.rel)
    else:
        os.unlink(project.path(p.rel))
        if p.tracked:
            gitproc.run(root, ["rm", "-q", "--cached", "--", p.rel])
            gitproc.run(root, ["add", "--", new_rel])
            staged.append(p.rel)
    touched = ["file", "id"]
    index_rel = collisions.SESSIONS + "/INDEX.md"
    if os.path.exists(project.path(index_rel)):
        from ..resume import indexes

        indexes.regenerate(project)
        touched.append("index")
        if p.tracked or p.conflict:
            gitproc.run(root, ["add", "--", index_rel])
            staged.append(index_rel)
    changelog_rel = project.changelog_relpath()  # never a changelog of the user's
    if _changelog_refs(project, p, new, changelog_rel):
        touched.append("changelog")
        if p.tracked or p.conflict:
            gitproc.run(root, ["add", "--", changelog_rel])
            staged.append(changelog_rel)
    for rel, changed in refs.items():  # supersedes / resolves naming OLD's items follow it
        statefiles.write_atomic(project.path(rel), changed, mode=0o644)
        if gitproc.text(root, ["ls-files", "--", rel]).strip():
            gitproc.run(root, ["add", "--", rel])
            staged.append(rel)
    if refs:
        touched.append("references")
    committed = False
    if commit and p.in_head and not p.conflict:
        message = "%s %s -> %s (the id is taken by another log)" % (COMMIT_PREFIX, old, new)
        gitproc.run(root, ["commit", "-q", "-m", message, "--", *staged])
        committed = True
    return {"from": p.rel, "to": new_rel, "id": new, "changed": touched, "committed": committed,
            "conflict": p.conflict}
