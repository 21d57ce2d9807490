"""Where a session's transcripts are (Claude Code 2.1.329, probed: tests/e2e/test_usage_e2e.py).

- Main: ``<config dir>/projects/<slug>/<session id>.jsonl`` (the hooks' ``transcript_path``,
  kept in the telemetry record); ``--continue`` appends to it.
- Subagents: ``<config dir>/projects/<slug>/<session id>/subagents/agent-<agent id>.jsonl``
  (SubagentStop's ``agent_transcript_path``).

ccusage counts a file for session S when it is ``<slug>/S.jsonl``, ``<slug>/S/*.jsonl`` or
``<slug>/S/subagents/*.jsonl`` (rust/.../claude/paths.rs ``extract_session_parts``), in path
order; `session_files` returns the same files in the same order (the order decides exact
token ties, ledger.py).
"""

from __future__ import annotations

import os


def config_dirs() -> list:
    """The CLI's config dirs, as ccusage finds them: ``$CLAUDE_CONFIG_DIR`` (comma separated),
    else ``$XDG_CONFIG_HOME/claude`` (default ``~/.config/claude``) and ``~/.claude``."""
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    if env:
        dirs = [os.path.expanduser(p.strip()) for p in env.split(",") if p.strip()]
        return [d[: -len("/projects")] if d.rstrip("/").endswith("/projects") else d for d in dirs]
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [os.path.join(xdg, "claude"), os.path.join(home, ".claude")]


def find_transcript(session_id: str):
    """The main transcript of ``session_id`` under the config dirs, or None."""
    if not session_id or "/" in session_id or session_id in (".", ".."):
        return None
    name = session_id + ".jsonl"
    for base in config_dirs():
        projects = os.path.join(base, "projects")
        try:
            slugs = sorted(os.listdir(projects))
        except OSError:
            continue
        for slug in slugs:
            candidate = os.path.join(projects, slug, name)
            if os.path.lexists(candidate):
                return candidate
    return None


def session_files(main_path: str) -> list:
    """The main transcript and its session directory's ``*.jsonl`` files, in path order."""
    files = [main_path]
    stem = main_path[: -len(".jsonl")] if main_path.endswith(".jsonl") else None
    if stem:
        for sub in (stem, os.path.join(stem, "subagents")):
            try:
                names = os.listdir(sub)
            except OSError:
                continue
            files.extend(os.path.join(sub, n) for n in names if n.endswith(".jsonl"))
    return sorted(files)
