"""``search QUERY [--operator XX] [--workstream SLUG] [--since DATE] [--until DATE] [--section S]
[--limit N] [--json] [--fts] [--no-fail]``: ranked search over every session log and workstream
(lib/recall/: an SQLite FTS5 index in the state dir, brought current before each answer).

``--json``: ``{"hits": [{"id", "path", "date", "operator", "title", "section", "snippet",
"score"}], "warnings": [...]}``. ``--no-fail`` (for /recall's pre-execution, where a non-zero
exit aborts the command): a problem is printed on stdout as ``handoff: ...`` (or as
``{"hits": [], "warnings": [], "error": ...}`` with ``--json``), exit 0.
Imports stay lean: no yaml or jsonschema unless a log has to be parsed.
"""

from __future__ import annotations

import sys

from ..core.errors import HelperError
from ..logs.sections import COLUMNS as SECTIONS  # the catalog's search columns

MAX_STDIN_BYTES = 1 << 20


def add_arguments(parser) -> None:
    parser.add_argument("query", nargs="*", help="words to find (quoted text is a phrase)")
    parser.add_argument("--query-arg", metavar="TEXT", help="the query as one string")
    parser.add_argument(
        "--query-stdin", action="store_true",
        help="read the query from stdin (/recall passes $ARGUMENTS in a quoted heredoc: no shell quoting to break)",
    )
    parser.add_argument("--operator", help="only logs by these initials (e.g. RT)")
    parser.add_argument("--workstream", metavar="SLUG", help="only logs touching this workstream")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only logs of this day or later")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only logs of this day or earlier")
    parser.add_argument("--section", choices=SECTIONS, help="search only this section")
    parser.add_argument("--limit", type=int, default=10, help="at most N hits (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fts", action="store_true",
                        help='the query is FTS5 syntax (AND, OR, NOT, NEAR, "phrase", prefix*)')
    parser.add_argument("--no-fail", action="store_true",
                        help="exit 0 and print problems in the output (for ! pre-execution)")


def run(args, project) -> int:
    try:
        return _run(args, project)
    except HelperError as exc:
        if not args.no_fail:
            raise
        from ..recall import cli

        if args.json:
            import json

            cli.write(json.dumps({"hits": [], "warnings": [], "error": str(exc)}, ensure_ascii=False) + "\n")
        else:
            cli.write("handoff: %s\n(the search could not run; see `scripts/handoff search --help`.)\n" % exc)
        return 0


def _run(args, project) -> int:
    from ..logs.log_ids import is_operator
    from ..recall import cli
    from ..recall.search import Filters, search

    if args.query_stdin:
        text = sys.stdin.buffer.read(MAX_STDIN_BYTES).decode("utf-8", "replace")
    else:
        text = args.query_arg if args.query_arg is not None else " ".join(args.query)
    # An argument that is not UTF-8 arrives with surrogates, which SQLite cannot take: searched
    # for with U+FFFD in their place, as bytes read from stdin are.
    text, args.workstream = (_text(v) for v in (text, args.workstream))
    if args.operator is not None and not is_operator(args.operator):
        raise HelperError("--operator %r: expected 2-4 capital letters (e.g. RT)" % args.operator[:60])
    if not 1 <= args.limit <= 1000:
        raise HelperError("--limit %d: expected 1 to 1000" % args.limit)
    filters = Filters(
        operator=args.operator, workstream=args.workstream, since=cli.day("--since", args.since),
        until=cli.day("--until", args.until), section=args.section,
        kind="log" if (args.operator or args.since or args.until or args.section) else None,
    )
    if not text.strip():
        raise HelperError("search: empty query; give words to search for")
    warnings: list = []
    hits = cli.answer(project, warnings, lambda conn: search(conn, project.root, text, filters, args.limit, args.fts,
                                                             warnings))
    if args.json:
        import json

        cli.write(json.dumps({"hits": hits, "warnings": warnings}, ensure_ascii=False, indent=1) + "\n")
    else:
        cli.write(render(text, hits, warnings if args.no_fail else []))
        if not args.no_fail:
            cli.print_warnings(warnings)
    return 0


def _text(value):
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if isinstance(value, str) else value


def render(text: str, hits: list, warnings: list) -> str:
    shown = " ".join(text.split())
    if len(shown) > 80:
        shown = shown[:77] + "..."
    if not hits:
        lines = ["No session log matches %r." % shown]
    else:
        lines = ["%d hit%s for %r (best first):" % (len(hits), "" if len(hits) == 1 else "s", shown), ""]
        for hit in hits:
            date, operator = hit["date"] or "undated", hit["operator"] or "--"
            lines.append("%s  %s  %s  %s  [%s]  %s" % (
                hit["id"], date, operator, hit["title"], hit["section"], hit["path"]))
            lines.append("    " + hit["snippet"])
    for line in warnings[:10]:
        lines.append("warning: " + line)
    if len(warnings) > 10:
        lines.append("warning: ... and %d more" % (len(warnings) - 10))
    return "\n".join(lines) + "\n"
