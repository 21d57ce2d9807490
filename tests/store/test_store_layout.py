"""The installer runs before any venv exists and imports store's set-up modules: those must load
with the standard library alone and import nothing else of ours (the merge driver's modules too:
git runs it on a bare ``python3``)."""

from __future__ import annotations

import ast
import subprocess
import sys

from storeutil import REPO

STORE = REPO / "scripts" / "lib" / "store"
SETUP_MODULES = ("attributes", "gitsetup", "precommit")


def test_setup_modules_import_only_the_standard_library_and_each_other():
    for name in SETUP_MODULES:
        tree = ast.parse((STORE / (name + ".py")).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 and (node.module or "") in ("",) + SETUP_MODULES, (name, node.module)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                assert all(m.split(".")[0] in sys.stdlib_module_names for m in mods), (name, mods)


def test_merge_driver_runs_without_third_party_packages(tmp_path):
    """``python3 -S -I``-like: no site-packages, so no yaml/jsonschema/filelock."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import lib.commands.merge_driver, lib.store.merge\n"
        "bad = [m for m in ('yaml', 'jsonschema', 'filelock') if m in sys.modules]\n"
        "sys.exit(str(bad) if bad else 0)\n"
    ) % str(REPO / "scripts")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr + out.stdout
