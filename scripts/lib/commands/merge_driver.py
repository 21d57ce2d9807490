"""``merge-driver BASE OURS THEIRS PATH`` (git runs it) | ``merge-driver --configure [--no-fail]``.

As git's merge driver (``%O %A %B %P``): merges into OURS, see lib/store/merge.py; exit 0, or
non-zero with OURS untouched (the configured ``|| git merge-file --union`` then merges).

``--configure``: sets the driver up in this repository's git config and
``<git common dir>/info/attributes`` when it is not (lib/store/gitsetup.py); idempotent, one
line of output. ``/handoff`` runs it (``--no-fail``: a failure is reported, exit 0), so plugin
installs and clones that never ran the installer get canonical merges too.
"""

from __future__ import annotations

import os
import sys

from ..core.errors import HelperError

SCRIPTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELPERS = os.path.join(SCRIPTS, "handoff_helpers.py")


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="*", metavar="BASE OURS THEIRS PATH", help="what git passes (%%O %%A %%B %%P)")
    parser.add_argument("--configure", action="store_true", help="set the driver up in this repository (idempotent)")
    parser.add_argument("--no-fail", action="store_true", help="with --configure: report a failure, exit 0")


def _configure(project, no_fail: bool) -> int:
    from ..store import gitsetup

    try:
        root = project.root
        command = gitsetup.driver_command(root, HELPERS)
        record = gitsetup.configure(root, command, project.changelog_relpath())
    except (gitsetup.SetupError, HelperError, OSError) as exc:
        if no_fail:
            print("merge driver: not configured (%s); merges still never conflict (union)" % exc)
            return 0
        raise HelperError("merge driver: %s" % exc) from None
    print("merge driver: %s" % ("configured" if record["changed"] else "up to date"))
    return 0


def run(args, project) -> int:
    if args.configure:
        return _configure(project, args.no_fail)
    if len(args.files) != 4:
        raise HelperError("merge-driver: expected BASE OURS THEIRS PATH (git's %O %A %B %P), or --configure")
    from ..store.merge import merge_files

    base, ours, theirs, path = args.files
    try:
        merge_files(base, ours, theirs, path)
    except (OSError, RuntimeError, ValueError) as exc:
        print("handoff: merge-driver: %s: %s" % (path, exc), file=sys.stderr)
        return 1
    return 0
