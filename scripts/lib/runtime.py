"""Which Python runs the helpers, and the one command that sets it up.

Placeholder until issue 5's launcher: kept in one place so the hint the user sees and the
launcher that honours it cannot disagree.
"""

from __future__ import annotations


def setup_command() -> str:
    return "make setup"
