"""lib/recall/documents.py: one file -> one search document, cheaply and without failing."""

from __future__ import annotations

import random

import pytest

from lib.logs import frontmatter, session_log
from lib.recall import documents
from lib.recall.columns import COLUMNS


def _log(meta: dict, body: str) -> bytes:
    return frontmatter.dumps(meta, body).encode("utf-8")


def test_columns_follow_session_log_sections() -> None:
    assert tuple(documents.SECTION_COLUMNS) == session_log.SECTIONS
    assert ("title",) + tuple(documents.SECTION_COLUMNS.values()) == COLUMNS


def test_a_written_log_splits_into_its_sections() -> None:
    request = session_log.WriteRequest(
        title="Lock the index", summary="Chose flock.", resume_prompt="Run ## the bench\n## Learnings inside",
        confidence="H", sections={"Decisions Made": "- Use WAL\n\n```\n## Learnings (in a fence)\n```",
                                  "Learnings": "- busy_timeout matters"},
    )
    meta = {"id": "RT-261121-01", "operator": "RT", "title": request.title, "workstreams": ["recall"]}
    doc = documents.log_document("docs/sessions/RT-261121-01.md", "RT-261121-01.md",
                                 _log(meta, session_log.render_body(request)), False)
    assert doc.warning is None
    assert (doc.id, doc.operator, doc.day, doc.title, doc.workstreams) == (
        "RT-261121-01", "RT", "2026-11-21", "Lock the index", ["recall"])
    assert doc.columns["summary"] == "Chose flock."
    assert "## Learnings (in a fence)" in doc.columns["decisions"]
    assert doc.columns["learnings"] == "- busy_timeout matters"
    assert "## Learnings inside" in doc.columns["resume"]
    assert "did" not in doc.columns and "future" not in doc.columns  # _None._ sections are empty


@pytest.mark.parametrize("workstreams", [[], ["a"], ["auth", "billing-2"], ["yes"], ["12"], ["Not-A-Slug"], None])
def test_quick_workstreams_agree_with_yaml(workstreams) -> None:
    meta = {"id": "RT-261121-01", "title": "T", "date": "2026-11-21", "summary": "x", "workstreams": workstreams}
    fm = frontmatter.dumps_yaml({k: v for k, v in meta.items() if v is not None})
    quick = documents.quick_workstreams(fm)
    truth = documents.norm_workstreams(frontmatter.parse_yaml(fm).get("workstreams"))
    assert quick is None or quick == truth


def test_quick_workstreams_random_documents_never_disagree() -> None:
    rng = random.Random(3)
    pool = ["a", "b-c", "yes", "null", "12", "x y", "'q'", "- z", "workstreams: [a]", "ü", ""]
    for _ in range(500):
        meta = {"title": rng.choice(pool) or "t", "workstreams": rng.sample(pool, rng.randint(0, 3))}
        if rng.random() < 0.3:
            meta["summary"] = "\n".join(rng.sample(pool, 3))
        fm = frontmatter.dumps_yaml(meta)
        quick = documents.quick_workstreams(fm)
        if quick is not None:
            assert quick == documents.norm_workstreams(frontmatter.parse_yaml(fm).get("workstreams")), fm


def test_legacy_log_takes_operator_and_day_from_frontmatter() -> None:
    data = _log({"title": "Old one", "date": "2025-03-04", "operator": "SK", "summary": "Notion era."},
                "## Decisions\n\n- went with postgres\n")
    doc = documents.log_document("docs/sessions/CONV-old.md", "CONV-old.md", data, False)
    assert (doc.id, doc.operator, doc.day, doc.title) == ("CONV-old", "SK", "2025-03-04", "Old one")
    assert doc.columns["decisions"] == "- went with postgres"
    assert doc.columns["summary"] == "Notion era."


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"# No frontmatter\n\n## Decisions Made\n\n- kept the body\n", "no frontmatter"),
        (b"---\ntitle: never closed\n# Title\n\n## Decisions Made\n\n- kept the body\n", "never closed"),
        (b"---\ntitle: [unclosed\n---\n## Decisions Made\n\n- kept the body\n", "not valid YAML"),
    ],
)
def test_broken_frontmatter_is_indexed_by_its_body_with_a_warning(data: bytes, reason: str) -> None:
    doc = documents.log_document("docs/sessions/RT-261121-02.md", "RT-261121-02.md", data, False)
    assert reason in doc.warning and "indexed by its body" in doc.warning
    assert "kept the body" in doc.columns["decisions"]
    assert (doc.operator, doc.day) == ("RT", "2026-11-21")  # from the name


def test_nul_bytes_invalid_utf8_and_huge_fields() -> None:
    body = b"# T\n\n## Learnings\n\n- nul\x00here and \xff\xfe bad bytes\n\n## What I Did\n\n" + b"word " * 100_000
    doc = documents.log_document("docs/sessions/RT-261121-03.md", "RT-261121-03.md",
                                 _log({"title": "T"}, "").rstrip(b"\n") + b"\n" + body, False)
    assert "not valid UTF-8" in doc.warning
    assert "\x00" not in doc.columns["learnings"] and "nul here" in doc.columns["learnings"]
    assert len(doc.columns["did"]) == documents.MAX_FIELD_CHARS


def test_workstream_document() -> None:
    data = _log({"title": "Auth rewrite", "owner": "AB", "status": "active", "updated": "2026-11-02"},
                "# Auth rewrite\n\n## Phases\n\n- [ ] P1 tokens\n")
    doc = documents.workstream_document("workstreams/auth.md", "auth.md", data, False)
    assert (doc.kind, doc.id, doc.title, doc.operator, doc.day) == ("workstream", "auth", "Auth rewrite", "AB",
                                                                    "2026-11-02")
    assert "P1 tokens" in doc.columns["summary"]


def test_a_frontmatter_summary_loses_its_control_characters() -> None:
    """A summary only in the frontmatter (a legacy log), its YAML escapes carrying \\x01 and
    \\x02: blanked as the body's are, since search.py marks matches with those two."""
    data = b'---\nid: CONV-1\nsummary: "marked \\x01 here \\x02 and \\0 there"\n---\n# Old\n\nbody\n'
    doc = documents.log_document("docs/sessions/CONV-1.md", "CONV-1.md", data, False)
    assert doc.columns["summary"] == "marked   here   and   there"
