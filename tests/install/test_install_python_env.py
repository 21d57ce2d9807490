"""The helpers' Python: the installer's ``<repo>/.venv``, the plugin launcher's venv in its data dir,
and the one line printed when the packages are missing.

Nothing is downloaded: pip installs from a wheelhouse rebuilt from the packages already installed
in the interpreter running the tests (``make setup``), with every index switched off. Real
``python -m venv``, real pip, real launcher.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real venvs: about 4 s of ensurepip each

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "scripts" / "install.py"
TOP_LEVEL = ("pyyaml", "jsonschema", "filelock", "markdown-it-py")
SKIP_DIST_INFO = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure() -> list[metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = list(TOP_LEVEL)
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or marker-excluded requirement that is not installed
        seen[name] = dist
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.match(r"[A-Za-z0-9_.-]+", req).group(0))
    return list(seen.values())


def _rebuild_wheel(dist: metadata.Distribution, out_dir: Path) -> Path:
    """A wheel of an installed distribution: its files under site-packages and a fresh RECORD."""
    site = Path(dist.locate_file(""))
    files = [f for f in dist.files or [] if not str(f).startswith("..") and "__pycache__" not in f.parts]
    info_dir = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    tag = next(line.split(":", 1)[1].strip() for line in dist.read_text("WHEEL").splitlines()
               if line.startswith("Tag:"))
    name = re.sub(r"[-.]+", "_", dist.metadata["Name"])
    wheel = out_dir / f"{name}-{dist.version}-{tag}.whl"
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            if f.parts[0] == info_dir and f.name in SKIP_DIST_INFO:
                continue
            data = (site / f).read_bytes()
            zf.writestr(f.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{f.as_posix()},sha256={digest},{len(data)}")
        record.append(f"{info_dir}/RECORD,,")
        zf.writestr(f"{info_dir}/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    dists = _closure()
    assert {_norm(d.metadata["Name"]) for d in dists} >= set(TOP_LEVEL), "run `make setup` first"
    for dist in dists:
        _rebuild_wheel(dist, out)
    return out


@pytest.fixture(scope="module")
def bare_bin(tmp_path_factory) -> Path:
    """A bin/ whose python3 has the standard library only (whatever the machine's python3 has)."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([_base_python(), "-m", "venv", "--without-pip", str(venv)], check=True)
    probe = subprocess.run([str(venv / "bin" / "python3"), "-c", "import yaml"], capture_output=True)
    assert probe.returncode != 0
    return venv / "bin"


def _env(wheelhouse: Path | None, bare: Path, **extra: str) -> dict[str, str]:
    """No index, no pip config; the wheelhouse (if any) is the only source of packages, and the
    ``python3`` on PATH has none of them."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLAUDE", "HANDOFF_", "PIP_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env["PIP_FIND_LINKS"] = str(wheelhouse) if wheelhouse else ""
    env["PATH"] = f"{bare}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _base_python() -> str:
    """A python3 outside any venv, the one `python -m venv` should start from."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _plugin_copy(tmp_path: Path) -> Path:
    """The plugin's files without the checkout's .venv (which the launcher would otherwise use)."""
    root = tmp_path / "plugin"
    shutil.copytree(REPO / "scripts", root / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "requirements.txt", root / "requirements.txt")
    return root


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    return project


def _run(argv, env, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# -- the plugin launcher --------------------------------------------------------------------------


def test_plugin_launcher_creates_its_venv_on_first_use_and_reuses_it(tmp_path, wheelhouse, bare_bin):
    plugin, project, data = _plugin_copy(tmp_path), _project(tmp_path), tmp_path / "plugin-data"
    env = _env(wheelhouse, bare_bin)
    launcher = [str(plugin / "scripts" / "handoff"), "--data", str(data)]
    # `validate` imports jsonschema and yaml: it fails without the packages.
    first = _run([*launcher, "validate"], env, project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "first use" in first.stderr
    venv = data / "venv"
    assert (venv / "bin" / "python").exists()
    assert (venv / ".handoff-requirements").read_bytes() == (plugin / "requirements.txt").read_bytes()
    assert not list(data.glob("venv.tmp.*"))

    again = _run([*launcher, "validate"], env, project)
    assert again.returncode == 0 and "first use" not in again.stderr
    # The state the helpers write is the project's, never the plugin's or the data dir's.
    assert not (plugin / ".claude").exists()

    # New requirements (a plugin update): the venv is rebuilt once.
    (plugin / "requirements.txt").write_text((plugin / "requirements.txt").read_text() + "# v2\n")
    third = _run([*launcher, "validate"], env, project)
    assert third.returncode == 0 and "first use" in third.stderr
    assert (venv / ".handoff-requirements").read_text().endswith("# v2\n")


def test_plugin_launcher_offline_prints_one_line_that_fixes_it(tmp_path, wheelhouse, bare_bin):
    plugin, project, data = _plugin_copy(tmp_path), _project(tmp_path), tmp_path / "plugin-data"
    launcher = [str(plugin / "scripts" / "handoff"), "--data", str(data)]
    offline = _env(None, bare_bin)  # no index, no wheelhouse: pip cannot install anything
    out = _run([*launcher, "validate"], offline, project)
    assert out.returncode == 3, out.stdout + out.stderr
    hint = [line for line in out.stderr.splitlines() if line.startswith("handoff: missing Python package")]
    assert len(hint) == 1 and "Traceback" not in out.stderr
    command = hint[0].split("; run: ", 1)[1]
    assert str(data / "venv") in command and str(plugin / "requirements.txt") in command
    assert not (data / "venv").exists() and not list(data.glob("venv.tmp.*"))  # nothing half-made
    assert (data / "venv-setup.failed").exists()

    # A second call does not try pip again for a while: it is quick and prints the same line.
    out = _run([*launcher, "validate"], offline, project)
    assert out.returncode == 3 and "first use" not in out.stderr and command in out.stderr

    # The printed line, run as is (with packages available), is all it takes.
    fix = _run(["sh", "-c", command], _env(wheelhouse, bare_bin))
    assert fix.returncode == 0, fix.stdout + fix.stderr
    out = _run([*launcher, "validate"], offline, project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (data / "venv" / ".handoff-requirements").exists()  # adopted


# -- the installer's .venv --------------------------------------------------------------------------


def test_install_creates_the_project_venv_and_uninstall_removes_it(tmp_path, wheelhouse, bare_bin):
    project = _project(tmp_path)
    out = _run([sys.executable, INSTALL, "--python", _base_python(), project], _env(wheelhouse, bare_bin))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "run: " not in out.stdout  # nothing left to do by hand
    assert (project / ".gitignore").read_text() == ".claude/state/\nscripts/**/__pycache__/\n.venv/\n"
    # The launcher finds it without any configuration.
    check = _run([project / "scripts" / "handoff", "telemetry-read"], _env(None, bare_bin), project)
    assert check.returncode == 1 and check.stderr.startswith("handoff: no telemetry recorded yet"), check.stderr
    # A second run finds the packages in place and changes nothing.
    again = _run([sys.executable, INSTALL, project], _env(None, bare_bin))
    assert again.returncode == 0 and "up to date" in again.stdout and "run: " not in again.stdout

    out = _run([sys.executable, INSTALL, "--uninstall", project], _env(None, bare_bin))
    assert out.returncode == 0, out.stderr
    assert not (project / ".venv").exists() and not (project / ".gitignore").exists()


def test_install_offline_leaves_no_venv_and_prints_the_command(tmp_path, wheelhouse, bare_bin):
    project = _project(tmp_path)
    out = _run([sys.executable, INSTALL, "--python", _base_python(), project], _env(None, bare_bin))
    assert out.returncode == 0, out.stdout + out.stderr  # the bundle is installed; only the packages are missing
    assert not (project / ".venv").exists()
    hint = [line for line in out.stdout.splitlines() if "; run: " in line]
    assert len(hint) == 1
    command = hint[0].split("; run: ", 1)[1]
    assert command.startswith("python3 -m venv ")
    # The helpers say the same when called.
    helper = _run([project / "scripts" / "handoff", "validate"], _env(None, bare_bin), project)
    assert helper.returncode == 3 and helper.stderr.strip().endswith("; run: " + command), helper.stderr
    assert command == (
        f"python3 -m venv {project}/.venv && {project}/.venv/bin/python -m pip install -r "
        f"{project}/scripts/handoff-requirements.txt"
    )  # running such a line is tested above, for the plugin's venv


def test_an_existing_user_venv_without_the_packages_is_left_alone(tmp_path, wheelhouse, bare_bin):
    project = _project(tmp_path)
    subprocess.run([_base_python(), "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    before = sorted(p.name for p in (project / ".venv").rglob("*"))
    out = _run([sys.executable, INSTALL, project], _env(wheelhouse, bare_bin))
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if "; run: " in line)
    assert "lacks pyyaml" in line and f"{project}/.venv/bin/python -m pip install -r" in line
    assert sorted(p.name for p in (project / ".venv").rglob("*")) == before
    assert ".venv" not in (project / ".gitignore").read_text()
    subprocess.run([sys.executable, str(INSTALL), "--uninstall", str(project)], check=True, capture_output=True)
    assert (project / ".venv" / "bin").is_dir()  # the user's venv stays
