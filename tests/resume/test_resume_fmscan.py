"""lib/resume/fmscan.py: the cheap ``workstreams:`` reader must agree with the YAML parser, or give up.

Differential tests: thousands of generated and mutated frontmatters, each compared with
``frontmatter.parse_yaml``. When the parser accepts a document, the scanner must return exactly
its value or GIVE_UP; it may answer something for a document the parser rejects (the dashboard
parses every log it uses, so such a log is reported then).
"""

from __future__ import annotations

import random
import time

import pytest

from lib.logs import frontmatter
from lib.resume import fmscan
from logtree import REPO  # noqa: F401  (puts scripts/ on sys.path)

KEY = "workstreams"


def agree(doc: str) -> str:
    """'answered', 'gave-up' or 'parser-rejects'; raises AssertionError on a disagreement."""
    quick = fmscan.quick_list(doc, KEY)
    try:
        full = frontmatter.parse_yaml(doc).get(KEY)
    except frontmatter.FrontmatterError:
        return "parser-rejects"
    if quick is fmscan.GIVE_UP:
        return "gave-up"
    assert quick == full, "scanner %r != parser %r for:\n%s" % (quick, full, doc)
    return "answered"


WRITER_STYLE = """schema_version: 1
id: RT-261121-03
type: session
operator: RT
title: 'Wire the cache: part ''two'''
date: '2026-11-21'
started_at: '2026-11-21T02:11:09Z'
commits: 3
tool_calls:
  Bash: 40
mcp: {}
subagents:
  total: 0
  by_type: {}
parallel_sessions: []
workstreams:
- resume-dashboard
- ws-042
confidence: H
summary: Built the cache layer; the cold path walks newest first.
resume_prompt: |-
  Continue with the benchmark:
    workstreams: [not, this]
  workstreams: [nor, this]
"""


@pytest.mark.parametrize(
    "doc, expected",
    [
        (WRITER_STYLE, ["resume-dashboard", "ws-042"]),
        ("workstreams: []\n", []),
        ("workstreams: [a, 'b', c-d]\n", ["a", "b", "c-d"]),
        ("workstreams:\n  - a\n  - b # note\n", ["a", "b"]),
        ("workstreams: ~\n", None),
        ("title: t\n", None),
        ("", None),
        ("workstreams: [a]\nworkstreams: [b]\n", ["b"]),
        ("summary: |\n  workstreams: [x]\nworkstreams: [y]\n", ["y"]),
        ("s: >-\n  a\n\n  b\nworkstreams:\n- z\n", ["z"]),
    ],
)
def test_known_answers(doc: str, expected) -> None:
    assert fmscan.quick_list(doc, KEY) == expected
    assert agree(doc) == "answered"


@pytest.mark.parametrize(
    "doc",
    [
        'title: "a\nworkstreams: [x]\nb"\n',  # a quoted scalar spanning a column-0 line
        "title: 'a\nworkstreams: [x]\nb'\n",
        "tags: [a,\nworkstreams: [x]\n]\n",  # a flow collection spanning it
        "a: &x {workstreams: [q]}\n<<: *x\n",  # a merge key
        '"workstreams": [x]\n',  # a quoted key
        "? workstreams\n: [x]\n",  # a complex key
        "workstreams: ~\n  - dangling\n",  # a plain scalar continued ("~ - dangling")
        "workstreams: [yes, x]\n",  # a bool item
        "workstreams:\n  - 2026-01-02\n",  # a date item
        "workstreams: !!seq [x]\n",  # a tag
        "workstreams: *anchor\n",  # an alias
        "workstreams:\n\t- a\n",  # a tab
        "workstreams: [a]\r\n",  # CR line breaks
        "k: |\n      \n  x\nworkstreams: [y]\n",  # PyYAML takes the blank line's indentation
        "workstreams: \"a\\x62\"\n",  # an escape
    ],
)
def test_gives_up_on_what_it_cannot_be_sure_of(doc: str) -> None:
    assert fmscan.quick_list(doc, KEY) is fmscan.GIVE_UP


FRAGMENTS = [
    "title: plain title\n", "title: 'quoted ''x'' title'\n", 'title: "dq \\" title"\n', 'title: "open\n',
    "title: 'open\n", "workstreams: [a, b]\n", "workstreams: []\n", "workstreams:\n  - a\n  - 'b'\n",
    "workstreams:\n- c\n- d\n", "workstreams: ~\n", "workstreams:\n", "workstreams: [yes, x]\n",
    "workstreams:\n  - 2026-01-02\n", "workstreams: [a,]\n", "summary: |\n  line one\n  workstreams: [z]\n",
    "summary: >-\n  folded\n   more\n", "summary: |\nworkstreams: [q]\n", "x: [a,\nworkstreams: [w]\n]\n",
    "x: {a: 1}\n", "x: &anc [a]\n", "workstreams: *anc\n", "<<: {workstreams: [m]}\n", "# comment\n", "\n",
    "  \n", "    \n", "nested:\n  key: |\n      body\n    other: 1\n", "list:\n  - |\n    text\n  - b\n",
    "- orphan\n", "  indented: 1\n", "k: v # c\n", "k: 'a' # c\n", 'k: "a" x\n', "k: a: b\n", 'k:\n  - "a\n', "z\n",
    "workstreams: [a, 'b,c']\n", "workstreams:\n  - a # note\n  - b\n", "workstreams: null # x\n",
    "workstreams:\n  -\n", "workstreams:\n  - a\n  more\n", "workstreams:\n   - a\n  - b\n", "k: -\n", "k: - x\n",
    "t: !!str x\n", "? complex\n: v\n", 'workstreams: ["a", b]\n', "workstreams: ['it''s']\n", "k: |2\n   x\n",
    "s: |\n\n  text\n", "s: |\n      \n  text\n", "seq:\n- a: |\n    t\n  b: 'x\nworkstreams: [hidden]\n'\n",
    'q: "a\\\n  b"\n', "workstreams: [1, a]\n", "workstreams: a\n", "  - dangling\n", "workstreams: [a] # c\n",
    "k: [a, 'b]'] \n", "k:    \n", "k: >\n text\n\n more\n", "- |\n  body\n", "k:\n- |\n  x\n- >-\n   y\n",
    "k:\n  |\n  t\n", "k:\n  |\n    t\n", "a-b: 1\n", "k: x # a: 'b\n", "k: |\n  \n    \n  x\n",
    "k:\n  - a: |\n      t\n    b: 'open\n", "k:\n  - - |\n      t\n", "k: |+\n  t\n\n", "-x: 'open\n", ":x: 1\n",
    "k: v\n  cont: 'x\n", "k: 2026-11-21T04:27:22Z\n", "k:  \n   - a\n", "workstreams:   # c\n  - a\n",
    "workstreams:\n\n  - a\n\n  - b\n", "# only comment\n", "   # indented comment\n", "k: '' \n", 'k: "" \n',
    "k: 'it''s: fine'\n", "k: \"a: b\"\n", "k:\n  x: [a, b]\n  y: {}\n", "workstreams: [ ]\n", "k: a|b>c\n",
    "k: |-\n  a\n  b\nworkstreams: ['x']\n", "k: >\n  '\nworkstreams: [hid]\n  '\n",
]


def test_generated_documents_agree() -> None:
    rng = random.Random(20261121)
    outcomes = {"answered": 0, "gave-up": 0, "parser-rejects": 0}
    for _ in range(6000):
        doc = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 7)))
        outcomes[agree(doc)] += 1
    assert outcomes["answered"] > 800  # the scanner is not just giving up


def test_mutated_writer_output_agrees() -> None:
    rng = random.Random(7)
    inserts = list("\"'[]{}#:-|> \n&*!?,~\\") + ["\n  ", "\n- ", "\nworkstreams: [x]\n", "  "]
    outcomes = {"answered": 0, "gave-up": 0, "parser-rejects": 0}
    for _ in range(6000):
        doc = WRITER_STYLE
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(doc) + 1)
            if rng.random() < 0.3:
                doc = doc[:pos] + doc[pos + 1 :]
            else:
                doc = doc[:pos] + rng.choice(inserts) + doc[pos:]
        outcomes[agree(doc)] += 1
    assert outcomes["answered"] > 1200  # 1830 with this seed


def test_documents_dumped_in_every_style_agree() -> None:
    """Real YAML emitted with narrow widths (multi-line quoted and folded scalars), flow and
    block styles, odd indents and forced quoting styles."""
    import yaml

    rng = random.Random(42)
    words = ["a", "b c", "workstreams: [x]", "x: y", "'q'", '"d"', "- z", "#h", "|", ">", "ws-1", "yes",
             "2026-01-02", "a\nb", "line\n  indented\n", " lead", "trail ", "", "\\", "[x]", "&a", "*b", "..."]

    def value(depth):
        r = rng.random()
        if depth > 3 or r < 0.5:
            return rng.choice(words) if rng.random() < 0.8 else rng.choice([1, 2.5, True, None])
        if r < 0.75:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(["k", KEY, "title", "x y"]): value(depth + 1) for _ in range(rng.randint(0, 3))}

    outcomes = {"answered": 0, "gave-up": 0, "parser-rejects": 0}
    for _ in range(3000):
        keys = ["title", "summary", "k1", "nested", KEY, "x-y"]
        meta = {rng.choice(keys): value(0) for _ in range(rng.randint(1, 6))}
        if rng.random() < 0.5:
            meta[KEY] = [rng.choice(["ws-1", "a", "b-c", "yes", "12", "it's", "x y"]) for _ in range(rng.randint(0, 3))]
        style = dict(default_flow_style=rng.choice([None, False, True]), width=rng.choice([10, 20, 80, 1000]),
                     indent=rng.choice([2, 3, 4]), sort_keys=rng.random() < 0.5)
        if rng.random() < 0.3:
            style["default_style"] = rng.choice(['"', "'", "|", ">"])
        outcomes[agree(yaml.dump(meta, Dumper=yaml.SafeDumper, **style))] += 1
    assert outcomes["answered"] > 400


N = 60000
PATHOLOGICAL = {
    "spaces-colon": "k: a" + " " * N + ": x\n",
    "colons": "k: " + "a:" * (N // 2) + "\n",
    "dashes": "k:\n  " + "- " * (N // 2) + "\n",
    "gt-lines": "k: 1\n" + ">\n" * (N // 2),
    "pipes": "k: " + "|" * N + "\n",
    "pipe-lines": "k:\n" + "  - |\n" * (N // 6),
    "quotes": "k: '" + "''" * (N // 2) + "'\n",
    "flow": "k: " + "[" * (N // 2) + "]" * (N // 2) + "\n",
    "blank-lines": "k: |\n" + "   \n" * (N // 4) + "  x\n",
    "items": "workstreams:\n" + "  - a\n" * (N // 6),
    "keys": "workstreams: []\n" * (N // 16),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_linear_time_on_pathological_input(name: str) -> None:
    doc = PATHOLOGICAL[name]
    t0 = time.perf_counter()
    fmscan.quick_list(doc, KEY)
    assert time.perf_counter() - t0 < 0.5, name


def test_faster_than_the_parser() -> None:
    docs = [WRITER_STYLE.replace("ws-042", "ws-%d" % i) for i in range(300)]
    t0 = time.perf_counter()
    for d in docs:
        assert fmscan.quick_list(d, KEY) != fmscan.GIVE_UP
    quick = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in docs:
        frontmatter.parse_yaml(d)
    full = time.perf_counter() - t0
    assert quick * 2 < full, (quick, full)
