"""A log's markdown as HTML: raw HTML is text, only safe links are live, no image is loaded."""

from __future__ import annotations

import re

import pytest

from lib.report import markdown


@pytest.mark.parametrize("url", ["https://x.org/a", "http://x.org", "mailto:a@b.c", "#frag", "docs/a.md", "../b"])
def test_safe_links_are_live(url: str) -> None:
    assert markdown.link_is_safe(url)
    assert 'href="%s"' % url in markdown.render("[x](%s)" % url)[0]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                                 " javascript:x", "vbscript:x", "data:text/html,<script>x</script>",
                                 "file:///etc/passwd", "//evil.example/x"])
def test_other_links_stay_text(url: str) -> None:
    assert not markdown.link_is_safe(url)
    out = markdown.render("[x](<%s>) <%s>" % (url, url))[0]
    # markdown-it percent-encodes a tab first ("java%09script:" is then a relative path, inert)
    assert not re.search(r'href="(?:[a-z]+:|//)', out, re.IGNORECASE), out


def test_raw_html_is_text_and_images_are_links() -> None:
    out = markdown.render('<script>x()</script>\n\n<img src=a onerror=b()>\n\n![alt "q"](https://t.example/p.png)\n')[0]
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;x()&lt;/script&gt;" in out
    assert '<a class="image-link" href="https://t.example/p.png"' in out and "[image: alt &quot;q&quot;]" in out


def test_a_long_body_is_cut() -> None:
    out, cut = markdown.render("a" * (markdown.MAX_BODY_CHARS + 10))
    assert cut and out.count("a") == markdown.MAX_BODY_CHARS


def test_a_rebuild_replaces_the_site_and_leaves_nothing_beside_it(tmp_path) -> None:
    from lib.report import site

    out = str(tmp_path / "site")
    for n in range(2):
        w = site.SiteWriter(out)
        w.write("index.html", "v%d" % n)
        w.commit()
        assert (tmp_path / "site" / "index.html").read_text() == "v%d" % n
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
