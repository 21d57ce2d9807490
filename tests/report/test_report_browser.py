"""The report as people see it, in real headless Chromium (tests/chromium.py): pages load with
no console message, the search deep link shows the planted word's log first, the counts equal
the logs, and a hostile log stays text."""

from __future__ import annotations

import re
from pathlib import Path

from chromium import dump_dom
from reportutil import count_on, listed, report, site_of, small_team

from logtree import write_log

HIT_RE = re.compile(r'<li data-log-id="([^"]+)">')


def hits(dom: str) -> list:
    section = dom.split('id="search-results"', 1)[1].split("</section>", 1)[0]
    return HIT_RE.findall(section)


def test_pages_load_with_no_console_message_and_counts_match_the_logs(repo: Path, tmp_path: Path) -> None:
    ids = small_team(repo)
    site = site_of(report(repo))
    assert count_on(site / "index.html") == len(ids)
    assert sorted(listed(site, "index")) == sorted(ids)
    assert listed(site, "index")[0] == "CK-261121-01"  # newest first
    assert sorted(listed(site, "by/operator/RT")) == ["RT-261110-01", "RT-261120-01"]
    assert sorted(listed(site, "by/workstream/auth")) == ["AB-261118-01", "AB-261121-01", "CK-261119-02",
                                                          "RT-261110-01"]
    assert sorted(listed(site, "by/week/2026-W46")) == ["RT-261110-01"]
    assert count_on(site / "weeks" / "2026-W47.html") == len(ids) - 1
    pages = ["index.html", "index.html?q=token", "sessions/RT-261120-01.html", "weeks/2026-W47.html",
             "weeks.html", "operators.html", "workstreams.html", "by/operator/AB.html"]
    for page in pages:
        dom, console = dump_dom(site.as_uri() + "/" + page, str(tmp_path))
        assert console == [], (page, console)
        assert "</main>" in dom, page
    # Everything a page loads is inside the folder: no scheme, no protocol-relative URL.
    for path in site.rglob("*.html"):
        for url in re.findall(r'(?:src|href)="([^"]*)"', path.read_text()):
            assert not re.match(r"[a-z]+:|//", url), (path, url)


def test_week_page_shows_the_digest_figures_items_and_costs(repo: Path, tmp_path: Path) -> None:
    small_team(repo)
    site = site_of(report(repo))
    week = (site / "weeks" / "2026-W47.html").read_text()
    assert "Use tokens of 32 bytes." in week and "Rotate keys weekly?" in week
    assert "Keep the cache warm." not in week  # a decision of another week
    assert (site / "weeks" / "2026-W47-week.svg").read_text().startswith("<svg")
    assert (site / "weeks" / "2026-W47-trend.svg").is_file()
    by_operator = week.split("Cost by operator", 1)[1].split("Cost by workstream", 1)[0]
    assert re.search(r"<td>AB</td><td class=\"num\">2</td><td class=\"num\">\$0\.50</td>", by_operator)
    by_ws = week.split("Cost by workstream", 1)[1]
    assert re.search(r"<td>billing</td><td class=\"num\">2</td><td class=\"num\">\$0\.50</td>", by_ws)
    dom, console = dump_dom((site / "weeks" / "2026-W47.html").as_uri(), str(tmp_path))
    assert console == []


def test_the_deep_link_shows_the_planted_words_log_first(repo: Path, tmp_path: Path) -> None:
    small_team(repo)
    # Newer logs that merely mention the word, many times; the planted log is about it.
    for i in range(1, 4):
        write_log(repo, "CK-26112%d-05" % i, title="Chores %d" % i, ended_at="2026-11-2%dT08:00:00Z" % i,
                  body="# Chores\n\n## What I Did\n\n- saw quokkafrost here, quokkafrost there, quokkafrost again\n")
    write_log(repo, "AB-261117-03", title="Quokkafrost ledger migration", ended_at="2026-11-17T08:00:00Z",
              summary="Moved the quokkafrost ledger.", body="# Quokkafrost ledger migration\n\n## Summary\n\nDone.\n")
    site = site_of(report(repo))
    dom, console = dump_dom(site.as_uri() + "/index.html?q=quokkafrost", str(tmp_path))
    assert console == []
    found = hits(dom)
    assert found[0] == "AB-261117-03", found
    assert sorted(found[1:]) == ["CK-261121-05", "CK-261122-05", "CK-261123-05"]
    assert "4 sessions match" in dom
    # Two words: every one must occur; the box shows the query.
    dom, _ = dump_dom(site.as_uri() + "/index.html?q=Quokkafrost%20LEDGER", str(tmp_path))
    assert hits(dom) == ["AB-261117-03"]
    assert 'value="Quokkafrost LEDGER"' in dom or "Quokkafrost LEDGER" in dom


def test_a_hostile_log_renders_as_text_and_runs_nothing(repo: Path, tmp_path: Path) -> None:
    small_team(repo)
    body = (
        "# <script>document.body.setAttribute('data-pwned', 'h1')</script>\n\n## Summary\n\n"
        "<script>document.body.setAttribute('data-pwned', 'script')</script>\n\n"
        "<img src=x onerror=\"document.body.setAttribute('data-pwned', 'img')\">\n\n"
        "[click](javascript:document.body.setAttribute('data-pwned','link')) "
        "[tab](java\tscript:alert(1)) ![remote](https://example.com/track.png)\n\n"
        "<div style=\"position:fixed\">raw html</div> hostilemarker\n"
    )
    write_log(repo, "EV-261120-01", title="<script>alert(1)</script><b>bold</b>", body=body,
              ended_at="2026-11-20T09:00:00Z", summary="<img src=x onerror=alert(2)>")
    site = site_of(report(repo))
    page = site / "sessions" / "EV-261120-01.html"
    html = page.read_text()
    assert "<script>document" not in html and "<img src=x" not in html and "<div style" not in html
    assert 'href="javascript:' not in html.lower() and "https://example.com/track.png\"" not in html.replace(
        'href="https://example.com/track.png"', "")
    for url in (page.as_uri(), site.as_uri() + "/index.html?q=hostilemarker", site.as_uri() + "/index.html"):
        dom, console = dump_dom(url, str(tmp_path))
        assert console == [], (url, console)
        body_tag = re.search(r"<body[^>]*>", dom).group(0)
        assert "data-pwned" not in body_tag, (url, body_tag)
    dom, _ = dump_dom(page.as_uri(), str(tmp_path))
    assert "&lt;script&gt;document.body.setAttribute" in dom  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in dom
    assert "<img" not in dom.split("<main>", 1)[1]  # no image of a log is loaded
    dom, _ = dump_dom(site.as_uri() + "/index.html?q=hostilemarker", str(tmp_path))
    assert hits(dom) == ["EV-261120-01"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.split('id="search-results"', 1)[1]
