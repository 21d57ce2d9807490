#!/usr/bin/env python3
"""Install the handoff bundle into a repository (project-local), or remove it again.

    python3 scripts/install.py /path/to/repo              # or: make install TARGET=/path/to/repo
    python3 scripts/install.py --uninstall /path/to/repo  # or: make uninstall TARGET=/path/to/repo

Copies the helper scripts and the /handoff and /resume commands, merges the telemetry hook into
the target's .claude/settings.json (keeping every hook and setting of yours; a second run changes
nothing), adds .claude/state/ to .gitignore, creates docs/sessions/ and workstreams/ with their
READMEs, and sets up <repo>/.venv with the helpers' packages (or prints the one command that
does). Everything added is listed in <repo>/.claude/handoff-install.json; --uninstall removes
exactly that. See scripts/lib/install/installer.py. Standard library only.

Exit codes: 0 done; 1 refused (one line on stderr, nothing changed); 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if sys.version_info < (3, 10):
    sys.exit("handoff install: needs Python 3.10+ (this is %d.%d)" % sys.version_info[:2])

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lib.install.installer import InstallError, install, uninstall  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path, help="the repository to install into (or remove from)")
    parser.add_argument("--uninstall", action="store_true", help="remove exactly what the install added")
    parser.add_argument(
        "--no-venv",
        action="store_true",
        help="do not create <target>/.venv; print the command that sets up the helpers' packages instead",
    )
    parser.add_argument(
        "--python",
        default=os.environ.get("HANDOFF_BASE_PYTHON") or sys.executable,
        help="the interpreter that creates the venv (default: this one)",
    )
    args = parser.parse_args(argv)
    try:
        if args.uninstall:
            return uninstall(args.target)
        return install(HERE.parent, args.target, "skip" if args.no_venv else "auto", args.python)
    except InstallError as exc:
        print(f"handoff install: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
