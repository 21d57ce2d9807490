"""lib/recall/plainlog.py: a log in write-session's shape parsed without ``re``, exactly as
documents.py's general path parses it, wherever it answers at all."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from lib.logs import frontmatter, session_log
from lib.recall import documents, plainlog
from logtree import HELPERS

# Pieces of markdown around every rule of the split: headings flush left and indented by one to
# four spaces, a third "#", fences of both characters and several lengths (closing or not, with
# text after the marker), CR, tabs, the empty-section marker, non-ASCII text.
ATOMS = ["\n", "\n", "\n", " ", "  ", "   ", "    ", "#", "##", "###", "## Summary", "## Decisions Made",
         "## Learnings ##", "##Resume", "## Key Decisions:", "```", "````", "```text", "~~~", "~~~~", "``",
         "~~", "`", "~", "\r", "\t", "x", "word", "# Title", "_None._", "\u00e9", "python", "##\t"]


def _random_text(rng: random.Random, atoms: int = 30) -> str:
    return "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, atoms)))


def test_split_parts_is_the_pattern_split() -> None:
    rng = random.Random(5)
    for _ in range(40_000):
        text = "\n" + _random_text(rng)
        assert plainlog.split_parts(text) == documents._LINE_SPLIT_RE.split(text), repr(text)


@pytest.mark.parametrize("body", [
    "# T\n\n## Summary\n\nS.\n\n## Decisions Made\n\n```\n## Learnings (in a fence)\n```\n\n## Learnings\n\n- L\n",
    "# T\n\n## Summary\n\n~~~~\n~~~\n## not a heading\n~~~~~\n\n## Learnings\n\n- L\n",
    "# T\n\n   ## Summary\n\nindented three\n\n    ## Learnings\n\nindented four: text\n",
    "# T\n\n## Summary\n\n```text\n## Resume\n``` not closing\n```\n## Resume\n\nR\n",
    "# T\r\n\r\n## Summary\r\n\r\nCRLF\r\n",
    "no heading at all\n### three\n",
    "",
])
def test_split_lines_is_split_body(body: str) -> None:
    assert plainlog.split_lines(body) == documents.split_body(body)


def test_split_lines_is_split_body_on_random_bodies() -> None:
    rng = random.Random(6)
    for _ in range(20_000):
        body = _random_text(rng, 40)
        assert plainlog.split_lines(body) == documents.split_body(body), repr(body)


def _written(rng: random.Random, n: int) -> bytes:
    """A log as write-session writes it (every section, the Resume Prompt fenced), with random
    text in its sections and workstreams that are, or are not, plain slugs."""
    sections = {name: _random_text(rng, 12) for name in session_log.BODY_SECTIONS if rng.random() < 0.7}
    request = session_log.WriteRequest(
        title=rng.choice(["Lock the index", "Ünïcode title", "## odd", "x"]), summary=_random_text(rng, 8) or "S.",
        resume_prompt=_random_text(rng, 8) or "Go on.", confidence="H", sections=sections,
    )
    pool = ["recall", "b-2"] if rng.random() < 0.6 else ["recall", "yes", "12", "Not-A-Slug", "x y", "-lead"]
    workstreams = rng.sample(pool, rng.randint(0, 2))
    meta = {"id": "RT-261121-%02d" % n, "operator": "RT", "title": request.title, "workstreams": workstreams,
            "summary": "From the frontmatter."}
    return frontmatter.dumps(meta, session_log.render_body(request)).encode("utf-8")


MUTATIONS = [
    lambda d, r: d.replace(b"\n", b"\r\n", 1),  # a CR in the frontmatter's first line
    lambda d, r: d.replace(b"## Learnings", b"## Learnings\x00"),  # a control byte
    lambda d, r: d.replace(b"## Summary", b"## Summary \xff"),  # not UTF-8
    lambda d, r: d.replace(b"\n---\n", b"\n--- \n", 1),  # the frontmatter never closed
    lambda d, r: d.replace(b"# ", b"", 1),  # no title line
    lambda d, r: d.replace(b"workstreams:", b"workstreams:  # note", 1),
    lambda d, r: b"---\n" + b"k: " + b"x" * (70 * 1024) + b"\n" + d[4:],  # frontmatter over the limit
    lambda d, r: d[: r.randint(0, len(d))],  # cut anywhere
]


def test_fields_equal_the_general_path_wherever_they_answer() -> None:
    rng = random.Random(7)
    answered = 0
    for n in range(3_000):
        data = _written(rng, n % 90 + 10)
        if rng.random() < 0.5:
            data = rng.choice(MUTATIONS)(data, rng)
        name = "RT-261121-%02d.md" % (n % 90 + 10) if rng.random() < 0.8 else rng.choice(["CONV-legacy.md", "notes.md"])
        rel = "docs/sessions/" + name
        plain = plainlog.fields(rel, name, data)
        general = documents.general_fields(rel, name, data, False)
        if plain is not None:
            answered += 1
            assert plain == general, data
        assert documents.log_fields(rel, name, data, False) == general, data  # its own shortcut too
    assert answered > 600  # most unmutated named logs are in the shape: the equality was tested


def test_a_written_log_is_in_the_shape() -> None:
    """What write-session writes takes the shortcut (the first search after a /handoff log
    imports no re), Resume Prompt fence and all."""
    request = session_log.WriteRequest(title="Lock the index", summary="Chose flock.", resume_prompt="Run it",
                                       confidence="H", sections={"Learnings": "- busy_timeout matters"})
    data = frontmatter.dumps({"id": "RT-261121-01", "operator": "RT", "title": request.title,
                              "workstreams": ["recall"]}, session_log.render_body(request)).encode("utf-8")
    got = plainlog.fields("docs/sessions/RT-261121-01.md", "RT-261121-01.md", data)
    assert got is not None and got[9] is None
    assert got[6] == ["recall"] and got[8]["learnings"] == "- busy_timeout matters"
    assert "Run it" in got[8]["resume"]


@pytest.mark.parametrize("fm", [
    'title: "x\nworkstreams:\n- fake\n"\nworkstreams:\n- real\n',  # the key twice, once inside a string
    "workstreams:\n- a\n  b\n",  # a continuation line: one item "a b"
    "workstreams:\n- a\n - b\n",  # "a - b"
    "workstreams:\n- yes\n- ok\n",  # YAML reads True (not a workstream)
    "workstreams:\n- 12\n- ok\n",  # ... and 12
    "workstreams:\n- 0x1f\n- 0b101\n- 2026-11-30\n",  # ... and 31, 5 and a date
    "workstreams:\n\n- b-2\n",  # a blank line inside the list
    "workstreams:\n# note\n- a\n",  # a comment inside it
    "workstreams:\n- a\n\n- b\n",  # ... and after its first item
    '"workstreams": [a]\n',  # the key quoted
    "'workstreams':\n- a\n",
    "workstreams : [a]\n",  # a space before the colon
    "? workstreams\n: [a]\n",  # a complex key
    '"work\\x73treams": [a]\n',  # spelled with an escape
    "workstreams: []\n- a\n",  # not YAML at all: must not be answered
    "summary: reworked the workstreams list\nworkstreams:\n- a\n",  # the word in running text
    "workstreams: []\n",
    "workstreams:\n- a\n- a\n- b-2\n",
    "title: t\nworkstreams:\n- a\nconfidence: H\n",
    "!!str workstreams: [z]\n", "! workstreams:\n- z\n", "&w workstreams:\n- z\n",  # a tag or an anchor
    "title: T\u2028workstreams: [z]\n", "title: T\x85workstreams: [z]\n", "title: T\rworkstreams: [z]\n",
    "\ufeffworkstreams:\n- a\n",  # a byte-order mark
    "workstreams:\n- a\ntitle: t\n&x workstreams: [z]\n",  # the key again, the last one wins
    "workstreams:\n- a\ntitle: t\n\"work\\x73treams\": [z]\n",  # ... spelled with an escape
    "workstreams:\n- a\ntitle: t\u2028workstreams : [z]\n",
    "? |-\n  workstreams\n: [z]\n",  # a block scalar as an explicit key
])
def test_quick_workstreams_of_hand_written_frontmatter_agree_with_yaml(fm: str) -> None:
    """Frontmatter our dumper would not write (edited by hand): the quick answer is the YAML one,
    or None (then the YAML is parsed, and reports it if it is not YAML)."""
    assert plainlog.quick_workstreams(fm) in (None, _yaml_workstreams(fm))


def _yaml_workstreams(fm: str):
    try:
        return plainlog.norm_workstreams(frontmatter.parse_yaml(fm).get("workstreams"))
    except frontmatter.FrontmatterError:
        return "not YAML"  # equal to no quick answer


def test_quick_workstreams_of_written_frontmatter_are_answered() -> None:
    """What write-session writes is answered without YAML (else every cold build parses YAML),
    the word in its text too. ("workstreams:" with its colon in a value is left to YAML.)"""
    for workstreams in ([], ["recall"], ["recall", "b-2"]):
        meta = {"id": "RT-261121-01", "title": "Reworked the workstreams' list", "date": "2026-11-21",
                "workstreams": workstreams, "summary": "Mentions workstreams twice, the workstreams."}
        assert plainlog.quick_workstreams(frontmatter.dumps_yaml(meta)) == workstreams


# Lines of hand-written frontmatter: keys before and after the list, the key spelled several
# ways, items YAML reads as other things, blank and comment lines, the word in running text.
FM_LINES = ["title: t", "title: it's the workstreams one", "summary: 'quoted: workstreams'", 'note: "x"',
            "!!str workstreams: [z]", "&w workstreams:", "t: T\u2028workstreams: [z]", "\ufeffworkstreams: []",
            'k: "a\\tb"', "summary: the workstreams: list",
            "workstreams:", "workstreams: []", "workstreams : []", '"workstreams":', "'workstreams': [a]",
            "- a", "- b-2", "- yes", "- null", "- 12", "- 0x1f", "- 2026-11-30", "- a b", "-  a", "  - a", "- A",
            "", "# comment", "confidence: H", "? workstreams", ": [a]", "resume_prompt: |-", "  workstreams:",
            "  - z", "tags: [a, workstreams]", "x: {workstreams: [q]}"]


def test_quick_workstreams_never_disagree_with_yaml_on_random_frontmatter() -> None:
    """On frontmatter YAML reads. (On broken YAML the quick answer stands and documents.py parses
    no YAML either: a frontmatter is parsed only for what the quick reads cannot answer, so the
    cold build stays within a few times reading the files; `validate` reports broken YAML.)"""
    rng = random.Random(9)
    answered = 0
    for _ in range(20_000):
        fm = "".join(rng.choice(FM_LINES) + "\n" for _ in range(rng.randint(0, 7)))
        quick = plainlog.quick_workstreams(fm)
        truth = _yaml_workstreams(fm)
        if quick is not None and truth != "not YAML":  # broken YAML: see the docstring
            answered += 1
            assert quick == truth, fm
    assert answered > 2_000


def test_the_empty_section_marker_is_session_logs() -> None:
    assert plainlog.EMPTY_SECTION == session_log.EMPTY_SECTION


PROBE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from lib.recall import build, plainlog
data = open(sys.argv[2], "rb").read()
assert plainlog.fields("docs/sessions/RT-261121-01.md", "RT-261121-01.md", data) is not None
print(" ".join(m for m in ("re", "yaml", "lib.recall.documents", "lib.resume.sessionlogs") if m in sys.modules))
"""


def test_a_written_log_is_parsed_without_importing_re(tmp_path) -> None:
    request = session_log.WriteRequest(title="T", summary="S.", resume_prompt="R", confidence="H",
                                       sections={"Decisions Made": "```\n## x\n```"})
    path = tmp_path / "RT-261121-01.md"
    path.write_text(frontmatter.dumps({"id": "RT-261121-01", "title": "T", "workstreams": ["a"]},
                                      session_log.render_body(request)))
    out = subprocess.run([sys.executable, "-c", PROBE, str(HELPERS.parent), str(path)], capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == []
