"""Which Python runs the helpers, and the one command that sets it up.

``scripts/handoff`` (the launcher) picks the interpreter and tells the helper, through the
environment, which venv it wanted (``HANDOFF_VENV``) and which requirements file goes with it
(``HANDOFF_REQUIREMENTS``): the project's ``.venv`` for a project-local install, the plugin's
``<CLAUDE_PLUGIN_DATA>/venv`` for a plugin. ``setup_command`` turns that into one shell line the
user can paste as is; the launcher uses the venv from its next call on.
"""

from __future__ import annotations

import os
import shlex
import sys

SCRIPTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # scripts/lib/install/
BUNDLE = os.path.dirname(SCRIPTS)


def default_requirements() -> str:
    """The installed copy (project-local install) or the bundle's own list."""
    installed = os.path.join(SCRIPTS, "handoff-requirements.txt")
    return installed if os.path.isfile(installed) else os.path.join(BUNDLE, "requirements.txt")


def setup_command(environ=None, executable: str | None = None) -> str:
    """One line that installs the helpers' packages where the launcher will look for them."""
    environ = os.environ if environ is None else environ
    req = shlex.quote(environ.get("HANDOFF_REQUIREMENTS") or default_requirements())
    if environ.get("HANDOFF_PYTHON"):  # the user's choice of interpreter: install into it
        return "%s -m pip install -r %s" % (shlex.quote(executable or sys.executable), req)
    venv = environ.get("HANDOFF_VENV") or os.path.join(BUNDLE, ".venv")
    python = shlex.quote(os.path.join(venv, "bin", "python"))
    if os.path.exists(os.path.join(venv, "bin", "python")):
        return "%s -m pip install -r %s" % (python, req)
    return "python3 -m venv %s && %s -m pip install -r %s" % (shlex.quote(venv), python, req)
