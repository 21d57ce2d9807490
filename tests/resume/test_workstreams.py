"""Workstream files: phases, the schema, the README's example, and ``validate``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from lib.logs import frontmatter, workstreams
from logtree import HELPERS, REPO, clean_env, resume_json, write_ws  # noqa: F401

SCHEMA = REPO / "scripts" / "lib" / "logs" / "schemas" / "workstream.schema.json"


def validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_phases_skip_whats_next_fences_and_nested_items() -> None:
    body = """
## Phases

- [x] P1 done
* [X] P2 also done
- [ ] P3 next one
  - [ ] nested: not a phase
+ [ ] P4 later
-[ ] not a checkbox (no space)

```markdown
- [ ] inside a fence: not a phase
```

## What’s Next

- [ ] a note, not a phase

### Detail under What's Next
- [ ] still a note

## Risks

- [ ] P5 after the section: a phase again
"""
    assert workstreams.phases(body) == [
        (True, "P1 done"), (True, "P2 also done"), (False, "P3 next one"), (False, "P4 later"),
        (False, "P5 after the section: a phase again"),
    ]
    summary = workstreams.summarize({"title": "T", "owner": "RT", "status": "active"}, body)
    assert (summary["done"], summary["total"], summary["next"]) == (2, 5, "P3 next one")


def test_all_done_has_no_next() -> None:
    summary = workstreams.summarize({"title": "T", "owner": "RT", "status": "done"}, "- [x] P1 a\n- [x] P2 b\n")
    assert (summary["done"], summary["total"], summary["next"]) == (2, 2, None)


@pytest.mark.parametrize(
    "meta, field",
    [
        ({"owner": "RT", "status": "active"}, "title"),
        ({"title": " ", "owner": "RT", "status": "active"}, "title"),
        ({"title": "T", "owner": "Rt", "status": "active"}, "owner"),
        ({"title": "T", "owner": "RT", "status": "Active"}, "status"),
        ({"title": "T", "owner": "RT", "status": "active", "updated": "21/11/2026"}, "updated"),
    ],
)
def test_summarize_and_schema_agree_on_bad_fields(meta: dict, field: str) -> None:
    with pytest.raises(workstreams.WorkstreamError, match="^%s: " % field):
        workstreams.summarize(meta, "")
    errors = list(validator().iter_errors(meta))
    assert errors, meta


def test_schema_accepts_good_frontmatter_and_extra_fields() -> None:
    v = validator()
    assert not list(v.iter_errors({"title": "T", "owner": "ABCD", "status": "paused", "updated": "2026-11-21"}))
    assert not list(v.iter_errors({"title": "T", "owner": "RT", "status": "done", "team": "core"}))
    assert list(v.iter_errors({"title": "a\nb", "owner": "RT", "status": "done"}))


def _readme_example() -> str:
    text = (REPO / "workstreams" / "README.md").read_text()
    return re.search(r"```markdown\n(.*?)```", text, re.S).group(1)


def test_readme_example_is_a_valid_workstream(repo: Path) -> None:  # noqa: F811
    example = _readme_example()
    doc = frontmatter.parse(example)
    assert not list(validator().iter_errors(doc.meta))
    (repo / "workstreams").mkdir()
    (repo / "workstreams" / "auth-rewrite.md").write_text(example)
    data = resume_json(repo, "RT")
    assert data["own_workstreams"] == [
        {"slug": "auth-rewrite", "title": "Auth rewrite", "owner": "RT", "status": "active", "done": 2, "total": 4,
         "next": "P3 Migrate the web client"}
    ]


def test_repo_workstreams_are_valid() -> None:
    found = [p for p in (REPO / "workstreams").glob("*.md") if p.name not in ("README.md", "INDEX.md")]
    assert found
    for path in found:
        assert workstreams.is_slug(path.stem)
        doc = frontmatter.load(str(path))
        assert not list(validator().iter_errors(doc.meta)), path
        workstreams.summarize(doc.meta, doc.body)


@pytest.mark.parametrize("name, ok", [("auth", True), ("auth-rewrite-2", True), ("a--b", False), ("-a", False),
                                      ("Auth", False), ("a_b", False), ("a.b", False), ("x" * 81, False)])
def test_slug_rule(name: str, ok: bool) -> None:
    assert workstreams.is_slug(name) is ok


def test_validate_checks_workstreams(repo: Path) -> None:  # noqa: F811
    write_ws(repo, "good", "RT")
    (repo / "workstreams" / "bad.md").write_text("---\ntitle: T\nowner: rt\nstatus: doing\n---\n")
    (repo / "workstreams" / "README.md").write_text("# not checked\n")
    argv = [sys.executable, str(HELPERS), "validate", "--root", str(repo)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "workstreams/bad.md: owner" in out and "workstreams/bad.md: status" in out
    assert "good.md" not in out and "README" not in out
