"""The common command lines of a hot subcommand, parsed without ``argparse``.

Why: ``import argparse`` and building a parser cost ~5 ms (argparse pulls in ``re``, ``gettext``,
``locale`` and ``shutil``; tests/bench/bench_recall.py), a third of a warm ``search``'s whole
budget. So a subcommand that must start fast declares its options once, as `Option` rows, and
builds its argparse parser from the same rows (`add_to`); `parse` handles the plain shapes
and answers None for anything else: then the dispatcher runs argparse, which gives its usual
help and errors. Whatever `parse` accepts, it parses exactly as argparse would
(tests/core/test_fastargs.py compares the two over generated command lines).

Accepted: exact option names (``--name value``, ``--name=value``, flags), and the positional
words in one run before, between or after options. Refused (None): ``-h``, abbreviations,
unknown options, ``--``, a value that looks like an option, a bad int or choice, a missing
value, positional words in two runs (argparse rejects some of those: let it say so).
"""

from __future__ import annotations


class Option:
    """One ``--name``: ``kind`` is "flag" (store_true), "str" or "int"; ``choices`` for a str."""

    __slots__ = ("name", "dest", "kind", "default", "choices", "help", "metavar")

    def __init__(self, name: str, kind: str = "str", default=None, choices=None, help=None, metavar=None):
        self.name = name
        self.dest = name[2:].replace("-", "_")
        self.kind = kind
        self.default = False if kind == "flag" and default is None else default
        self.choices = choices
        self.help = help
        self.metavar = metavar


class Namespace:
    """What argparse's Namespace is for the commands: attributes, compared by value."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def __eq__(self, other) -> bool:
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        return "Namespace(%s)" % ", ".join("%s=%r" % kv for kv in sorted(vars(self).items()))


def add_to(parser, options, positional: str | None = None, positional_help: str | None = None) -> None:
    """Declare ``options`` (and the ``nargs="*"`` positional) on an argparse parser."""
    if positional:
        parser.add_argument(positional, nargs="*", help=positional_help)
    for opt in options:
        kwargs = {"help": opt.help}
        if opt.kind == "flag":
            kwargs["action"] = "store_true"
        else:
            kwargs["default"] = opt.default
            if opt.kind == "int":
                kwargs["type"] = int
            if opt.choices:
                kwargs["choices"] = opt.choices
            if opt.metavar:
                kwargs["metavar"] = opt.metavar
        parser.add_argument(opt.name, **kwargs)


def parse(argv: list, options, positional: str | None = None):
    """A Namespace as argparse would make it from ``argv``, or None (let argparse decide)."""
    by_name = {opt.name: opt for opt in options}
    values = {opt.dest: opt.default for opt in options}
    words: list = []
    runs = 0  # runs of positional words
    last_was_word = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-") or arg == "-":
            if arg == "-" or positional is None:
                return None
            if not last_was_word:
                runs += 1
            words.append(arg)
            last_was_word = True
            continue
        last_was_word = False
        name, eq, value = arg.partition("=")
        opt = by_name.get(name)
        if opt is None:
            return None
        if opt.kind == "flag":
            if eq:
                return None
            values[opt.dest] = True
            continue
        if not eq:
            if i == len(argv):
                return None
            value = argv[i]
            i += 1
            if value.startswith("-"):
                return None
        if opt.kind == "int":
            try:
                value = int(value)  # argparse's own conversion (type=int)
            except ValueError:
                return None
        elif opt.choices and value not in opt.choices:
            return None
        values[opt.dest] = value
    if runs > 1:
        return None
    if positional:
        values[positional] = words
    return Namespace(**values)
