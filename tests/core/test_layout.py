"""The layout's rules, checked so that breaking one fails a test (docs/ARCHITECTURE.md).

- The hook loads only the standard library and ``lib.core``: every module costs milliseconds on
  every tool call, and the hook runs as ``python3 -S`` where the helpers' packages are not even
  visible. Checked from inside the registered hook command, run as a real process.
- ``lib.core`` imports nothing from its sibling packages (it is the leaf everyone may import).
- Packages import only downwards (the table below); ``lib.commands`` is imported by nobody.
- Importing one command module imports no other command module (the dispatcher loads only the
  command it runs, so ``resume`` never pays for ``write-session``'s jsonschema).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hookutil import REPO, payload, registered_command, run_hook, state_dir

LIB = REPO / "scripts" / "lib"
STDLIB = set(sys.stdlib_module_names) | {"__main__", "_distutils_hack"}
# Which package may import which (the diagram in docs/ARCHITECTURE.md). Capabilities added
# later get their own row; a missing row fails `test_every_package_has_a_rule`.
ALLOWED = {
    "core": set(),
    "state": {"core"},
    "logs": {"core", "state"},
    "resume": {"core", "state", "logs"},
    "install": {"core"},
    "digest": {"core", "state", "logs", "resume"},
    "commands": {"core", "state", "logs", "resume", "install", "digest"},
}


def packages() -> list[str]:
    return sorted(p.name for p in LIB.iterdir() if (p / "__init__.py").is_file())


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every import in the file, lazy ones inside functions included: ``(level, module)`` with
    level 0 for absolute imports; ``from . import x`` gives ``(1, "x")``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level and not node.module:
                out += [(node.level, alias.name) for alias in node.names]
            else:
                out.append((node.level, node.module or ""))
    return out


def sibling_packages_imported(package: str) -> dict[str, set[str]]:
    """``{module file: {other packages it imports}}`` for one package."""
    found = {}
    for path in sorted((LIB / package).glob("*.py")):
        others = set()
        for level, module in imports_of(path):
            if level >= 2:  # from ..logs import x / from ..logs.frontmatter import y
                others.add(module.split(".")[0])
            elif level == 0 and module.split(".")[0] == "lib":
                others.add(module.split(".")[1] if "." in module else "lib")
        others.discard(package)
        if others:
            found[path.name] = others
    return found


def test_every_package_has_a_rule():
    assert set(packages()) == set(ALLOWED), "add the new package to ALLOWED and to docs/ARCHITECTURE.md"


def test_package_init_files_are_empty():
    """No re-exports: importing a package must not import its modules."""
    for package in packages():
        assert (LIB / package / "__init__.py").read_text().strip() == "", package
    assert (LIB / "__init__.py").read_text().strip() == ""


def test_core_imports_no_sibling_and_only_the_standard_library():
    assert sibling_packages_imported("core") == {}
    for path in sorted((LIB / "core").glob("*.py")):
        third_party = {m for level, m in imports_of(path) if level == 0 and m.split(".")[0] not in STDLIB}
        assert not third_party, "%s imports %s" % (path.name, third_party)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_downwards(package):
    if not (LIB / package).is_dir():
        pytest.fail("package %s is missing" % package)
    bad = {name: others - ALLOWED[package] for name, others in sibling_packages_imported(package).items()}
    assert not {k: v for k, v in bad.items() if v}, bad


def test_registered_hook_loads_only_stdlib_and_core(project, tmp_path):
    """Run the hook command exactly as registered, on a captured payload, and ask the process."""
    dump = tmp_path / "modules.txt"
    proc = run_hook(project, payload("PostToolUse"), env_extra={"HANDOFF_DUMP_MODULES": str(dump)},
                    command=registered_command("PostToolUse"))
    assert proc.returncode == 0 and proc.stdout == b""
    loaded = dump.read_text().split("\n")
    ours = {m for m in loaded if m == "lib" or m.startswith("lib.")}
    assert {m for m in ours if not (m in ("lib", "lib.core") or m.startswith("lib.core."))} == set()
    assert "lib.core.session_hook" in ours  # the dump is real: the hook's own module is in it
    foreign = {m for m in loaded if m.split(".")[0] not in STDLIB and m.split(".")[0] != "lib"}
    assert foreign == set()
    # the count really happened in that process
    state = json.loads(next(state_dir(project).glob("session-*.json")).read_text())
    assert state["tool_calls_total"] == 1


def command_modules() -> list[str]:
    return sorted(p.stem for p in (LIB / "commands").glob("*.py") if p.stem != "__init__")


def test_every_registered_command_has_its_module():
    sys.path.insert(0, str(REPO / "scripts"))
    import handoff_helpers

    registered = {module.rsplit(".", 1)[1] for module, _ in handoff_helpers.COMMANDS.values()}
    assert registered == set(command_modules())


def test_command_modules_import_no_other_command():
    """One interpreter per command module: import it, list what lib.commands.* came along."""
    code = (
        "import sys, importlib, json; sys.path.insert(0, sys.argv[1]); "
        "importlib.import_module('lib.commands.' + sys.argv[2]); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('lib.commands.'))))"
    )
    for name in command_modules():
        proc = subprocess.run(
            [sys.executable, "-c", code, str(REPO / "scripts"), name], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == ["lib.commands." + name], name
