"""Headless Chromium for the tests that look at pages as people see them (Debian's ``chromium``,
installed by ``make chromium``, which ``make test`` depends on): the digest's charts
(tests/digest/test_charts_browser.py) and the HTML report (tests/report/).

Without Chromium a test is skipped, except with ``CI=true``, where it fails."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        msg = "headless Chromium is needed to render the pages (run `make chromium`)"
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail("CI: " + msg, pytrace=False)
        pytest.skip(msg)
    return path


def argv(*args: str) -> list:
    out = [chromium(), "--headless", "--disable-gpu", *args]
    if os.geteuid() == 0:
        out.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return out


def dump_dom(url: str, home: str) -> tuple:
    """(the DOM after the page's scripts ran, the console messages): ``--dump-dom`` with a virtual
    time budget (scripts the page adds while loading run first), console lines from the log."""
    proc = subprocess.run(
        argv("--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", url),
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": home})
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console
