"""The charts as people see them: headless Chromium (Debian's ``chromium``, installed by
``make chromium``, which ``make test`` depends on) renders the SVGs that ``reflect-write`` wrote,
and the test measures the picture: not blank, labelled, and every bar as tall as its figure
says (``round(value / panel max * BAR_MAX)`` pixels, per series colour). Without Chromium the
test is skipped, except with ``CI=true``, where it fails."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from chromium import chromium
from digestutil import NOW, commit_file, session
from pngread import decode

from lib.digest import charts
from logtree import run_helper

SCALE_TOLERANCE_PX = 1


def render(svgs: list, out: Path) -> list:
    """Render the SVG files stacked in one page (one browser start); one image per SVG."""
    heights = [int(Path(s).read_text().split('height="', 1)[1].split('"', 1)[0]) for s in svgs]
    page = out.with_suffix(".html")
    page.write_text(
        "<!doctype html><html><body style='margin:0;background:#fff'>"
        + "".join(f"<img src='{Path(s).as_uri()}' style='display:block' width='{charts.WIDTH}' height='{h}'>"
                  for s, h in zip(svgs, heights))
        + "</body></html>"
    )
    argv = [chromium(), "--headless", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
            "--allow-file-access-from-files", f"--screenshot={out}", f"--window-size={charts.WIDTH},{sum(heights)}",
            page.as_uri()]
    if os.geteuid() == 0:
        argv.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    env = {**os.environ, "HOME": str(out.parent)}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert out.is_file(), proc.stderr[-2000:]
    width, height, rows = decode(out.read_bytes())
    assert (width, height) == (charts.WIDTH, sum(heights))
    images, top = [], 0
    for h in heights:
        images.append(rows[top : top + h])
        top += h
    return images


def _rgb(colour: str) -> tuple:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def bars(image: list, colour: str, categories: int) -> list:
    """[(category index, height px)] of the bars of one colour, left to right: runs of columns
    holding it, each measured in its middle column and placed by its centre."""
    target = _rgb(colour)
    width = len(image[0])
    columns = [x for x in range(width) if any(row[x] == target for row in image)]
    runs: list = []
    for x in columns:
        if runs and x == runs[-1][-1] + 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    group = (charts.WIDTH - charts.MARGIN_LEFT - charts.MARGIN_RIGHT) // categories
    middles = [run[len(run) // 2] for run in runs]
    return [((x - charts.MARGIN_LEFT) // group, sum(1 for row in image if row[x] == target)) for x in middles]


def expected(values: list) -> list:
    top = max(values)
    return [(i, round(v * charts.BAR_MAX / top)) for i, v in enumerate(values) if v]  # the tallest: BAR_MAX


def assert_bars_follow(image: list, rows: list) -> None:
    non_white = sum(1 for row in image for px in row if px != (255, 255, 255))
    assert non_white > 2000, "blank picture"
    dark = sum(1 for row in image for px in row if max(px) < 80)
    assert dark > 300, "no text labels"
    for key, _, colour in charts.SERIES:
        values = [int(r[key]) for r in rows]
        got, want = bars(image, colour, len(rows)), expected(values)
        assert [i for i, _ in got] == [i for i, _ in want], (key, got, want)  # the right days/weeks
        assert all(abs(g - w) <= SCALE_TOLERANCE_PX for (_, g), (_, w) in zip(got, want)), (key, got, want)
        if len(set(values) - {0}) > 1:  # different figures, visibly different bars
            assert len({h for _, h in got}) > 1


def test_reflection_charts_render_with_bars_following_the_figures(repo: Path, tmp_path: Path) -> None:
    for day, n in (("23", 1), ("24", 4), ("26", 2)):
        for i in range(n):
            commit_file(repo, f"f{day}.txt", 1, f"2026-11-{day}T1{i}:00:00Z", f"c{day}{i}")
    session(repo, "RT-261124-01", "2026-11-24T12:00:00Z", tool_calls_total=40)
    session(repo, "RT-261124-02", "2026-11-24T15:00:00Z", tool_calls_total=25)
    session(repo, "AB-261125-01", "2026-11-25T09:00:00Z", tool_calls_total=7)
    session(repo, "AB-261110-01", "2026-11-10T09:00:00Z", tool_calls_total=90)  # W46: the trend
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"week": "2026-W48", "title": "Charts week", "sections": {"What Shifted": "x"}}))
    proc = run_helper(repo, "reflect-write", "--input", str(draft), env={"HANDOFF_NOW": NOW})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    week_svg, trend_svg = (repo / p for p in out["charts"])
    text = week_svg.read_text()
    assert "<title id=\"chart-title\">2026-W48: activity per day (team)</title>" in text
    assert "Tool calls: Mon 0, Tue 65, Wed 7" in text  # <desc> states the figures

    digest = json.loads(run_helper(repo, "digest", "--week", "2026-W48", "--json", env={"HANDOFF_NOW": NOW}).stdout)
    by_day = digest["current"]["by_day"]
    assert [by_day[d]["commits"] for d in by_day] == [1, 4, 0, 2, 0, 0, 0]

    week_image, trend_image = render([week_svg, trend_svg], tmp_path / "charts.png")
    assert_bars_follow(week_image, list(by_day.values()))
    zero = {"commits": 0, "sessions": 0, "tool_calls": 0}
    trend = [zero] * 8  # W41..W48
    trend[5] = {"commits": 0, "sessions": 1, "tool_calls": 90}  # W46
    trend[7] = {"commits": 7, "sessions": 3, "tool_calls": 72}  # W48
    assert_bars_follow(trend_image, trend)
    # the 90 tool calls of W46 are the tallest trend bar: BAR_MAX; W48's 72 -> 80 px
    assert bars(trend_image, charts.SERIES[2][2], 8) == [(5, charts.BAR_MAX), (7, 80)]
