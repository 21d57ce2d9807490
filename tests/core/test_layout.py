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

from hookutil import PAYLOADS, REPO, registered_command, run_hook, state_dir

LIB = REPO / "scripts" / "lib"
STDLIB = set(sys.stdlib_module_names) | {"__main__", "_distutils_hack"}
# Which package may import which (the diagram in docs/ARCHITECTURE.md). Capabilities added
# later get their own row; a missing row fails `test_every_package_has_a_rule`.
ALLOWED = {
    "core": set(),
    "state": {"core"},
    "logs": {"core", "state", "usage"},
    "catalog": {"core", "state", "logs"},
    "resume": {"core", "state", "logs", "usage", "catalog"},
    "install": {"core", "store"},  # store's standard-library modules only: tests/store/test_store_layout.py
    "store": {"core", "state", "logs", "resume", "catalog"},  # state: renumber takes write-session's id lock
    "recall": {"core", "state", "logs", "catalog"},
    "commands": {"core", "state", "logs", "resume", "usage", "store", "recall", "digest", "install", "catalog",
                 "memory", "report"},
    "digest": {"core", "logs", "catalog"},
    "usage": {"core"},
    "memory": {"core", "state", "logs", "catalog", "store"},
    "report": {"core", "state", "logs", "usage", "catalog", "digest", "memory", "store"},
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


# Each registered event with a payload the real CLI 2.1.329 sent (tests/e2e/FINDINGS.md).
CAPTURED = {
    "PostToolUse": "probe-basic-PostToolUse-Bash",
    "PostToolUseFailure": "probe-bashfail-PostToolUseFailure-Bash",
    "PreToolUse": "probe-subagent-PreToolUse-Agent",
    "SessionStart": "probe-basic-SessionStart",
    "SessionEnd": "probe-basic-SessionEnd",
    "SubagentStart": "probe-subagent-SubagentStart",
    "SubagentStop": "probe-subagent-SubagentStop",
}


def _plugin_command(event: str) -> str:
    """The plugin's registration of the same hook (hooks/hooks.json), with its root filled in."""
    hooks = json.loads((REPO / "hooks" / "hooks.json").read_text())["hooks"][event]
    return hooks[0]["hooks"][0]["command"].replace("${CLAUDE_PLUGIN_ROOT}", str(REPO))


@pytest.mark.parametrize("install", ["project", "plugin"])
@pytest.mark.parametrize("event", sorted(CAPTURED))
def test_registered_hook_loads_only_stdlib_and_core(project, tmp_path, event, install):
    """Run the hook command exactly as registered (every event, both install modes, with the
    opt-in SessionStart context on so its module loads too) and ask the process what it loaded."""
    config = json.loads((project / ".claude" / "handoff.json").read_text())
    config["resume_on_start"] = True
    (project / ".claude" / "handoff.json").write_text(json.dumps(config))
    dump = tmp_path / "modules.txt"
    command = registered_command(event) if install == "project" else _plugin_command(event)
    assert command, "no %s registration for %s" % (install, event)
    extra = {"HANDOFF_DUMP_MODULES": str(dump), "HANDOFF_PYTHON": sys.executable}
    if install == "plugin":  # a plugin-only install: the project has no copy of the hook
        (project / "scripts" / "hooks" / "session_state.py").unlink()
        extra["CLAUDE_PLUGIN_ROOT"] = str(REPO)
    captured = json.loads((PAYLOADS / (CAPTURED[event] + ".json")).read_text())["stdin"]
    assert captured["hook_event_name"] == event
    proc = run_hook(project, captured, env_extra=extra, command=command, timeout=30)
    assert proc.returncode == 0
    loaded = dump.read_text().split("\n")
    ours = {m for m in loaded if m == "lib" or m.startswith("lib.")}
    assert {m for m in ours if not (m in ("lib", "lib.core") or m.startswith("lib.core."))} == set()
    assert "lib.core.session_hook" in ours  # the dump is real: the hook's own module is in it
    if event == "SessionStart":
        assert "lib.core.session_start_context" in ours
    foreign = {m for m in loaded if m.split(".")[0] not in STDLIB and m.split(".")[0] != "lib"}
    assert foreign == set()
    # the event really went through that process: there is a record, and no error was logged
    assert list(state_dir(project).glob("session-*.json")), proc.stderr
    errors = state_dir(project) / "hook-errors.log"
    assert not errors.exists() or "dropped" not in errors.read_text()


def test_core_never_imports_dynamically():
    """A dynamic import (importlib, __import__) hides an edge from the static checks above."""
    for path in sorted((LIB / "core").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not names & {"__import__", "import_module"}, path.name
        assert "importlib" not in {m.split(".")[0] for _, m in imports_of(path)}, path.name


def command_modules() -> list[str]:
    return sorted(p.stem for p in (LIB / "commands").glob("*.py") if p.stem != "__init__")


def test_every_registered_command_has_its_module():
    sys.path.insert(0, str(REPO / "scripts"))
    import handoff_helpers

    registered = {module.rsplit(".", 1)[1] for module, _ in handoff_helpers.COMMANDS.values()}
    assert registered == set(command_modules())


def test_the_readme_lists_every_helper_in_one_table():
    """README.md's helper table: one block of rows (no paragraph splitting it), a row per
    subcommand users can run (issue 20 item 2: ``usage`` sat below a paragraph)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import handoff_helpers

    lines = (REPO / "README.md").read_text().splitlines()
    head = lines.index("| command | does |")
    rows = []
    for line in lines[head + 2 :]:
        if not line.startswith("| "):
            break
        rows.append(line.split("`")[1].split()[0])
    assert set(rows) == set(handoff_helpers.COMMANDS), set(handoff_helpers.COMMANDS) ^ set(rows)
    assert not any(line.startswith("| `") for line in lines[head + 2 + len(rows) :])


def test_command_modules_never_name_a_sibling_command():
    """Statically too: a lazy ``from . import whoami`` inside ``run`` only shows when it runs."""
    commands = set(command_modules())
    for name in sorted(commands):
        path = LIB / "commands" / (name + ".py")
        for level, module in imports_of(path):
            target = module.split(".")[0] if level == 1 else (module.split(".")[2] if module.startswith(
                "lib.commands.") and level == 0 else None)
            assert target not in commands - {name}, "%s imports commands.%s" % (name, target)


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
