"""Whose log is it? The one rule every reader and ``validate`` apply before calling a log someone's.

A log's name (``AT-261206-01.md``) or its ``operator:`` is only a claim: anyone can commit a
file called ``AT-991231-01.md`` (issue 20 item 3). What git records is who *added* it. So:

- **A person's logs** are the logs whose adding commit is authored by that person, plus the
  logs their git history does not hold yet (uncommitted: only the owner of the working tree
  can have put them there).
- **The adding commit** of a log is the newest commit of HEAD's history that added its path
  (``git log --no-renames --diff-filter=A``): a renumbered log's is the renumber commit, a
  cherry-picked or ``git am``-applied one keeps its author. A merge is not an adding commit,
  unless it adds a log neither parent has (``-c``: a log renumbered while a merge was stopped).
  One ``git log`` for the whole directory, cached by HEAD's sha in
  ``<state dir>/log-authors[.<worktree>].txt`` (derived data: anything odd in it and it is
  made again; looked up by ``str.find``, so 10,000 logs cost a reader nothing).
- **A person's email.** For *yourself* (the initials this clone resolves to, `operator.resolve`),
  the email you commit as (``git var GIT_AUTHOR_IDENT``): what you did not commit is not
  yours, whatever its name says, even before you write your first log. For *anyone else*,
  initials belong to the author of their **first claim**: the email that added the oldest
  (first in ``--topo-order``) of the ``<OP>-*`` logs still in the work tree. A later log under
  those initials added by another email is not theirs. Initials nobody has committed a log
  under yet are free: the first committed one claims them. A false claim is undone by
  deleting its log (claims count only logs that are still there).
- **Never the last session**: a log dated after tomorrow (UTC) by its id or its ``ended_at``
  (`dated_after_tomorrow`); readers warn about it.

``validate`` applies the claim rule (the same answer in every clone and in CI): a committed log
must have been added by its initials' first claimant; a staged or uncommitted one is checked
against the author about to commit it. Outside git, or with no commit yet, nothing is known and
every log counts as its operator's. In a shallow clone the logs added before the cut have no
known adding commit and count as their operator's too.

Git's author field is what a commit says, not a signature: this stops a log that claims to be
someone else's from being taken for theirs, not a forged ``--author`` (which history shows).
"""

from __future__ import annotations

import os

from ..core import isotime, statefiles
from ..core.errors import HelperError
from .log_ids import SESSIONS_DIR, is_log_name, parse_log_id

CACHE_NAME = "log-authors.txt"
IDENT_CACHE = "author-email.txt"
CACHE_VERSION = 1
SESSIONS = SESSIONS_DIR


def _git(root: str, *args: str):
    """``git -C root <args>`` (gitstats.git, unchecked), or None when git cannot be started.
    Imported here: /resume's warm path starts no process and loads no subprocess."""
    from .gitstats import git

    try:
        return git(root, *args, check=False)
    except HelperError:  # git is not installed
        return None


def author_email(root: str) -> str | None:
    """The email the next commit here is authored by (lowercased; $GIT_AUTHOR_EMAIL, user.email,
    ...: git's own answer), or None when git has none."""
    out = _git(root, "var", "GIT_AUTHOR_IDENT")
    if out is None or out.returncode != 0:
        return None
    text = out.stdout.decode("utf-8", "replace")
    start, end = text.find("<"), text.rfind(">")
    email = text[start + 1 : end].strip().lower() if 0 <= start < end else ""
    return email or None


_IDENT_ENV = ("GIT_AUTHOR_EMAIL", "EMAIL", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM",
              "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "HOME", "XDG_CONFIG_HOME")


def my_email(root: str, state_dir: str | None, head: str | None) -> str | None:
    """`author_email`, remembered in ``<state dir>/author-email[.<worktree>].txt`` while HEAD, the
    environment git reads it from and the config files that usually hold it (the repository's,
    the worktree's, the global and system ones: their size, mtime and inode) are unchanged: the
    warm ``/resume`` starts no git. A change in a file those include is seen after the next commit."""
    from ..core.project import Project, git_dirs

    git_dir, common_dir = git_dirs(root)
    home = os.environ.get("HOME", "")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = [os.path.join(common_dir or "", "config"), os.path.join(git_dir or "", "config.worktree"),
             os.environ.get("GIT_CONFIG_GLOBAL") or os.path.join(home, ".gitconfig"),
             os.path.join(xdg, "git", "config"), os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"]
    key = [head or ""] + ["%s=%s" % (k, os.environ.get(k)) for k in _IDENT_ENV]
    for path in files:
        try:
            st = os.stat(path)
            key.append("%d:%d:%d" % (st.st_size, st.st_mtime_ns, st.st_ino))
        except OSError:
            key.append("-")
    signature = "\x00".join(key)
    path = None
    if state_dir:
        name = Project(root, git_dir, common_dir, state_dir).per_worktree_name(IDENT_CACHE)
        path = os.path.join(state_dir, name)
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                cached_key, _, email = f.read().partition("\n")
            if cached_key == signature.replace("\n", " "):
                return email.strip() or None
        except OSError:
            pass
    email = author_email(root)
    if path:
        try:
            statefiles.ensure_dir(state_dir)
            statefiles.write_atomic(path, (signature.replace("\n", " ") + "\n" + (email or "")).encode(
                "utf-8", "surrogateescape"))
        except (OSError, UnicodeEncodeError):
            pass
    return email


# ---------------------------------------------------------------------------- the scan


def _shallow_cut(git_dir: str | None) -> set:
    try:
        with open(os.path.join(git_dir or "", "shallow"), encoding="ascii") as f:
            return {line.strip() for line in f if line.strip()}
    except (OSError, UnicodeDecodeError):
        return set()


def _scan(root: str, common_dir: str | None) -> tuple | None:
    """``(emails, lines)``: every log name of HEAD's history with the author of its newest adding
    commit, newest first (``--topo-order``), as ``<name>\t<index in emails>`` lines; None when
    git could not answer."""
    out = _git(root, "-c", "core.quotepath=off", "log", "--topo-order", "--no-renames", "-c",
               "--diff-filter=A", "--name-only", "--format=%x01%H %ae", "HEAD", "--", SESSIONS + "/")
    if out is None or out.returncode != 0:
        return None
    cut = _shallow_cut(common_dir)
    emails: list = []
    index: dict = {}
    lines: list = []
    seen: set = set()
    email = None
    prefix = SESSIONS + "/"
    for line in out.stdout.decode("utf-8", "surrogateescape").split("\n"):
        if line.startswith("\x01"):
            sha, _, author = line[1:].partition(" ")
            # a shallow clone's cut commit "adds" every file it has: its adder is unknown ("")
            email = "" if sha in cut else author.strip().lower()
            continue
        if not line.startswith(prefix) or email is None:
            continue
        name = line[len(prefix) :]
        if "/" in name or name in seen or not is_log_name(name):
            continue
        seen.add(name)
        if email not in index:
            index[email] = len(emails)
            emails.append(email)
        lines.append("%s\t%d" % (name, index[email]))
    return emails, lines


class _Corrupt(Exception):
    pass


def _parse(text: str, head: str) -> tuple:
    """``(emails, body, head)`` of a cache file made for ``head`` (``body``: "\n"-led name lines, looked
    up by `str.find`, not parsed: 10,000 logs must cost /resume nothing); _Corrupt otherwise."""
    first, _, rest = text.partition("\n")
    words = first.split(" ")
    if len(words) != 4 or words[0] != "log-authors" or words[1] != str(CACHE_VERSION) or words[2] != head:
        raise _Corrupt()
    try:
        n = int(words[3])
    except ValueError:
        raise _Corrupt() from None
    parts = rest.split("\n", n)
    if n < 0 or len(parts) != n + 1:
        raise _Corrupt()
    return parts[:n], "\n" + parts[n], head


def history(root: str, state_dir: str | None, refresh: bool = False) -> tuple | None:
    """``(emails, body, head)`` of the scan (`_scan`) for HEAD, from ``<state dir>/log-authors.txt``
    when it was made for this HEAD (no process), else from git (and stored). None outside git,
    before the first commit, or when git failed: then nothing is known about who added what."""
    from ..core.discovery import head_commit_sha
    from ..core.project import Project, git_dirs

    git_dir, common_dir = git_dirs(root)
    head = head_commit_sha(git_dir, common_dir)
    if not head:
        return None
    # per worktree: the state dir is shared, and two worktrees at two HEADs must not take turns
    name = Project(root, git_dir, common_dir, state_dir).per_worktree_name(CACHE_NAME)
    path = os.path.join(state_dir, name) if state_dir else None
    if path and not refresh:
        try:
            with open(path, encoding="utf-8") as f:
                return _parse(f.read(), head)
        except (OSError, UnicodeDecodeError, _Corrupt):
            pass
    found = _scan(root, common_dir)
    if found is None:
        return None
    emails, lines = found
    text = "log-authors %d %s %d\n%s" % (CACHE_VERSION, head, len(emails), "".join(e + "\n" for e in emails))
    text += "\n".join(lines) + "\n"
    if path:
        try:
            statefiles.ensure_dir(state_dir)
            statefiles.write_atomic(path, text.encode("utf-8", "surrogateescape"))
        except (OSError, UnicodeEncodeError):
            pass  # a cache we cannot write is asked again next time
    return _parse(text, head)


# ---------------------------------------------------------------------------- the rule


def _listing(root: str) -> set:
    try:
        return set(os.listdir(os.path.join(root, SESSIONS)))
    except OSError:
        return set()


class Authors:
    """Who added each log of one work tree (one `history`, one listing), and the claims."""

    def __init__(self, root: str, state_dir: str | None):
        self.root, self.state_dir = root, state_dir
        found = history(root, state_dir)
        self.known = found is not None
        self.head = found[2] if found else None
        self.emails, self.body = found[:2] if found else ([], "\n")
        self._present = None
        self._claims: dict = {}

    def added_by(self, name: str) -> str | None:
        """The author email of log ``name``'s adding commit; "" when it is before a shallow
        clone's cut (unknown); None when HEAD's history does not hold it (uncommitted)."""
        key = "\n" + name + "\t"
        at = self.body.find(key)
        if at < 0:
            return None
        end = self.body.find("\n", at + 1)
        try:
            return self.emails[int(self.body[at + len(key) : end if end >= 0 else None])]
        except (ValueError, IndexError):  # a damaged cache: ask git again, once
            found = history(self.root, self.state_dir, refresh=True)
            self.emails, self.body = found[:2] if found else ([], "\n")
            self.state_dir = None
            return self.added_by(name)

    def names_newest_first(self, prefix: str) -> list:
        """Names of HEAD's history starting with ``prefix``, newest adding commit first."""
        found, key, body = [], "\n" + prefix, self.body
        at = body.find(key)
        while at >= 0:
            end = body.find("\t", at)
            found.append(body[at + 1 : end])
            at = body.find(key, at + 1)
        return found

    def claim(self, operator: str):
        """``(email, log name)`` of the first claim on ``operator``'s initials: the oldest
        adding commit of their logs still in the work tree; None when there is none."""
        if operator not in self._claims:
            if self._present is None:
                self._present = _listing(self.root)
            found = None
            for name in reversed(self.names_newest_first(operator + "-")):  # the oldest first
                if name in self._present and parse_log_id(name[:-3]) is not None and self.added_by(name):
                    found = name
                    break
            self._claims[operator] = (self.added_by(found), found) if found else None
        return self._claims[operator]

    def may_add(self, name: str, operator: str, adder: str | None):
        """None when ``adder`` may add log ``name`` under ``operator``'s initials (the claim rule,
        for `validate`); else the claim ``(email, first log name)`` it goes against."""
        claim = self.claim(operator)
        if adder is None or claim is None or claim[0] == adder or claim[1] == name:
            return None
        return claim


def dated_after_tomorrow(value, now: float) -> str | None:
    """The day (``YYYY-MM-DD``) of ``value`` (an ISO date or timestamp) when it is after tomorrow
    in UTC (a log from the future: a clock or a hand gone wrong, or a log planted to be "the
    latest"), else None. Tomorrow is allowed: a log's day is its writer's UTC day."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    day = value[:10]
    return day if day > isotime.utc_date(now + 86400) and day[:4].isdigit() else None


def _id_day(name: str) -> str | None:
    log_id = parse_log_id(name[:-3]) if name.endswith(".md") else None
    return log_id.iso_date if log_id is not None else None


class Trust:
    """Which logs a reader may show as ``operator``'s own (the module's rule), for one run.

    ``is_me``: whether ``operator`` is this clone's operator; None: ask `operator.resolve` (no
    git process when the initials come from $HANDOFF_OPERATOR or ``whoami --set``)."""

    def __init__(self, root: str, state_dir: str | None, operator: str, now: float | None = None, is_me=None):
        self.root, self.state_dir, self.operator = root, state_dir, operator
        self.now = isotime.now() if now is None else now
        self._is_me = is_me
        self._authors = None
        self._owners = None

    @property
    def authors(self) -> Authors:
        if self._authors is None:
            self._authors = Authors(self.root, self.state_dir)
        return self._authors

    def owner_emails(self) -> set:
        """The emails whose logs are ``operator``'s: yours, or their first claim's; empty when
        nothing is known (then every log counts)."""
        if self._owners is None:
            me = self._is_me
            if me is None:
                from ..core.errors import HelperError
                from .operator import resolve

                try:
                    me = resolve(self.root, self.state_dir).initials == self.operator
                except HelperError:
                    me = False
            email = my_email(self.root, self.state_dir, self.authors.head) if me else None
            claim = None if email else self.authors.claim(self.operator)
            self._owners = {email} if email else ({claim[0]} if claim else set())
        return self._owners

    def owns(self, name: str) -> bool:
        """Whether log ``name`` counts as ``operator``'s by who added it."""
        adder = self.authors.added_by(name)
        if not adder:
            return True  # not in HEAD's history (written in this working tree), or before a shallow cut
        owners = self.owner_emails()
        return not owners or adder in owners

    def problem(self, name: str, ended_at=None) -> str | None:
        """None when log ``name`` (of ``docs/sessions``, said to be ``operator``'s) may be shown
        as their last session; else why not, one phrase for a warning."""
        for value in (_id_day(name), ended_at):
            day = dated_after_tomorrow(value, self.now)
            if day:
                return "dated %s, in the future: never taken as %s's last session" % (day, self.operator)
        if not self.owns(name):
            return "says %s but was added by %s, not by %s (%s): not %s's" % (
                self.operator, self.authors.added_by(name), self.operator,
                ", ".join(sorted(self.owner_emails())), self.operator)
        return None


# ---------------------------------------------------------------------------- validate


def authorship_problems(root: str, state_dir: str | None, names, only_new: bool = False) -> list:
    """[(name, field, message)] for the logs ``names`` of ``docs/sessions``: an ``operator`` its
    adder may not use (`Authors.may_add`). A committed log is judged by its adding commit's
    author, one HEAD's history does not hold yet by the author about to commit it (``git var
    GIT_AUTHOR_IDENT``: inside the pre-commit hook, the commit's own author). ``only_new``: skip
    the committed ones (the pre-commit hook judges the commit being made, not older ones)."""
    authors = Authors(root, state_dir)
    if not authors.known:
        return []
    found = []
    adder_of_new = None
    for name in sorted(names):
        log_id = parse_log_id(name[:-3]) if name.endswith(".md") else None
        if log_id is None:
            continue
        adder = authors.added_by(name)
        committed = adder is not None
        if adder == "" or (committed and only_new):
            continue  # before a shallow clone's cut nothing is known; the hook judges new logs only
        if not committed:
            if adder_of_new is None:
                adder_of_new = author_email(root) or ""
            adder = adder_of_new or None
        claim = authors.may_add(name, log_id.operator, adder)
        if claim is None:
            continue
        head = "%s's logs are added by %s (the first: %s), " % (log_id.operator, claim[0], claim[1][:-3])
        if committed:
            tail = "this one was added by %s" % adder
        else:
            tail = "you commit as %s: use your own initials (scripts/handoff whoami --set XX)" % adder
        found.append((name, "operator", head + tail))
    return found
