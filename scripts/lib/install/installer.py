"""Project-local install of the handoff bundle into another repository, and its removal.

Used by ``scripts/install.py`` (the CLI). Standard library only: it runs before any venv exists.

What an install adds to the target (all of it listed in ``.claude/handoff-install.json``, the
manifest, so that ``--uninstall`` removes exactly that):

- code: ``scripts/handoff`` (launcher), ``scripts/handoff_helpers.py``, ``scripts/hooks/``,
  ``scripts/lib/``, ``scripts/handoff-requirements.txt`` (the target's own ``requirements.txt``
  is the user's), ``.claude/commands/*.md``. A file of the user's with the same path and other
  content is a conflict: nothing is installed. Files the manifest lists and nobody changed are
  updated in place (an upgrade).
- seeds, created only when absent: ``.claude/handoff.json``, ``docs/sessions/README.md``,
  ``workstreams/README.md``.
- the bundle's hook entries, merged into ``.claude/settings.json``: the user's hooks and other
  settings are kept, an entry that is already there is not added twice, and the file keeps its
  indentation; running the install again leaves it byte-identical. ``--uninstall`` takes out
  exactly the entries added (and writes the user's original bytes back when nothing else
  changed). A settings file that is not valid JSON stops the install before anything is
  written.
- ``.claude/state/`` and ``scripts/**/__pycache__/`` in ``.gitignore`` (and ``.venv/`` when the
  install creates the venv).
- the team store (scripts/lib/store/): the ``union`` lines in ``.gitattributes`` (merged into
  the user's file, never rewriting their lines) for handoff's own files only: the commit log is
  ``CHANGELOG.md`` only where that file already is ours, else ``docs/sessions/CHANGELOG.md`` or
  the configured path (core/changelog_path.py); a user's changelog is never touched. In a git
  repository also the ``handoff`` merge driver (git config + ``info/attributes``) and the
  ``pre-commit`` hook that validates staged logs (chaining the user's hook). Each is recorded
  and undone exactly by ``--uninstall``.
- the helpers' Python: ``<target>/.venv`` (where ``scripts/handoff`` looks) with the packages of
  ``handoff-requirements.txt``; created if absent, left alone if it is the user's, and when it
  cannot be set up, one line with the command that does it.

It also offers, never installs, each GitHub Actions workflow of ``docs/ci/`` (`CI_WORKFLOWS`)
the target does not have yet: one line with the command that adds it (`ci_offers`).

The settings and ``.gitignore`` functions are pure (dicts and strings in, dicts and strings out).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MANIFEST = ".claude/handoff-install.json"
MANIFEST_VERSION = 1
SETTINGS = ".claude/settings.json"
GITIGNORE = ".gitignore"
STATE_IGNORE = ".claude/state/"
# Bytecode of the installed helpers and hook (the hook keeps its bytecode on purpose: it runs on
# every tool call); never something to commit.
PYCACHE_IGNORE = "scripts/**/__pycache__/"
VENV = ".venv"
REQUIREMENTS_DST = "scripts/handoff-requirements.txt"
HOOK_SCRIPT = "scripts/hooks/session_state.py"

WORKSTREAMS_README = """# Workstreams

One file per workstream: a longer piece of work that spans sessions and operators. `/resume`
shows your active workstreams with their next unchecked phase; `/handoff` records which
workstreams a session advanced (`workstreams:` in the session log). The frontmatter is checked
against `scripts/lib/logs/schemas/workstream.schema.json` (`scripts/handoff validate`).
"""


class InstallError(Exception):
    """Refused before anything was written; the message is one line for the user."""


# -- settings.json: merge and unmerge the hook entries (pure) ---------------------------------


def _matcher(group: dict) -> str:
    m = group.get("matcher")
    return "*" if m in (None, "", "*") else str(m)


def _commands(group: dict) -> list:
    return [h.get("command") for h in group.get("hooks") or [] if isinstance(h, dict)]


def hook_additions(bundle_settings: dict) -> list[dict]:
    """``[{"event", "group"}]``: the bundle's hook groups, in order."""
    out = []
    for event, groups in (bundle_settings.get("hooks") or {}).items():
        for group in groups:
            out.append({"event": event, "group": copy.deepcopy(group)})
    return out


def check_settings_shape(settings, where: str = SETTINGS) -> None:
    """Refuse a settings object whose ``hooks`` we could not merge into without guessing."""
    if not isinstance(settings, dict):
        raise InstallError(f"{where}: the top level is not a JSON object")
    hooks = settings.get("hooks")
    if hooks is None:
        return
    if not isinstance(hooks, dict):
        raise InstallError(f"{where}: 'hooks' is not an object")
    for event, groups in hooks.items():
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise InstallError(f"{where}: hooks.{event} is not a list of objects")


def _present(groups: list, group: dict) -> bool:
    """An entry running the same commands for the same matcher is already there."""
    wanted = _commands(group)
    for existing in groups:
        if _matcher(existing) == _matcher(group) and all(c in _commands(existing) for c in wanted):
            return True
    return False


def merge_hooks(settings: dict, additions: list[dict]) -> tuple[dict, dict]:
    """``(merged settings, record)``. ``record`` is what ``unmerge_hooks`` needs to undo it:
    ``added`` (the groups appended), ``events_created``, ``hooks_key_created``."""
    merged = copy.deepcopy(settings)
    record = {"added": [], "events_created": [], "hooks_key_created": False}
    for item in additions:
        event, group = item["event"], item["group"]
        if "hooks" not in merged:
            merged["hooks"] = {}
            record["hooks_key_created"] = True
        groups = merged["hooks"].get(event)
        if groups is None:
            groups = merged["hooks"][event] = []
            record["events_created"].append(event)
        if _present(groups, group):
            continue
        groups.append(copy.deepcopy(group))
        record["added"].append({"event": event, "group": copy.deepcopy(group)})
    return merged, record


def unmerge_hooks(settings: dict, record: dict) -> dict:
    """``settings`` without what ``merge_hooks`` added (the user's entries stay as they are)."""
    out = copy.deepcopy(settings)
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for item in reversed(record.get("added", [])):
        groups = hooks.get(item["event"])
        if not isinstance(groups, list):
            continue
        for i in range(len(groups) - 1, -1, -1):  # we appended: look from the end
            if groups[i] == item["group"]:
                del groups[i]
                break
    for event in record.get("events_created", []):
        if hooks.get(event) == []:
            del hooks[event]
    if record.get("hooks_key_created") and hooks == {}:
        del out["hooks"]
    return out


# -- JSON text that keeps the user's formatting (pure) -----------------------------------------


def json_style(text: str, obj=None) -> dict:
    """How a JSON document is laid out (indentation, separators, final newline), so that it is
    written back the same way: the first candidate that reproduces ``text`` exactly, else the
    indentation of its first indented line."""
    newline = text.endswith("\n")
    if obj is None:
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
    candidates = [{"indent": i, "compact": False} for i in (2, 4, "\t", 1, 3, 8)]
    candidates += [{"indent": None, "compact": True}, {"indent": None, "compact": False}]
    for cand in candidates:
        style = dict(cand, newline=newline)
        if obj is not None and dump_json(obj, style) == text:
            return style
    style = {"indent": 2, "newline": newline, "compact": False}
    for line in text.strip().splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped:
            lead = line[: len(line) - len(stripped)]
            style["indent"] = "\t" if lead.startswith("\t") else (len(lead) or 2)
            break
    return style


def dump_json(obj, style: dict | None = None) -> str:
    style = style or {"indent": 2, "newline": True, "compact": False}
    indent = style.get("indent")
    if indent is None:
        seps = (",", ":") if style.get("compact") else (", ", ": ")
    else:
        seps = (",", ": ")
    text = json.dumps(obj, indent=indent, ensure_ascii=False, separators=seps)
    return text + ("\n" if style.get("newline", True) else "")


def parse_settings(text: str, where: str = SETTINGS) -> dict:
    try:
        settings = json.loads(text)
    except ValueError as exc:
        raise InstallError(f"{where}: not valid JSON ({exc}); fix it and run the install again") from None
    check_settings_shape(settings, where)
    return settings


# -- .gitignore (pure) -------------------------------------------------------------------------


def _ignore_key(line: str) -> str:
    line = line.strip()
    if line.endswith("/*"):
        line = line[:-2]
    return line.strip("/")


def gitignore_add(text: str | None, lines: list[str]) -> tuple[str, dict]:
    """``(new text, record)``: ``lines`` appended unless an equivalent line is there."""
    from ..store.attributes import add_lines

    return add_lines(text, lines, key=_ignore_key)


def gitignore_remove(text: str, record: dict) -> str:
    from ..store.attributes import remove_lines

    return remove_lines(text, record)


# -- files --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleFile:
    src: Path
    dst: str  # posix path relative to the target
    kind: str  # "code": must match; "seed": created when absent, never overwritten if changed


def bundle_files(bundle: Path) -> list[BundleFile]:
    out = []
    scripts = bundle / "scripts"
    for name in ("handoff", "handoff_helpers.py"):
        out.append(BundleFile(scripts / name, f"scripts/{name}", "code"))
    for sub in ("hooks", "lib"):
        for path in sorted((scripts / sub).rglob("*")):
            rel = path.relative_to(bundle).as_posix()
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            if rel == "scripts/lib/install/installer.py":  # install tooling: runs from the bundle only
                continue
            out.append(BundleFile(path, rel, "code"))
    out.append(BundleFile(bundle / "requirements.txt", REQUIREMENTS_DST, "code"))
    for path in sorted((bundle / ".claude" / "commands").glob("*.md")):
        out.append(BundleFile(path, f".claude/commands/{path.name}", "code"))
    out.append(BundleFile(bundle / ".claude" / "handoff.json", ".claude/handoff.json", "seed"))
    out.append(BundleFile(bundle / "docs" / "sessions" / "README.md", "docs/sessions/README.md", "seed"))
    out.append(BundleFile(bundle / "workstreams" / "README.md", "workstreams/README.md", "seed"))
    return out


def _content(bf: BundleFile) -> bytes:
    if bf.src.is_file():
        return bf.src.read_bytes()
    if bf.dst == "workstreams/README.md":
        return WORKSTREAMS_README.encode()
    raise InstallError(f"bundle file missing: {bf.src}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    if path.is_symlink():
        raise InstallError(f"{path}: is a symbolic link; refusing to write through it")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InstallError(f"{path}: is a directory") from None


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.handoff-tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def _missing_dirs(target: Path, rel: str) -> list[str]:
    out = []
    parent = Path(rel).parent
    while str(parent) not in ("", "."):
        if not (target / parent).exists():
            out.append(parent.as_posix())
        parent = parent.parent
    return out


# -- the helpers' Python -------------------------------------------------------------------------

_CHECK_REQUIREMENTS = r"""
import re, sys
from importlib import metadata
def v(s):
    return tuple(int(p) for p in re.findall(r"\d+", s)[:4])
unmet = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    m = re.match(r"([A-Za-z0-9_.\-]+)\s*(?:>=\s*([0-9][0-9.]*))?", line)
    if not line or line.startswith("-") or not m:
        continue
    try:
        have = metadata.version(m.group(1))
    except metadata.PackageNotFoundError:
        unmet.append(line)
        continue
    if m.group(2) and v(have) < v(m.group(2)):
        unmet.append("%s (found %s)" % (line, have))
print("\n".join(unmet))
"""


def unmet_requirements(python: Path, requirements: Path) -> list[str] | None:
    """Requirement lines ``python`` does not satisfy; None if it cannot even be run."""
    try:
        out = subprocess.run(
            [str(python), "-c", _CHECK_REQUIREMENTS, str(requirements)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [line for line in out.stdout.splitlines() if line.strip()]


def setup_hint(target: Path) -> str:
    from .runtime import setup_command

    env = {"HANDOFF_VENV": str(target / VENV), "HANDOFF_REQUIREMENTS": str(target / REQUIREMENTS_DST)}
    return setup_command(env)


def create_venv(target: Path, base_python: str) -> tuple[bool, str]:
    """Create ``<target>/.venv`` in place (a user may activate it) and install the packages.

    Returns ``(ok, last line of the failure)``; on failure nothing is left behind.
    """
    venv = target / VENV
    steps = [
        [base_python, "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-r",
            str(target / REQUIREMENTS_DST),
        ],
    ]
    for argv in steps:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            return False, str(exc)
        if out.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            lines = [line for line in (out.stderr or out.stdout).splitlines() if line.strip()]
            return False, lines[-1].strip() if lines else f"exit {out.returncode}"
    return True, ""


# -- install / uninstall -----------------------------------------------------------------------


def _drop_byte_code(target: Path, removed: list) -> None:
    """The byte code of removed modules, wherever it is: in a directory of the user's too
    (``scripts/__pycache__/handoff_helpers.*.pyc``: the launcher imports handoff_helpers, and
    the user's own ``scripts/`` is not ours to remove). An emptied ``__pycache__`` goes too."""
    for rel in removed:
        if not rel.endswith(".py"):
            continue
        pycache = (target / rel).parent / "__pycache__"
        if not pycache.is_dir() or pycache.is_symlink():
            continue
        for pyc in pycache.glob(Path(rel).stem + ".*.pyc"):
            pyc.unlink()
        try:
            pycache.rmdir()
        except OSError:  # not empty: someone else's byte code
            pass


def _prune_emptied_dirs(target: Path, removed: list, ours: list) -> list:
    """After an upgrade removed files (e.g. the flat ``scripts/lib/*.py`` of an older layout):
    drop their byte code, and the directories an install created that are now empty. Returns
    the directories removed. A directory holding anything else (a user's file) stays."""
    gone = []
    _drop_byte_code(target, removed)
    for d in sorted({str(Path(rel).parent) for rel in removed}, key=lambda p: p.count("/"), reverse=True):
        if d not in ours:
            continue
        for empty in (target / d / "__pycache__", target / d):
            try:
                empty.rmdir()
            except OSError:  # not empty, or not there
                pass
        if not (target / d).exists():
            gone.append(d)
    return gone


def bundle_version(bundle: Path) -> str:
    try:
        return str(json.loads((bundle / ".claude-plugin" / "plugin.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def load_manifest(target: Path) -> dict | None:
    path = target / MANIFEST
    raw = _read(path)
    if raw is None:
        return None
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise InstallError(f"{MANIFEST}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != MANIFEST_VERSION:
        raise InstallError(f"{MANIFEST}: not a handoff install manifest (version {MANIFEST_VERSION})")
    return manifest


def _check_target(bundle: Path, target: Path) -> None:
    if not target.is_dir():
        raise InstallError(f"{target}: not a directory")
    if target.resolve() == bundle.resolve():
        raise InstallError(f"{target}: is the bundle itself")


def install(bundle: Path, target: Path, venv_mode: str = "auto", base_python: str | None = None, say=print) -> int:
    """Install (or upgrade, or re-run: a no-op) the bundle into ``target``. Raises InstallError."""
    bundle, target = bundle.resolve(), target.resolve()
    _check_target(bundle, target)
    manifest = load_manifest(target) or {}
    recorded = manifest.get("files", {})

    # 1. Everything is read and checked before the first write.
    settings_path = target / SETTINGS
    settings_raw = _read(settings_path)
    if settings_raw is None:
        settings, style = {}, None
    else:
        text = settings_raw.decode("utf-8", "surrogateescape")
        settings = parse_settings(text)
        style = json_style(text, settings)
    bundle_settings = parse_settings((bundle / SETTINGS).read_text(encoding="utf-8"), f"bundle {SETTINGS}")
    additions = hook_additions(bundle_settings)
    gi_path = target / GITIGNORE
    gi_raw = _read(gi_path)
    changelog_rel = changelog_relpath(target)

    writes: list[tuple[BundleFile, bytes]] = []
    files: dict[str, dict] = {}
    conflicts, created, updated = [], [], []
    new_dirs: list[str] = list(manifest.get("dirs", []))
    for bf in bundle_files(bundle):
        data = _content(bf)
        current = _read(target / bf.dst)
        rec = recorded.get(bf.dst)
        if current is None:
            writes.append((bf, data))
            created.append(bf.dst)
        elif current == data:
            if rec is None:
                continue  # the user's identical copy: not ours to remove later
        elif rec is not None and sha256(current) == rec["sha256"]:
            writes.append((bf, data))
            updated.append(bf.dst)
        elif bf.kind == "seed":
            if rec is not None:
                files[bf.dst] = rec  # changed by the user since: theirs now, but still listed
            continue
        else:
            conflicts.append(bf.dst)
            continue
        files[bf.dst] = {"sha256": sha256(data), "kind": bf.kind}
    if conflicts:
        listed = ", ".join(conflicts[:5]) + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
        raise InstallError(
            f"{target}: {listed} already exist{'s' if len(conflicts) == 1 else ''} with other content "
            "(not installed by handoff); move them away and run the install again. Nothing was changed."
        )
    stale = [
        rel
        for rel in recorded
        if rel not in files
        and (target / rel).is_file()
        and sha256((target / rel).read_bytes()) == recorded[rel]["sha256"]
    ]

    # 2. Settings. Entries of an older install that this bundle no longer has are taken out
    # first; otherwise (a re-run) what is there stays as it is.
    old = manifest.get("settings")
    if old and any(a not in additions for a in old.get("added", [])):
        merged, record = merge_hooks(unmerge_hooks(settings, old), additions)
    else:
        merged, record = merge_hooks(settings, additions)
        if old:
            record = {
                "added": old.get("added", []) + record["added"],
                "events_created": old.get("events_created", []) + record["events_created"],
                "hooks_key_created": bool(old.get("hooks_key_created")) or record["hooks_key_created"],
            }
    record["file_created"] = old["file_created"] if old else settings_raw is None
    if old and "original" in old:
        record["original"] = old["original"]
    elif not old and settings_raw is not None:
        text = settings_raw.decode("utf-8", "surrogateescape")
        if dump_json(settings, style) != text:  # hand-formatted: keep it to restore byte for byte
            record["original"] = text
    new_settings_text = dump_json(merged, style)

    # 3. Write.
    for bf, data in writes:
        for d in _missing_dirs(target, bf.dst):
            if d not in new_dirs:
                new_dirs.append(d)
        write_atomic(target / bf.dst, data, bf.src.stat().st_mode & 0o777 if bf.src.is_file() else 0o644)
    for rel in stale:
        (target / rel).unlink()
    for d in _prune_emptied_dirs(target, stale, new_dirs):
        new_dirs.remove(d)
    if settings_raw is None or new_settings_text.encode() != settings_raw:
        for d in _missing_dirs(target, SETTINGS):
            if d not in new_dirs:
                new_dirs.append(d)
        write_atomic(settings_path, new_settings_text.encode())

    gi_old = manifest.get("gitignore") or {"lines": [], "added_newline": False, "file_created": gi_raw is None}
    wanted = [STATE_IGNORE, PYCACHE_IGNORE]
    venv_record = manifest.get("venv")
    python_note = ""
    venv_py = target / VENV / "bin" / "python"
    requirements = target / REQUIREMENTS_DST
    if venv_py.exists():
        unmet = unmet_requirements(venv_py, requirements)
        if unmet:
            python_note = f"{VENV} lacks {', '.join(unmet)}; run: {setup_hint(target)}"
        elif unmet is None:
            python_note = f"{VENV}/bin/python does not run; run: {setup_hint(target)}"
    elif venv_mode == "auto":
        say(f"handoff install: creating {VENV} and installing {', '.join(_names(requirements))} ...")
        ok, why = create_venv(target, base_python or sys.executable)
        if ok:
            venv_record = {"path": VENV, "created": True}
        else:
            python_note = f"could not set up {VENV} ({why}); run: {setup_hint(target)}"
    else:
        python_note = f"the helpers need their packages; run: {setup_hint(target)}"
    if venv_record and venv_record.get("created"):
        wanted.append(VENV + "/")
    gi_text = gi_raw.decode("utf-8", "surrogateescape") if gi_raw is not None else None
    gi_text, gi_added = gitignore_add(gi_text, wanted)
    if gi_added["lines"]:
        write_atomic(gi_path, gi_text.encode("utf-8", "surrogateescape"))
    gi_record = {
        "lines": gi_old.get("lines", []) + gi_added["lines"],
        "added_newline": gi_old.get("added_newline", False) or gi_added["added_newline"],
        "file_created": gi_old.get("file_created", gi_raw is None),
    }

    new_manifest = {
        "manifest_version": MANIFEST_VERSION,
        "bundle": "handoff",
        "version": bundle_version(bundle),
        "files": dict(sorted(files.items())),
        "dirs": new_dirs,
        "settings": record,
        "gitignore": gi_record,
        "venv": venv_record,
    }
    store_record, store_notes = install_store(target, manifest.get("store") or {}, changelog_rel)
    new_manifest["store"] = store_record
    for note in store_notes:
        say(f"  ~ {note}")
    manifest_text = dump_json(new_manifest)
    if _read(target / MANIFEST) != manifest_text.encode():
        write_atomic(target / MANIFEST, manifest_text.encode())

    # 4. Report.
    total = sum(len(g) for g in (merged.get("hooks") or {}).values())
    settings_changed = settings_raw is None or new_settings_text.encode() != settings_raw
    if created:
        say(f"  + {len(created)} files ({_summary(created)})")
    if updated:
        say(f"  ~ {len(updated)} files updated ({_summary(updated)})")
    if stale:
        say(f"  - {len(stale)} files no longer in the bundle removed ({_summary(stale)})")
    if settings_changed:
        ours = len(record["added"])
        say(f"  ~ {SETTINGS}: {ours} handoff hook entries merged, {total - ours} of yours kept")
    if gi_added["lines"]:
        say(f"  ~ {GITIGNORE}: {', '.join(gi_added['lines'])} added")
    if venv_record and venv_record.get("created") and not manifest.get("venv"):
        say(f"  + {VENV} with the helpers' packages")
    if created or updated or stale or settings_changed or gi_added["lines"] or store_notes:
        say(f"handoff install: done ({target}); commit the result, then start Claude Code there")
    else:
        say(f"handoff install: {target} is up to date (handoff {new_manifest['version']})")
    if python_note:
        say(f"handoff install: {python_note}")
    for offer in ci_offers(bundle, target):
        say(f"handoff install: {offer}")
    return 0


# GitHub Actions workflows the bundle ships (docs/ci/): offered, never installed by itself (a
# workflow runs with the repository's token; the user decides), until the target has it.
CI_DIR = "docs/ci"
CI_WORKFLOWS_DIR = ".github/workflows"
CI_WORKFLOWS = (
    ("handoff-validate.yml", "validate the logs on every push and pull request"),
    ("handoff-pr-summary.yml", "post each pull request's sessions as one comment"),
)


def ci_offers(bundle: Path, target: Path) -> list[str]:
    """One line per shipped workflow the target does not have yet: what it does, the command that adds it."""
    offers = []
    for name, what in CI_WORKFLOWS:
        src, dst = bundle / CI_DIR / name, target / CI_WORKFLOWS_DIR / name
        if src.is_file() and not dst.exists():
            offers.append(f"optional, GitHub Actions ({what}): mkdir -p {shlex.quote(str(dst.parent))} && "
                          f"cp {shlex.quote(str(src))} {shlex.quote(str(dst))}")
    return offers


# -- the team store: .gitattributes, merge driver, pre-commit hook (lib/store/) -----------------

GITATTRIBUTES = ".gitattributes"


def _is_git_work_tree(target: Path) -> bool:
    from ..store import gitsetup

    try:
        return gitsetup.common_dir(str(target)) is not None
    except gitsetup.SetupError:
        return False


def changelog_relpath(target: Path) -> str:
    """handoff's commit log in ``target`` (core/changelog_path.py, the rule every helper uses)."""
    from ..core import changelog_path
    from ..core.errors import HelperError
    from ..core.project import CONFIG_RELPATH, load_config

    config = load_config(str(target / CONFIG_RELPATH), lambda reason: None)
    try:
        return changelog_path.relpath(str(target), config)
    except HelperError as exc:
        raise InstallError(f"{exc}. Nothing was changed.") from None


def install_store(target: Path, old: dict, changelog_rel: str) -> tuple[dict, list[str]]:
    """Add what makes the store team-safe; returns (manifest record, lines to report).

    Re-running keeps the first install's record (what to undo) and adds only what is missing;
    a line of ours that names a file no longer ours (an older install's ``/CHANGELOG.md`` when
    that file is the user's) is taken out again."""
    from ..core import changelog_path
    from ..store import attributes, gitsetup, precommit

    notes = []
    record = dict(old)
    path = target / GITATTRIBUTES
    raw = _read(path)
    text = raw.decode("utf-8", "surrogateescape") if raw is not None else None
    wanted = attributes.union_lines(changelog_rel)
    prev = old.get("gitattributes") or {"lines": [], "added_newline": False, "file_created": raw is None}
    stale = attributes.stale_lines(prev.get("lines", []), wanted) if text is not None else []
    new = attributes.remove_lines(text, {"lines": stale}) if stale else text
    new, added = attributes.add_lines(new, wanted)
    if added["lines"] or stale:
        write_atomic(path, new.encode("utf-8", "surrogateescape"))
    if added["lines"]:
        notes.append(f"{GITATTRIBUTES}: union merges for {changelog_rel} and the indexes ({len(added['lines'])} lines)")
        if changelog_path.foreign_legacy(str(target)):  # said once, with the lines that follow from it
            notes.append(f"{changelog_path.LEGACY} is yours (no handoff marker): left as it is; "
                         f"handoff's commit log is {changelog_rel}")
    if stale:
        notes.append(f"{GITATTRIBUTES}: taken out, no longer ours: {', '.join(stale)}")
    record["gitattributes"] = {
        "lines": [line for line in prev.get("lines", []) if line not in stale] + added["lines"],
        "added_newline": prev.get("added_newline", False) or added["added_newline"],
        "file_created": prev.get("file_created", raw is None),
    }
    for p in attributes.paths(changelog_rel):
        theirs = attributes.merge_attribute(text or "", p)
        if theirs not in (None, "union"):
            notes.append(f"{GITATTRIBUTES}: your merge={theirs} for {p} is overridden by handoff's union line")
    if not _is_git_work_tree(target):
        notes.append("not a git repository: merge driver and pre-commit hook not set up (run the install again)")
        return record, notes
    try:
        command = gitsetup.driver_command(str(target), str(target / "scripts" / "handoff_helpers.py"))
        driver = gitsetup.configure(str(target), command, changelog_rel)
        prev = old.get("merge_driver") or {}
        first = prev if (prev.get("attributes") or {}).get("lines") else driver  # what to undo: the first run's
        lines = [line for line in first["attributes"]["lines"] if line not in driver["removed"]]
        if first is prev:
            lines += driver["attributes"]["lines"]
        record["merge_driver"] = {
            "config": {**driver["config"], **prev.get("config", {})},
            "attributes": dict(first["attributes"], lines=lines),
            "file_created": first.get("file_created", False),
        }
        if driver["changed"]:
            notes.append(f"git config: merge driver 'handoff' (canonical {changelog_rel} and indexes after a merge)")
        hook = precommit.install(str(target))
        if not old.get("pre_commit") or hook["sha256"] != old["pre_commit"].get("sha256"):
            chained = " (yours chained after it)" if hook["chained"] else ""
            notes.append(f"git pre-commit hook: validates staged session logs and workstreams{chained}")
        if old.get("pre_commit") and old["pre_commit"].get("dir") == hook["dir"]:
            hook["chained"] = old["pre_commit"].get("chained") or hook["chained"]
            hook["dir_created"] = old["pre_commit"].get("dir_created", False)
        record["pre_commit"] = hook
    except (gitsetup.SetupError, OSError) as exc:
        raise InstallError(f"git set-up: {exc}") from None
    return record, notes


def uninstall_store(target: Path, record: dict) -> list[str]:
    from ..store import attributes, gitsetup, precommit

    notes = []
    gi = record.get("gitattributes") or {}
    path = target / GITATTRIBUTES
    raw = _read(path)
    if raw is not None and gi.get("lines"):
        text = attributes.remove_lines(raw.decode("utf-8", "surrogateescape"), gi)
        if gi.get("file_created") and not text.strip():
            path.unlink()
        elif text.encode("utf-8", "surrogateescape") != raw:
            write_atomic(path, text.encode("utf-8", "surrogateescape"))
    if record.get("merge_driver"):
        try:
            gitsetup.unconfigure(str(target), record["merge_driver"])
        except gitsetup.SetupError as exc:
            notes.append(f"merge driver not removed ({exc})")
    if record.get("pre_commit"):
        note = precommit.uninstall(record["pre_commit"])
        if note:
            notes.append(note)
    return notes


def _names(requirements: Path) -> list[str]:
    out = []
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            out.append(line.split(">")[0].split("=")[0].split("<")[0].strip())
    return out


def _summary(paths: list[str]) -> str:
    tops = []
    for p in paths:
        top = p.split("/")[0] + "/" if p.startswith("scripts/") else p
        if top not in tops:
            tops.append(top)
    return ", ".join(tops)


def uninstall(target: Path, say=print) -> int:
    """Remove what the manifest lists. Files changed since the install are kept (and named)."""
    target = target.resolve()
    if not target.is_dir():
        raise InstallError(f"{target}: not a directory")
    manifest = load_manifest(target)
    if manifest is None:
        raise InstallError(f"{target}: no {MANIFEST}; handoff was not installed here by scripts/install.py")

    settings_path = target / SETTINGS
    settings_raw = _read(settings_path)
    record = manifest.get("settings") or {}
    new_settings: bytes | None = settings_raw
    if settings_raw is not None:
        text = settings_raw.decode("utf-8", "surrogateescape")
        settings = parse_settings(text)  # malformed: refuse before touching anything
        restored = unmerge_hooks(settings, record)
        original = record.get("original")
        if original is not None and json.loads(original) == restored:
            new_settings = original.encode("utf-8", "surrogateescape")
        elif record.get("file_created") and restored == {}:
            new_settings = None
        else:
            new_settings = dump_json(restored, json_style(text)).encode()

    kept, removed = [], []
    for rel, rec in manifest.get("files", {}).items():
        path = target / rel
        try:
            data = _read(path)
        except InstallError:
            kept.append(rel)
            continue
        if data is None:
            continue
        if sha256(data) == rec["sha256"]:
            path.unlink()
            removed.append(rel)
        else:
            kept.append(rel)
    _drop_byte_code(target, removed)

    if settings_raw is not None:
        if new_settings is None:
            settings_path.unlink()
        elif new_settings != settings_raw:
            write_atomic(settings_path, new_settings)

    gi = manifest.get("gitignore") or {}
    gi_path = target / GITIGNORE
    gi_raw = _read(gi_path)
    if gi_raw is not None and gi.get("lines"):
        text = gitignore_remove(gi_raw.decode("utf-8", "surrogateescape"), gi)
        if gi.get("file_created") and not text.strip():
            gi_path.unlink()
        elif text.encode("utf-8", "surrogateescape") != gi_raw:
            write_atomic(gi_path, text.encode("utf-8", "surrogateescape"))

    for note in uninstall_store(target, manifest.get("store") or {}):
        say(f"handoff uninstall: {note}")

    venv = manifest.get("venv")
    if venv and venv.get("created"):
        shutil.rmtree(target / venv.get("path", VENV), ignore_errors=True)

    (target / MANIFEST).unlink()
    left = []
    for d in manifest.get("dirs", []):  # byte code our scripts left when they ran
        cache = target / d / "__pycache__"
        if cache.is_dir() and not cache.is_symlink() and all(p.suffix == ".pyc" for p in cache.iterdir()):
            shutil.rmtree(cache)
    for d in sorted(manifest.get("dirs", []), key=lambda p: p.count("/"), reverse=True):
        try:
            (target / d).rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            left.append(d)
    say(f"handoff uninstall: removed handoff from {target}")
    if kept:
        say(f"handoff uninstall: kept {len(kept)} files you changed since the install: {', '.join(kept)}")
    if left:
        say(f"handoff uninstall: kept non-empty directories: {', '.join(sorted(left))}")
    return 0
