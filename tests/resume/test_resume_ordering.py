"""Which log is "newest": by the id's day and sequence number (numerically), legacy logs by date."""

from __future__ import annotations

from pathlib import Path

from logtree import resume, resume_json, write_log, write_ws  # noqa: F401


def test_same_day_sequence_numbers_numerically_past_99(repo: Path) -> None:  # noqa: F811
    for seq in ("01", "02", "09", "10", "99", "100", "101"):
        write_log(repo, "RT-261121-%s" % seq)
    write_log(repo, "RT-261120-999")  # an older day loses whatever its number
    assert resume_json(repo, "RT")["last_session"]["id"] == "RT-261121-101"
    (repo / "docs" / "sessions" / "RT-261121-101.md").unlink()
    assert resume_json(repo, "RT")["last_session"]["id"] == "RT-261121-100"
    (repo / "docs" / "sessions" / "RT-261121-100.md").unlink()
    assert resume_json(repo, "RT")["last_session"]["id"] == "RT-261121-99"


def test_other_operators_logs_never_count_as_mine(repo: Path) -> None:  # noqa: F811
    write_log(repo, "RT-261119-01")
    write_log(repo, "RTX-261121-01")  # starts with "RT" but is RTX's
    write_log(repo, "AB-261121-05")
    assert resume_json(repo, "RT")["last_session"]["id"] == "RT-261119-01"


def test_legacy_logs_count_only_with_my_operator(repo: Path) -> None:  # noqa: F811
    write_log(repo, "RT-261101-01")
    write_log(repo, "CONV-notes-a", date="2026-11-10", operator="RT", title="Legacy mine")
    write_log(repo, "CONV-notes-b", date="2026-11-15", title="Legacy nobody's")
    write_log(repo, "CONV-notes-c", date="2026-11-16", operator="AB", title="Legacy AB's")
    data = resume_json(repo, "RT")
    assert data["last_session"] == {"id": "CONV-notes-a", "title": "Legacy mine", "age_hours": 276}
    assert resume_json(repo, "AB")["last_session"]["id"] == "CONV-notes-c"
    # a newer named log wins over the legacy one
    write_log(repo, "RT-261111-01")
    assert resume_json(repo, "RT")["last_session"]["id"] == "RT-261111-01"


def test_legacy_log_sorts_before_same_day_numbered_logs(repo: Path) -> None:  # noqa: F811
    write_log(repo, "CONV-x", date="2026-11-21", operator="RT")
    write_log(repo, "RT-261121-01")
    assert resume_json(repo, "RT")["last_session"]["id"] == "RT-261121-01"


def test_legacy_log_without_date_is_oldest(repo: Path) -> None:  # noqa: F811
    write_log(repo, "CONV-undated", operator="RT")
    write_log(repo, "CONV-dated", operator="RT", date="2020-01-01")
    assert resume_json(repo, "RT")["last_session"]["id"] == "CONV-dated"


def test_legacy_log_dated_by_ended_at_when_date_is_missing(repo: Path) -> None:  # noqa: F811
    write_log(repo, "CONV-a", operator="RT", ended_at="2026-11-20T08:00:00Z")
    write_log(repo, "RT-261119-01")
    data = resume_json(repo, "RT")
    assert data["last_session"] == {"id": "CONV-a", "title": "Title of CONV-a", "age_hours": 28}


def test_operator_named_conv_is_a_named_log_not_legacy(repo: Path) -> None:  # noqa: F811
    write_log(repo, "CONV-261121-01")  # operator CONV, a real named log
    write_log(repo, "CONV-legacy", date="2026-11-21", operator="RT")
    assert resume_json(repo, "CONV")["last_session"]["id"] == "CONV-261121-01"
    assert resume_json(repo, "RT")["last_session"]["id"] == "CONV-legacy"


def test_peer_footer_uses_the_same_order(repo: Path) -> None:  # noqa: F811
    write_ws(repo, "auth", "AB")
    write_log(repo, "AB-261121-99", workstreams=["auth"], title="ninety-nine")
    write_log(repo, "AB-261121-100", workstreams=["auth"], title="hundred")
    write_log(repo, "CONV-older", date="2026-11-22", workstreams=["auth"], title="legacy newer day")
    data = resume_json(repo, "RT")
    assert data["peer_activity"] == [
        {"slug": "auth", "operator": None, "id": "CONV-older", "title": "legacy newer day", "age_hours": 0},
    ]
    (repo / "docs" / "sessions" / "CONV-older.md").unlink()
    assert resume_json(repo, "RT")["peer_activity"][0]["id"] == "AB-261121-100"


def test_unreadable_latest_falls_back_to_the_next_and_warns(repo: Path) -> None:  # noqa: F811
    write_log(repo, "RT-261120-01", title="readable")
    bad = repo / "docs" / "sessions" / "RT-261121-01.md"
    bad.write_text("---\ntitle: [unclosed\n---\n")
    data = resume_json(repo, "RT")
    assert data["last_session"]["id"] == "RT-261120-01"
    assert len(data["warnings"]) == 1 and data["warnings"][0].startswith("docs/sessions/RT-261121-01.md: ")
    out = resume(repo, "--operator", "RT").stdout
    assert out.rstrip().splitlines()[-1].startswith("  docs/sessions/RT-261121-01.md: frontmatter is not valid YAML")
