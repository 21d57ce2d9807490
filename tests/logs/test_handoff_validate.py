"""The session schema and `validate` on good and bad trees."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess

import pytest

from handoff_fixtures import HELPERS, PY, REPO, make_repo, request
from lib.logs import frontmatter
from lib.logs.session_log import FIELD_ORDER, OPTIONAL_FIELDS
from lib.logs.validation import check_session_meta

SCHEMA = REPO / "scripts" / "lib" / "logs" / "schemas" / "session.schema.json"
NOW = {"HANDOFF_NOW": "2026-11-21T10:00:00Z"}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def test_schema_is_draft_2020_12_and_requires_every_field():
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == [f for f in FIELD_ORDER if f not in OPTIONAL_FIELDS]
    assert set(OPTIONAL_FIELDS) <= set(FIELD_ORDER) <= set(schema["properties"])
    assert "handoff_write_min" in schema["properties"] and schema["properties"]["handoff_write_min"]["description"]


@pytest.fixture
def good_meta(repo) -> dict:
    out = repo.write_ok(request(), "schema", NOW)
    return repo.log(out["id"]).meta


REJECTIONS = [
    ("schema_version", 2, "schema_version", "must be 1"),
    ("id", "rt-261121-01", "id", "must be <OP>-<YYMMDD>-<NN>"),
    ("id", "RT-261121-1", "id", "must be <OP>-<YYMMDD>-<NN>"),
    ("id", "RT-261121-007", "id", "must be <OP>-<YYMMDD>-<NN>"),
    ("type", "workstream", "type", "must be 'session'"),
    ("operator", "rt", "operator", "must be 2-4 capital letters"),
    ("operator", "RT\n", "operator", "must be a single line"),
    ("title", "", "title", "must not be empty"),
    ("title", "a\nb", "title", "must be a single line"),
    ("title", "x" * 201, "title", "must be at most 200 characters"),
    ("date", "2026-11-21T00:00:00Z", "date", "must be a date like 2026-11-21"),
    ("date", "2026-13-01", "date", "must be a date like 2026-11-21"),
    ("started_at", "2026-11-21 10:00:00", "started_at", "must be a UTC timestamp like 2026-11-21T04:27:22Z"),
    ("started_at", "2026-11-21T10:00:00Z\n", "started_at", "must be a single line"),
    ("branch", "main\n", "branch", "must be a single line"),
    ("ended_at", None, "ended_at", "must be string, not null"),
    ("first_commit_at", "yesterday", "first_commit_at", "must be a UTC timestamp like"),
    ("head_commit", "abc123", "head_commit", "must be a full commit hash"),
    ("commits", -1, "commits", "must be >= 0"),
    ("commits", "3", "commits", "must be integer, not string"),
    ("insertions", None, "insertions", "must be integer, not null"),
    ("active_min_estimate", -0.5, "active_min_estimate", "must be >= 0"),
    ("tool_calls", {"Bash": "many"}, "tool_calls.Bash", "must be integer, not string"),
    ("mcp", {"github": {"x": -1}}, "mcp.github.x", "must be >= 0"),
    ("subagents", {"total": 1}, "subagents.by_type", "missing"),
    ("invariants", {"notion_writes": {"count": 1}}, "invariants.notion_writes.ok", "missing"),
    ("parallel_sessions", ["a", "a"], "parallel_sessions", "has duplicate items"),
    ("workstreams", ["Not A Slug"], "workstreams.0", "is not a slug"),
    ("workstreams", None, "workstreams", "must be array, not null"),
    ("confidence", "high", "confidence", "'high' is not one of H, M, L"),
    ("summary", "   ", "summary", "must not be blank"),
    ("resume_prompt", None, "resume_prompt", "must be string, not null"),
]


@pytest.mark.parametrize(
    "field, value, where, message", REJECTIONS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTIONS)]
)
def test_schema_rejects(good_meta, field, value, where, message):
    assert check_session_meta(good_meta) == []
    meta = copy.deepcopy(good_meta)
    meta[field] = value
    problems = check_session_meta(meta)
    assert any(f == where and message in m for f, m in problems), problems


def test_schema_rejects_missing_and_unknown_fields(good_meta):
    meta = copy.deepcopy(good_meta)
    del meta["branch"]
    meta["colour"] = "blue"
    assert check_session_meta(meta) == [("branch", "missing"), ("colour", "unknown field")]


def test_nullable_fields_accept_null(good_meta):
    meta = copy.deepcopy(good_meta)
    for field in (
        "first_commit_at",
        "last_commit_at",
        "active_min_estimate",
        "handoff_write_min",
        "session_id",
        "branch",
        "head_commit",
        "tool_calls_total",
        "tool_calls",
        "mcp",
        "subagents",
        "failures",
        "interruptions_count",
        "parallel_sessions",
        "invariants",
    ):
        meta[field] = None
    assert check_session_meta(meta) == []


def _tree(tmp_path):
    repo = make_repo(tmp_path)
    for sid in ("v1", "v2"):
        repo.write_ok(request(), sid, NOW)
    (repo.sessions / "README.md").write_text("# not a log\n")
    (repo.sessions / "INDEX.md").write_text("| not | a log |\n")
    (repo.sessions / "CONV-2024-01-01-legacy.md").write_text("---\ntitle: old\ndate: 2024-01-01\n---\nbody\n")
    return repo


def test_validate_good_tree(tmp_path):
    repo = _tree(tmp_path)
    repo.helper("regen-indexes")  # a current index: a stale one is a problem of its own (store)
    out = repo.helper("validate")
    assert out.returncode == 0, out.stdout
    assert out.stdout == "validate: 3 file(s) ok\n"


def _edit(path, fn):
    doc = frontmatter.load(str(path))
    meta, body = fn(doc.meta, doc.body)
    path.write_text(frontmatter.dumps(meta, body))


def test_validate_bad_tree_names_path_field_problem(tmp_path):
    repo = _tree(tmp_path)
    s = repo.sessions
    _edit(s / "RT-261121-01.md", lambda m, b: ({**m, "confidence": "X", "commits": -2}, b))
    _edit(
        s / "RT-261121-02.md",
        lambda m, b: ({**m, "operator": "ZQ", "date": "2026-11-22"}, b.replace("## Learnings", "## Lessons")),
    )
    shutil.copy(s / "RT-261121-01.md", s / "RT-261121-03.md")
    (s / "CONV-2023-bad.md").write_text("---\noperator: lowercase\n---\n")
    (s / "CONV-2023-broken.md").write_text("---\ntitle: [unclosed\n---\n")
    (s / "notes.md").write_text("---\na: 1\n---\n")
    (s / "RT-261121-04.md").write_text("no frontmatter at all\n")
    repo.helper("regen-indexes")  # a current index: a stale one is a problem of its own (store)
    out = repo.helper("validate")
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    p = "docs/sessions/"
    expected = [
        f"{p}RT-261121-01.md: commits: must be >= 0, not -2",
        f"{p}RT-261121-01.md: confidence: 'X' is not one of H, M, L",
        f"{p}RT-261121-02.md: operator: 'ZQ' does not match the id's 'RT'",
        f"{p}RT-261121-02.md: date: '2026-11-22' does not match the id's day 2026-11-21",
        f"{p}RT-261121-02.md: body: unknown section '## Lessons'",
        f"{p}RT-261121-02.md: body: missing section '## Learnings'",
        f"{p}RT-261121-03.md: id: 'RT-261121-01' is not the file name 'RT-261121-03'",
        f"{p}CONV-2023-bad.md: operator: 'lowercase' is not 2-4 capital letters",
        f"{p}RT-261121-04.md: (frontmatter): no frontmatter (the file must start with a '---' line)",
    ]
    for line in expected:
        assert line in lines, (line, lines)
    broken = f"{p}CONV-2023-broken.md: (frontmatter): frontmatter is not valid YAML"
    assert any(line.startswith(broken) for line in lines)
    assert "README.md" not in out.stdout and "INDEX.md" not in out.stdout
    assert "notes.md" not in out.stdout  # not a log's name: not a log (log_ids.is_log_name), as for /resume
    assert "CONV-2024-01-01-legacy.md" not in out.stdout
    assert out.stderr == "handoff: 6 of 7 file(s) invalid\n"


def test_validate_explicit_paths_and_kinds(tmp_path):
    repo = _tree(tmp_path)
    ok = repo.helper("validate", "docs/sessions/RT-261121-01.md")
    assert ok.returncode == 0 and ok.stdout == "validate: 1 file(s) ok\n"
    copy_path = repo.home / "RT-261121-09.md"
    shutil.copy(repo.sessions / "RT-261121-01.md", copy_path)
    out = repo.helper("validate", str(copy_path))
    assert out.returncode == 1 and "no schema applies" in out.stdout
    out = repo.helper("validate", "--kind", "session", str(copy_path))
    assert out.returncode == 1 and f"{copy_path}: id: 'RT-261121-01' is not the file name 'RT-261121-09'" in out.stdout
    out = repo.helper("validate", "docs/sessions/missing.md")
    assert out.returncode == 1 and "docs/sessions/missing.md: (file): no such file or directory" in out.stdout
    out = repo.helper("validate", "docs/sessions")
    assert out.returncode == 0 and out.stdout == "validate: 3 file(s) ok\n"


def test_a_shell_glob_over_the_store_checks_the_logs_only(tmp_path):
    """``validate docs/sessions/*.md``: README.md, INDEX.md and the commit log are in the glob
    and are not logs (log_ids.is_log_name), whether listed or given (issue 20 item 2)."""
    repo = _tree(tmp_path)
    repo.commit("work")
    repo.helper_ok("changelog", "--since", "2000-01-01T00:00:00Z")  # docs/sessions/CHANGELOG.md
    repo.helper_ok("regen-indexes")
    assert (repo.sessions / "CHANGELOG.md").is_file()
    given = sorted(str(p.relative_to(repo.path)) for p in repo.sessions.glob("*.md"))
    assert {"docs/sessions/README.md", "docs/sessions/INDEX.md", "docs/sessions/CHANGELOG.md"} <= set(given)
    out = repo.helper("validate", *given)
    assert (out.returncode, out.stdout) == (0, "validate: 3 file(s) ok\n"), out.stdout
    assert repo.helper("validate", "docs/sessions/INDEX.md").stdout == "validate: 0 file(s) ok\n"
    out = repo.helper("validate")
    assert (out.returncode, out.stdout) == (0, "validate: 3 file(s) ok\n"), out.stdout + out.stderr


def test_validate_workstreams_only_once_their_schema_exists(tmp_path):
    repo = _tree(tmp_path)
    (repo.path / "workstreams").mkdir()
    (repo.path / "workstreams" / "parser.md").write_text("---\nnot: checked\n---\n")
    schema = REPO / "scripts" / "lib" / "logs" / "schemas" / "workstream.schema.json"
    out = repo.helper("validate")
    if schema.exists():
        import jsonschema

        errors = list(jsonschema.Draft202012Validator(json.loads(schema.read_text())).iter_errors({"not": "checked"}))
        assert (out.returncode == 1) == bool(errors)
    else:
        assert out.returncode == 0 and out.stdout == "validate: 3 file(s) ok\n"


def test_validate_uses_a_workstream_schema_when_present(tmp_path):
    """A bundle copy with its own workstream schema: workstreams get checked."""
    bundle = tmp_path / "bundle"
    shutil.copytree(REPO / "scripts", bundle / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (bundle / "scripts" / "lib" / "logs" / "schemas" / "workstream.schema.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["slug"],
                "properties": {"slug": {"type": "string"}},
            }
        )
    )
    repo = _tree(tmp_path / "t")
    (repo.path / "workstreams").mkdir()
    (repo.path / "workstreams" / "parser.md").write_text("---\nname: x\n---\n")
    (repo.path / "workstreams" / "INDEX.md").write_text("index\n")
    repo.helper("regen-indexes")  # a current index: a stale one is a problem of its own (store)
    out = subprocess.run(
        [PY, str(bundle / "scripts" / "handoff_helpers.py"), "validate", "--root", str(repo.path)],
        capture_output=True,
        text=True,
        env=repo.env,
    )
    assert out.returncode == 1
    assert out.stdout.splitlines() == ["workstreams/parser.md: slug: missing"]


def test_validate_the_repos_own_docs():
    out = subprocess.run([PY, str(HELPERS), "validate", "--root", str(REPO)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_readme_example_is_a_valid_log():
    import re

    text = (REPO / "docs" / "sessions" / "README.md").read_text()
    example = re.search(r"```yaml\n(---\n.*?---\n)```", text, re.S).group(1)
    assert check_session_meta(frontmatter.parse(example).meta) == []


def _variant(repo, good: str, log_id: str, old: str, new: str):
    text = (repo.sessions / good).read_text()
    assert old in text, old
    (repo.sessions / f"{log_id}.md").write_text(text.replace(old, new, 1).replace(good[:-3], log_id))


def test_impossible_dates_are_one_line_each_not_a_traceback(repo):
    """PyYAML builds dates with datetime: 2026-02-30, T25:00:00Z, year 0 raise ValueError."""
    first = repo.write_ok(request(), "v", NOW)["id"]
    good = f"{first}.md"
    started = frontmatter.load(str(repo.sessions / good)).meta["started_at"]
    _variant(repo, good, "RT-261121-04", 'date: "2026-11-21"', "date: 2026-02-30")
    _variant(repo, good, "RT-261121-05", f'started_at: "{started}"', "started_at: 2026-11-21T25:00:00Z")
    _variant(repo, good, "RT-261121-06", 'date: "2026-11-21"', "date: 0000-01-01")
    (repo.sessions / "RT-261121-07.md").write_bytes(b"\xff\xfe---\n")
    _variant(repo, good, "RT-261121-08", "schema_version: 1", "1: 2\nschema_version: 1")
    out = repo.helper("validate")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    lines = out.stdout.splitlines()
    for n in (4, 5, 6):
        assert any(line.startswith(f"docs/sessions/RT-261121-0{n}.md: (frontmatter): ") for line in lines), lines
    assert "docs/sessions/RT-261121-07.md: (frontmatter): not UTF-8 text" in lines
    assert "docs/sessions/RT-261121-08.md: 1: unknown field" in lines
    assert out.stderr == "handoff: 5 of 6 file(s) invalid\n"


def test_headings_hidden_by_a_lone_cr_or_indented_are_found(repo):
    """A hand-edited log: every kind of line break, indented and setext headings count."""
    from lib.logs.session_log import section_problems

    first = repo.write_ok(request(), "cr", NOW)["id"]
    path = repo.sessions / f"{first}.md"
    text = path.read_text()
    path.write_bytes(text.replace("Kept dates", "x\r## Open Questions\ry Kept dates").encode())
    out = repo.helper("validate")
    assert out.returncode == 1
    assert "body: sections out of order or repeated" in out.stdout
    body = frontmatter.load(str(path)).body
    assert section_problems(body) == section_problems(body.replace("\r", "\n"))
    for hidden in (" ## Extra", "   ## Extra", "Extra\n---", "Extra\r\n-----"):
        problems = section_problems(frontmatter.parse(text).body.replace("- **D1** Kept dates", hidden + "\n\nKept"))
        assert "unknown section '## Extra'" in problems, (hidden, problems)


def test_control_characters_in_a_log_are_reported(good_meta):
    for field in ("title", "summary", "resume_prompt"):
        meta = copy.deepcopy(good_meta)
        meta[field] = "nul \x00 here"
        problems = check_session_meta(meta)
        assert (field, "must not contain control characters (only tab and newline)") in problems, problems


def test_text_lengths_keep_the_frontmatter_readable(good_meta):
    meta = copy.deepcopy(good_meta)
    meta["summary"] = "x" * 4001
    meta["resume_prompt"] = "x" * 8001
    problems = check_session_meta(meta)
    assert ("summary", "must be at most 4000 characters") in problems
    assert ("resume_prompt", "must be at most 8000 characters") in problems


def test_a_log_that_is_a_symlink_or_fifo_is_one_line(repo):
    import os

    repo.write_ok(request(), "s", NOW)
    (repo.sessions / "RT-261121-02.md").symlink_to("/dev/zero")
    os.mkfifo(repo.sessions / "RT-261121-03.md")
    out = repo.helper("validate", "docs/sessions/RT-261121-02.md", "docs/sessions/RT-261121-03.md", timeout=30)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "docs/sessions/RT-261121-02.md: (frontmatter): is a symbolic link; not read",
        "docs/sessions/RT-261121-03.md: (frontmatter): not a regular file; not read",
    ]
