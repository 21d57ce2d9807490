"""handoff's commit log: one line per commit, in one canonical order, so that it merges by construction.

Which file that is (``docs/sessions/CHANGELOG.md``, or ``CHANGELOG.md`` where it already is
ours, or the configured path; never a file of the user's) is core/changelog_path.py's rule.

Format (v2)::

    # Changelog

    <!-- handoff changelog v2: ... -->

    - 2026-11-21 09:00 feat: parse dates (`abc123456789`)

Each entry is one self-contained line: the commit's author day and time (UTC), its subject and
its 12-character hash, which is the entry's identity. Entries are sorted by (day, time, hash):
oldest first, so a new entry is usually appended at the end. Why this shape (issue 9):

- the file is merged with git's built-in ``union`` driver (``.gitattributes``), which keeps the
  lines of both sides and never conflicts. A line that carries its own day cannot end up under
  another side's heading (the old format's ``## <day>`` headings could), and a line both sides
  added twice (union keeps both copies when their neighbours differ) is the same key twice;
- `canonical` is a pure function of the set of entries: it drops repeated keys (a keyed line
  with a time wins over one without, then the smallest line) and sorts. Run by the merge driver
  (``scripts/handoff merge-driver``) at merge time and by ``changelog`` at every ``/handoff``,
  so every clone converges on the same bytes.

Old changelogs (v1: ``## YYYY-MM-DD`` headings over ``- <subject> (`<hash>`)``) are read: their
entries take the heading's day and no time, and the first ``changelog`` run rewrites the file in
v2. Lines that are not entries (an intro, notes) are kept, in order, above the entries.

The ``/handoff`` commits themselves (subject ``handoff: ...``) and merges are left out. A commit
whose author time and subject equal a listed entry's under another hash is a rebased or
cherry-picked copy of it and is not listed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.changelog_path import MARKER_PREFIX as _MARKER_PREFIX
from .gitstats import HANDOFF_SUBJECT_PREFIX

HEADER = "# Changelog"
SHORT = 12
MARKER = (
    "<!-- handoff changelog v2: one line per commit (`- <UTC day> <HH:MM> <subject> (`<hash>`)`), oldest first."
    " Merged by git's union driver, put in order by `scripts/handoff changelog`; append-only. -->"
)
_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_HEADING_RE = re.compile(r"^##\s+(%s)\s*$" % _DAY)
_ANY_HEADING_RE = re.compile(r"^#{2,}\s")
_V2_RE = re.compile(r"^- (%s)(?: ([0-9]{2}:[0-9]{2}))? (.*?) \(`([0-9a-f]{7,64})`\)\s*$" % _DAY)
_V2_KEYLESS_RE = re.compile(r"^- (%s) (\S.*?)\s*$" % _DAY)
_V1_RE = re.compile(r"^- (.*?) \(`([0-9a-f]{7,64})`\)\s*$")
_V1_KEYLESS_RE = re.compile(r"^- (\S.*?)\s*$")


@dataclass(frozen=True)
class Entry:
    day: str  # YYYY-MM-DD (UTC)
    time: str  # HH:MM, or "" (an entry read from a v1 file)
    subject: str
    sha: str  # the abbreviated hash; "" for a hand-written line without one

    @property
    def key(self) -> tuple:
        """The entry's identity: its hash; a line without one is its own key."""
        return ("sha", self.sha) if self.sha else ("line", self.render())

    def sort_key(self) -> tuple:
        return (self.day, self.time, self.sha, self.subject)

    def render(self) -> str:
        when = self.day + (" " + self.time if self.time else "")
        return "- %s %s (`%s`)" % (when, self.subject, self.sha) if self.sha else "- %s %s" % (when, self.subject)


@dataclass
class Parsed:
    preamble: list = field(default_factory=list)  # lines above the entries (intro, notes), in order
    entries: list = field(default_factory=list)  # [Entry], as found (duplicates included)


def parse(text: str) -> Parsed:
    """Every entry of a v1, v2 or mixed (a union of both) changelog, and the other lines."""
    out = Parsed()
    heading_day = None  # inside a v1 `## <day>` section
    seen = set()
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith(_MARKER_PREFIX):
            heading_day = None
            continue
        m = _HEADING_RE.match(line)
        if m:
            heading_day = m.group(1)
            continue
        m = _V2_RE.match(line)
        if m and (m.group(2) or heading_day is None):
            out.entries.append(Entry(m.group(1), m.group(2) or "", " ".join(m.group(3).split()), m.group(4)))
            continue
        if heading_day is not None:
            m = _V1_RE.match(line)
            if m:
                out.entries.append(Entry(heading_day, "", " ".join(m.group(1).split()), m.group(2)))
                continue
            m = _V1_KEYLESS_RE.match(line)
            if m:
                out.entries.append(Entry(heading_day, "", " ".join(m.group(1).split()), ""))
                continue
        else:
            m = _V2_KEYLESS_RE.match(line)
            if m:
                out.entries.append(Entry(m.group(1), "", " ".join(m.group(2).split()), ""))
                continue
        if not line.strip():
            continue
        if _ANY_HEADING_RE.match(line):  # a v1 heading that is not a day ("## Unreleased"): kept as a note
            heading_day = None
        if line not in seen:  # union may have kept a note twice
            seen.add(line)
            out.preamble.append(line)
    return out


def _best(a: Entry, b: Entry) -> Entry:
    """The entry kept when one key appears twice: the one with a time, then the smaller line."""
    return min(a, b, key=lambda e: (e.time == "", e.render()))


def unique(entries: list) -> list:
    """``entries`` with each key once, in canonical order."""
    by_key: dict = {}
    for entry in entries:
        have = by_key.get(entry.key)
        by_key[entry.key] = entry if have is None else _best(have, entry)
    return sorted(by_key.values(), key=Entry.sort_key)


def duplicates(entries: list) -> list:
    """Keys found more than once: [(Entry kept, count)]."""
    counts: dict = {}
    for entry in entries:
        counts[entry.key] = counts.get(entry.key, 0) + 1
    kept = {e.key: e for e in unique(entries)}
    return [(kept[k], n) for k, n in counts.items() if n > 1]


def render(preamble: list, entries: list) -> str:
    head = list(preamble) or [HEADER]
    if not head[0].startswith("# "):
        head.insert(0, HEADER)
    lines = []
    for i, line in enumerate(head):  # a blank line after the title and around notes' paragraphs
        if i and (line.startswith("#") or head[i - 1].startswith("#")):
            lines.append("")
        lines.append(line)
    lines += ["", MARKER, ""]
    lines += [e.render() for e in unique(entries)]
    return "\n".join(lines) + "\n"


def canonical(text: str) -> str:
    """The canonical bytes of a changelog (idempotent; a function of its entries and notes)."""
    parsed = parse(text)
    return render(parsed.preamble, parsed.entries)


def entry_for(commit) -> Entry:
    when = getattr(commit, "authored_at", "") or commit.at  # UTC, 2026-11-21T04:27:22Z
    subject = " ".join(commit.subject.split()) or "(no subject)"
    return Entry(when[:10], when[11:16], subject, commit.sha[:SHORT])


def entry(commit) -> str:
    return entry_for(commit).render()


@dataclass
class ChangelogUpdate:
    text: str  # the new file content (canonical)
    added: list = field(default_factory=list)  # [Commit]
    skipped: list = field(default_factory=list)  # [Commit] already present (or a copy of one)
    changed: bool = False  # text differs from the file as it was


def update(existing: str | None, commits: list) -> ChangelogUpdate:
    """The canonical file with ``commits`` (any order) added once each; pure."""
    parsed = parse(existing or "")
    have_sha = {e.sha for e in parsed.entries if e.sha}
    have_copy = {(e.day, e.time, e.subject) for e in parsed.entries if e.time}
    result = ChangelogUpdate(text=existing or "")
    new = []
    for commit in reversed(commits):  # git lists newest first
        if commit.subject.startswith(HANDOFF_SUBJECT_PREFIX):
            continue
        e = entry_for(commit)
        if e.sha in have_sha or (e.day, e.time, e.subject) in have_copy:
            result.skipped.append(commit)
        else:
            result.added.append(commit)
            have_sha.add(e.sha)
            new.append(e)
    if existing is None and not new:
        return result
    result.text = render(parsed.preamble, parsed.entries + new)
    result.changed = result.text != existing
    return result
