#!/usr/bin/env python3
"""handoff helpers: one CLI, one subcommand per job (``handoff_helpers.py <command> --help``).

The command markdown (.claude/commands/handoff.md, resume.md) only orchestrates; everything
that reads or writes state, logs or git goes through here. Each subcommand lives in its own
module ``lib/cmd_<name>.py`` (``add_arguments(parser)`` and ``run(args) -> int``) and is
imported only when called, so ``resume`` does not pay for ``jsonschema``.

Exit codes: 0 ok; 1 an expected failure, reported as one ``handoff: ...`` line on stderr;
2 bad usage (argparse); 3 a missing Python package, with the command that installs it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.errors import HelperError  # noqa: E402

# name -> (module, one-line help)
COMMANDS = {
    "telemetry-read": ("lib.cmd_telemetry_read", "print a session's telemetry record (JSON)"),
    "whoami": ("lib.cmd_whoami", "print (or --set) the operator's initials"),
    "git-stats": ("lib.cmd_git_stats", "commits, files and lines changed since the session start (JSON)"),
    "write-session": ("lib.cmd_write_session", "write docs/sessions/<OP>-<YYMMDD>-<NN>.md from JSON on stdin"),
    "archive-state": ("lib.cmd_archive_state", "archive a session's state and its redacted transcript"),
    "changelog": ("lib.cmd_changelog", "append the session's commits to CHANGELOG.md"),
    "validate": ("lib.cmd_validate", "check session logs and workstreams against their schemas"),
    "resume": ("lib.cmd_resume", "the /resume dashboard"),
    "backfill": ("lib.cmd_backfill", "add operator: to legacy CONV-*.md logs"),
    "regen-indexes": ("lib.cmd_regen_indexes", "regenerate docs/sessions/INDEX.md and workstreams/INDEX.md"),
}
THIRD_PARTY = {"yaml": "pyyaml", "jsonschema": "jsonschema", "filelock": "filelock"}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: handoff_helpers.py <command> [options]", "", "commands:"]
    lines += ["  %s  %s" % (name.ljust(width), help_) for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def missing_dependency_hint(package: str) -> str:
    from lib.runtime import setup_command

    return "handoff: missing Python package %r; run: %s" % (package, setup_command())


def main(argv: list[str] | None = None) -> int:
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
        parser = argparse.ArgumentParser(prog="handoff_helpers.py " + name, description=help_)
        parser.add_argument("--root", help="project root (default: $CLAUDE_PROJECT_DIR, else the git top level)")
        module.add_arguments(parser)
        args = parser.parse_args(argv[1:])
        return int(module.run(args) or 0)
    except HelperError as exc:
        print("handoff: %s" % exc, file=sys.stderr)
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
