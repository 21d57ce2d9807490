"""Same files: a teammate's recent session changed files you are changing (issue 18 item 4).

Not store/collisions.py, which finds two logs with one *id*. Here the question is whether
someone else is on the files at hand, so that the two of you talk before you both merge:

- **The files at hand**: what is uncommitted here (staged, unstaged, untracked) plus this
  branch's commits not in ``base_ref`` (``git diff --name-only base...HEAD``; no base: the
  uncommitted ones only), less handoff's own files (logs/changed_files.py: every ``/handoff``
  writes them, so they would make every log collide).
- **The teammates' logs**: on every remote-tracking ref and every local branch but the current
  one (the current branch's logs are this line of work; a local branch other than it can hold a
  teammate's work fetched into it, or another worktree's), a log under other initials than
  ``operator`` whose own day (its id's, never a commit's clock) lies in the last ``days`` days
  (tomorrow allowed: clocks differ, not more), which HEAD does not already hold (the same blob in
  HEAD's ``docs/sessions/``: that session's work is merged here, it is history, not a
  concurrent change), and whose ``changed_files`` (logs/changed_files.py) meet the files at hand.
- **Facts only**: each collision is ``{"operator", "log", "branch", "files"}``: the initials and
  id from the log's file name, the ref, and the overlapping paths, which are the files at hand
  (our own spelling); no other text of the log is returned, so a branch anyone can push cannot
  put words into the next session's context.

Cost, for ``/resume`` and the SessionStart context (~3 s in all): no fetch (the refs are as
fresh as the last pull or ``/handoff``, whose write-session fetches, bounded: store/remote_fetch.py);
refs read from disk (store/id_registry.ref_tips); then a fixed number of git processes whatever
the number of branches and logs: ``status``, ``diff``, one ``cat-file --batch-check`` for the
``docs/sessions`` trees, one ``cat-file --batch`` for those trees, one ``--batch-check`` for the
candidate logs' sizes and one ``--batch`` for their bytes. Each is bounded by `GIT_TIMEOUT_S`;
at most `MAX_REFS` refs and `MAX_LOGS` logs (the newest) are read. A log that is not UTF-8, has
no frontmatter, is garbled YAML, an alias bomb, over `frontmatter.MAX_FILE_BYTES`, or whose
``changed_files`` is not a list of strings is skipped.
"""

from __future__ import annotations

from ..core import isotime
from ..core.errors import one_line
from ..logs import changed_files
from ..logs.log_ids import day_of, parse_log_id
from ..store import gitproc, id_registry, remote_fetch

GIT_TIMEOUT_S = 2.0
MAX_REFS = 200
MAX_LOGS = 5000
MAX_FILES_SHOWN = 10  # per collision in the text lines (the JSON lists them all)
MAX_BRANCH_CHARS = 40


def files_at_hand(project, base_ref: str | None, warnings: list) -> set:
    """Uncommitted paths plus ``base_ref...HEAD``'s, spelled as logs/changed_files.py spells them."""
    root = project.root
    raw = changed_files.parse_status(gitproc.run(root, list(changed_files.STATUS_ARGS), timeout=GIT_TIMEOUT_S,
                                                 check=False).stdout)
    if base_ref:
        diff = gitproc.run(root, ["diff", "--name-only", "-z", "--no-renames", base_ref + "...HEAD", "--"],
                           timeout=GIT_TIMEOUT_S, check=False)
        if diff.returncode == 0:
            raw |= {p for p in diff.stdout.split(b"\0") if p}
        else:  # an unborn HEAD, a shallow clone cut above the merge base, a ref gone
            warnings.append("same files: this branch's commits not compared with %s (%s); uncommitted changes only"
                            % (one_line(base_ref), _last_line(diff.stderr)))
    return changed_files.relevant(raw, project.changelog_relpath())


def _last_line(err: bytes) -> str:
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return one_line(lines[-1][:200]) if lines else "git failed"


def _refs(project, warnings: list) -> list:
    """[(commit, short ref name)]: remote-tracking refs, then local branches other than the
    current one; at most `MAX_REFS`."""
    current = remote_fetch.current_branch(project.git_dir)
    refs = []
    for sha, name in id_registry.ref_tips(project):
        if name.startswith("refs/remotes/"):
            refs.append((0, name[len("refs/remotes/"):], sha))
        elif name != "refs/heads/%s" % current:
            refs.append((1, name[len("refs/heads/"):], sha))
    refs.sort()
    if len(refs) > MAX_REFS:
        warnings.append("same files: only %d of %d branches read" % (MAX_REFS, len(refs)))
    return [(sha, short) for _, short, sha in refs[:MAX_REFS]]


def _order(log_id) -> tuple:
    """Newest first when reversed: the day, then the number (a plain tuple: sorting thousands
    of LogIds by their own comparison costs more than the rest of the check)."""
    return (log_id.day, log_id.seq, log_id.operator)


def _blob_sizes(root: str, blobs: list) -> dict:
    """{blob: size} in one ``cat-file --batch-check`` (a missing object is left out)."""
    if not blobs:
        return {}
    out = gitproc.run(root, ["cat-file", "--batch-check"], input="".join(b + "\n" for b in blobs).encode(),
                      timeout=GIT_TIMEOUT_S).stdout.decode("ascii", "replace")
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob" and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes


def _changed_files(data: bytes):
    """The log's ``changed_files`` as a set, or None when the log cannot be read as one."""
    from ..logs import frontmatter

    try:
        yaml_text, _ = frontmatter.split(data.decode("utf-8"))
        if yaml_text is None:
            return None
        files = frontmatter.read_meta(yaml_text, "log").get("changed_files")
    except (UnicodeDecodeError, frontmatter.FrontmatterError):
        return None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def find(project, base_ref: str | None, operator: str, now: float, days: int = 7,
         warnings: list | None = None, at_hand: set | None = None) -> list:
    """``[{"operator", "log", "branch", "files"}]``, newest log first (see the module docstring).
    ``at_hand``: the files at hand when the caller has them already (`files_at_hand`).
    Problems that cost part of the answer (a git call past its bound, refs or logs over the caps)
    are lines appended to ``warnings``; nothing raises but a HelperError for git missing."""
    warnings = [] if warnings is None else warnings
    if not project.git_common_dir:
        return []
    try:
        if at_hand is None:
            at_hand = files_at_hand(project, base_ref, warnings)
        return _find(project, at_hand, operator, now, days, warnings)
    except gitproc.GitTimeout as exc:
        warnings.append("same files: not checked: %s" % exc)
        return []


def _find(project, at_hand, operator, now, days, warnings) -> list:
    root = project.root
    if not at_hand:
        return []
    refs = _refs(project, warnings)
    if not refs:
        return []
    oldest = day_of(isotime.utc_date(now - days * 86400))
    newest = day_of(isotime.utc_date(now + 86400))
    trees = id_registry.sessions_trees(root, ["HEAD"] + [sha for sha, _ in refs])
    entries = id_registry.tree_entries(root, sorted({t for t in trees.values() if t}))
    in_head = {blob for _, blob in entries.get(trees.get("HEAD"), ())}
    wanted: dict = {}  # file name -> its LogId when it is a teammate's recent log, else None
    found: dict = {}  # blob -> [log id, [refs]]
    for sha, ref in refs:  # a log on several branches is one blob, parsed once
        for name, blob in entries.get(trees.get(sha), ()):
            if blob in found:
                found[blob][1].append(ref)
                continue
            if name not in wanted:
                log_id = parse_log_id(name[:-3]) if name.endswith(".md") else None
                ok = log_id is not None and log_id.operator != operator and oldest <= log_id.day <= newest
                wanted[name] = log_id if ok else None
            if wanted[name] is not None and blob not in in_head:
                found[blob] = [wanted[name], [ref]]
    candidates = sorted(found, key=lambda b: _order(found[b][0]), reverse=True)
    if len(candidates) > MAX_LOGS:
        warnings.append("same files: only the newest %d of %d teammates' recent logs read"
                        % (MAX_LOGS, len(candidates)))
        candidates = candidates[:MAX_LOGS]
    from ..logs import frontmatter

    sizes = _blob_sizes(root, candidates)
    readable = [b for b in candidates if sizes.get(b, frontmatter.MAX_FILE_BYTES + 1) <= frontmatter.MAX_FILE_BYTES]
    contents = gitproc.cat_file_batch(root, readable, b"blob", timeout=GIT_TIMEOUT_S)
    by_log: dict = {}  # log id -> {"operator", "log", "branch", "files"}
    for blob in readable:
        files = _changed_files(contents.get(blob, b""))
        overlap = files & at_hand if files else None
        if not overlap:
            continue
        log_id, where = found[blob]
        hit = by_log.setdefault(str(log_id), {"operator": log_id.operator, "log": str(log_id),
                                              "branch": one_line(where[0]), "files": set(), "_key": log_id})
        hit["files"] |= overlap
    hits = sorted(by_log.values(), key=lambda h: (_order(h["_key"]), h["branch"]), reverse=True)
    return [{"operator": h["operator"], "log": h["log"], "branch": h["branch"], "files": sorted(h["files"])}
            for h in hits]


def line(c: dict) -> str:
    """One line for a person: who, which log, where, which files."""
    files = c["files"][:MAX_FILES_SHOWN]
    more = " (+%d more)" % (len(c["files"]) - len(files)) if len(c["files"]) > len(files) else ""
    return "%s (%s, on %s): %s%s" % (c["operator"], c["log"], shown_branch(c["branch"]), ", ".join(files), more)


def shown_branch(name: str) -> str:
    """A branch name as the text shows it: anyone who can push picks it, and it reaches every
    teammate's context after a plain fetch, so only ``[A-Za-z0-9._/-]`` (others as ``?``) and at
    most `MAX_BRANCH_CHARS` characters: a name, not a sentence."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._/-") else "?" for ch in name)
    return safe if len(safe) <= MAX_BRANCH_CHARS else safe[: MAX_BRANCH_CHARS - 1] + "…"
