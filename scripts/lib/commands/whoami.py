"""``whoami [--set XX] [--last-resume-prompt] [--no-fail]``: the operator's initials.

Plain: prints the initials (``RT``). ``--set XX`` stores them in the state dir (they then win
over git's user.name). ``--last-resume-prompt`` prints what ``/handoff`` shows the model: the
operator, the time (the start of the handoff), the operator's newest log id with its resume
prompt (newest by (day, number) among the logs that are theirs by lib/logs/authorship.py: a log
someone else added under their initials, or one dated in the future, is named and passed over),
and the draft file the model writes its JSON to for ``write-session --input``
(lib/logs/drafts.py, created mode 0700).

Why a draft file: Claude Code refuses a Bash command whose text holds a brace next to a quote
("expansion obfuscation"), so JSON cannot travel in a heredoc; the Write tool may not write
under ``.claude/``; ``Edit(//tmp/handoff-drafts/**)`` in the command's allowed-tools lets it
write here (tests/test_handoff_command_e2e.py).

``--no-fail``: always exit 0 and report problems in the output; for slash-command ``!``
pre-execution, where a non-zero exit aborts the whole command (tests/e2e/FINDINGS.md). Whatever
goes wrong (an unreadable log, an unexpected exception), the output says what and the exit is 0.
"""

from __future__ import annotations

import json
import os
import sys

from ..core import isotime
from ..core.errors import HelperError
from ..logs import frontmatter, log_alloc
from ..logs import operator as operator_mod
from ..logs.authorship import Trust
from ..logs.drafts import draft_path, prepare_draft_dir


def add_arguments(parser) -> None:
    parser.add_argument("--set", metavar="XX", help="store the initials (2-4 capitals) in the state dir")
    parser.add_argument(
        "--last-resume-prompt",
        action="store_true",
        help="also print the time and the operator's newest log id with its resume prompt",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--no-fail", action="store_true", help="exit 0 and print problems in the output (for ! pre-execution)"
    )


def last_log(root: str, state_dir: str, initials: str) -> dict:
    """The operator's newest log that is theirs (lib/logs/authorship.py: added by them, or not
    committed yet; not dated in the future); the newer ones passed over are in ``skipped``."""
    trust = Trust(root, state_dir, initials, is_me=True)
    info = {"id": None, "path": None, "resume_prompt": None, "problem": None, "skipped": []}
    for log_id, path in log_alloc.newest_logs(root, initials):
        rel = log_alloc.relpath(root, path)
        name = os.path.basename(path)
        why = trust.problem(name)
        if why is None:
            try:
                meta = frontmatter.load(path).meta
            except frontmatter.FrontmatterError as exc:
                info.update(id=str(log_id), path=rel, problem=str(exc).replace("\n", " "))
                return info
            why = trust.problem(name, meta.get("ended_at"))
        if why is not None:
            info["skipped"].append(f"{rel}: {why}")
            continue
        info.update(id=str(log_id), path=rel)
        prompt = meta.get("resume_prompt")
        if isinstance(prompt, str):
            info["resume_prompt"] = prompt
        else:
            info["problem"] = f"{rel}: resume_prompt: missing"
        return info
    return info


def _report(args, project) -> dict:
    out = {"operator": None, "source": None, "now": isotime.iso_z(isotime.now()), "problem": None}
    root = project.root
    state_dir = project.state_dir
    op = operator_mod.resolve(root, state_dir)
    out["operator"], out["source"] = op.initials, op.detail
    if args.last_resume_prompt:
        out["last_log"] = last_log(root, state_dir, op.initials)
    return out


def _draft(report: dict) -> None:
    report["draft_file"] = draft_path(os.environ.get("CLAUDE_CODE_SESSION_ID"))
    report["draft_problem"] = prepare_draft_dir()


def _text(report: dict) -> str:
    lines = []
    if report.get("operator"):
        lines.append(f"operator: {report['operator']} (from {report['source']})")
    else:
        lines.append(f"operator: UNKNOWN: {report['problem']}")
    lines.append(f"handoff started at: {report['now']}")
    if report.get("draft_file"):
        problem = f" (problem: {report['draft_problem']})" if report.get("draft_problem") else ""
        lines.append(f"draft file: {report['draft_file']}{problem}")
    last = report.get("last_log")
    if last is not None:
        lines += [f"not your previous log: {why}" for why in last["skipped"]]
        if last["id"] is None:
            lines.append("previous log: none (this is the operator's first)")
        else:
            lines.append(f"previous log: {last['id']} ({last['path']})")
            if last["problem"]:
                lines.append(f"previous resume prompt: unreadable: {last['problem']}")
            else:
                lines.append("previous resume prompt:")
                lines.append(last["resume_prompt"])
    return "\n".join(lines)


def run(args, project) -> int:
    if not args.no_fail:
        return _run(args, project)
    try:
        sys.stdout.reconfigure(errors="backslashreplace")  # a lone surrogate must not fail the print
    except (AttributeError, ValueError):
        pass
    try:
        return _run(args, project)
    except Exception as exc:  # noqa: BLE001 - --no-fail: report anything, exit 0
        message = str(exc).replace("\n", " ") if isinstance(exc, HelperError) else f"{type(exc).__name__}: {exc}"
        print(f"operator: UNKNOWN: {message[:500]}")
        return 0


def _run(args, project) -> int:
    if args.set is not None:
        path = operator_mod.write_cache(project.state_dir, args.set)
        _warn_if_taken(project, args.set)
        print(json.dumps({"operator": args.set, "stored": path}) if args.json else args.set)
        return 0
    try:
        report = _report(args, project)
    except HelperError as exc:
        if not args.no_fail:
            raise
        report = {"operator": None, "source": None, "now": isotime.iso_z(isotime.now()), "problem": str(exc)}
    if args.last_resume_prompt:
        _draft(report)
    if args.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.last_resume_prompt or report["operator"] is None:
        print(_text(report))
    else:
        print(report["operator"])
    return 0


def _warn_if_taken(project, initials: str) -> None:
    """``--set`` is the operator's explicit choice (kept), but a choice another person's logs
    already carry is worth one line: their logs and ours would read as one person's."""
    if not project.git_common_dir:
        return
    email = (operator_mod.git_user(project.root)[1] or "").lower()
    others = operator_mod.initials_owners(project.root, project.state_dir, initials) - {email}
    if others:
        print("handoff: warning: %s" % operator_mod.clash_message(initials, others, "set with --set"),
              file=sys.stderr)
