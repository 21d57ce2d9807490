#!/usr/bin/env python3
"""handoff helpers: one CLI, one subcommand per job (``handoff_helpers.py <command> --help``).

The command markdown (.claude/commands/handoff.md, resume.md) only orchestrates; everything
that reads or writes state, logs or git goes through here. Each subcommand lives in its own
module ``lib/commands/<name>.py`` (``add_arguments(parser)`` and ``run(args, project) -> int``) and is
imported only when called, so ``resume`` does not pay for ``jsonschema``.

Exit codes: 0 ok; 1 an expected failure, reported as one ``handoff: ...`` line on stderr;
2 bad usage (argparse); 3 a missing Python package, with the command that installs it.
"""

from __future__ import annotations

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.core.errors import HelperError, one_line  # noqa: E402

# name -> (module, one-line help)
COMMANDS = {
    "telemetry-read": ("lib.commands.telemetry_read", "print a session's telemetry record (JSON)"),
    "whoami": ("lib.commands.whoami", "print (or --set) the operator's initials"),
    "git-stats": ("lib.commands.git_stats", "commits, files and lines changed since the session start (JSON)"),
    "write-session": ("lib.commands.write_session", "write docs/sessions/<OP>-<YYMMDD>-<NN>.md from JSON on stdin"),
    "archive-state": ("lib.commands.archive_state", "archive a session's state and its redacted transcript"),
    "changelog": ("lib.commands.changelog", "append the session's commits to handoff's commit log"),
    "validate": ("lib.commands.validate", "check session logs and workstreams against their schemas"),
    "resume": ("lib.commands.resume", "the /resume dashboard"),
    "backfill": ("lib.commands.backfill", "add operator: to legacy CONV-*.md logs"),
    "regen-indexes": ("lib.commands.regen_indexes", "regenerate docs/sessions/INDEX.md and workstreams/INDEX.md"),
    "renumber": ("lib.commands.renumber", "give a local, unpushed session log the next free id"),
    "merge-driver": ("lib.commands.merge_driver", "git's merge driver for the commit log and indexes (--configure)"),
    "digest": ("lib.commands.digest", "the week in numbers: a week and the week before, side by side"),
    "reflect-write": ("lib.commands.reflect_write", "write docs/reflections/<week>.md and its charts from a draft"),
    "search": ("lib.commands.search", "ranked search over every session log and workstream (/recall)"),
    "learnings": ("lib.commands.learnings", "every Learnings item of every log, newest first"),
    "decisions": ("lib.commands.decisions", "every Decisions Made item of every log, newest first"),
    "usage": ("lib.commands.usage", "tokens and cost per session (or per day) from the transcripts"),
    "memory": ("lib.commands.memory", "the team memory: decisions in force, open questions, learnings (SessionStart)"),
    "pr-summary": ("lib.commands.pr_summary", "the sessions of a pull request's commits (markdown or JSON)"),
    "report": ("lib.commands.report", "the static HTML report of every session (prints the path to open)"),
}
THIRD_PARTY = {"yaml": "pyyaml", "jsonschema": "jsonschema", "filelock": "filelock", "markdown_it": "markdown-it-py"}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: handoff_helpers.py <command> [options]", "", "commands:"]
    lines += ["  %s  %s" % (name.ljust(width), help_) for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def missing_dependency_hint(package: str) -> str:
    from lib.install.runtime import setup_command

    return "handoff: missing Python package %r; run: %s" % (package, setup_command())


ROOT_HELP = "project root (default: $CLAUDE_PROJECT_DIR, else the git top level)"


def _parse(module, name: str, help_: str, argv: list):
    import argparse

    parser = argparse.ArgumentParser(prog="handoff_helpers.py " + name, description=help_)
    parser.add_argument("--root", help=ROOT_HELP)
    module.add_arguments(parser)
    return parser.parse_args(argv)


def _project(args):
    """The one `Project` of this run (lib/core/project.py), built here and passed down."""
    from lib.core.discovery import Unavailable, discover

    try:
        project = discover(args.root)
    except HelperError as exc:
        if getattr(args, "no_fail", False):  # the command reports it in its own format
            return Unavailable(exc)
        raise
    _migrate_legacy_state(project)
    return project


def _migrate_legacy_state(project) -> None:
    """Move a worktree's old ``.claude/state/`` into the shared state dir (lib/core/state_migration.py)
    before any command reads state: every helper run picks up a count an old-code hook left there."""
    from lib.core import project as project_mod
    from lib.core import statefiles

    old = project_mod.legacy_state_to_migrate(project)
    if old is None or not os.path.isdir(old):  # one stat in the usual case: nothing to move
        return
    from lib.core import state_migration

    if not state_migration.has_records(project):
        return

    def log(reason: str) -> None:
        statefiles.append_error_log(project.state_dir, "%s migration %s" % (statefiles.now_iso(), reason))

    try:
        state_migration.migrate(project, log)
    except OSError as exc:  # the state stays where it is; the commands still run
        print("handoff: warning: %s: not moved to %s (%s)" % (
            project_mod.legacy_state_dir(project.root), project.state_dir, exc.strerror or exc), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    name = argv[0]
    if name not in COMMANDS:
        print("handoff: unknown command %r\n\n%s" % (name, _usage()), file=sys.stderr)
        return 2
    module_name, help_ = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
        args = _parse(module, name, help_, argv[1:])
        return int(module.run(args, _project(args)) or 0)
    except HelperError as exc:
        print("handoff: %s" % one_line(str(exc)), file=sys.stderr)
        return exc.exit_code
    except ModuleNotFoundError as exc:
        if exc.name == module_name:  # a partial install (e.g. an old copy of scripts/lib/)
            print("handoff: command %r is not installed in this bundle (%s missing)" % (name, module_name),
                  file=sys.stderr)
            return 1
        if exc.name in THIRD_PARTY:
            print(missing_dependency_hint(THIRD_PARTY[exc.name]), file=sys.stderr)
            return 3
        raise
    except BrokenPipeError:  # e.g. `... | head`: not an error of ours
        return 0


if __name__ == "__main__":
    sys.exit(main())
