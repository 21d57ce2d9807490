"""lib/core/fastargs.py parses exactly as argparse does, whenever it parses at all.

Compared over command lines generated from the real ``search`` options (every shape fastargs
accepts, and many it must refuse), against the argparse parser the dispatcher builds from the
same rows; plus the shapes /recall and the bench use must take the fast path."""

from __future__ import annotations

import argparse
import itertools
import random

import pytest

from lib.commands import search
from lib.core import fastargs

ROOT = fastargs.Option("--root")


def _argparse(argv: list):
    parser = argparse.ArgumentParser(prog="search", exit_on_error=False)
    parser.add_argument("--root")
    search.add_arguments(parser)
    try:
        return vars(parser.parse_args(argv))
    except (argparse.ArgumentError, SystemExit):
        return "error"


def _fast(argv: list):
    got = fastargs.parse(argv, [ROOT, *search.OPTIONS], search.POSITIONAL)
    return None if got is None else vars(got)


PIECES = [
    ["kestrel"], ["two", "words"], ['"a phrase"'], ["--json"], ["--fts"], ["--no-fail"], ["--stats"],
    ["--query-stdin"], ["--limit", "8"], ["--limit=3"], ["--limit", "x"], ["--limit", "+4"], ["--limit", " 5"],
    ["--limit", "5_0"], ["--limit", "-1"], ["--operator", "RT"], ["--operator=-x"], ["--operator", "-x"],
    ["--section", "learnings"], ["--section", "nope"], ["--section=decisions"], ["--since", "2026-01-01"],
    ["--until"], ["--workstream", "lock"], ["--query-arg", "what's new"], ["--query-arg", ""], ["--root", "/r"],
    ["--js"], ["-h"], ["--help"], ["--"], ["-"], ["-x"], ["--json=1"], ["--unknown"], ["a b"], ["-a b"], [""],
    ["--root"], ["é"],
]


def _cases():
    rng = random.Random(20261130)
    for n in (1, 2, 3):
        for combo in itertools.product(range(len(PIECES)), repeat=n):
            if n == 3 and rng.random() > 0.02:
                continue
            yield [arg for i in combo for arg in PIECES[i]]


def test_whatever_fastargs_parses_argparse_parses_the_same() -> None:
    accepted = refused = 0
    for argv in _cases():
        fast = _fast(argv)
        if fast is None:
            refused += 1
            continue
        accepted += 1
        assert fast == _argparse(argv), argv
    assert accepted > 500 and refused > 500, (accepted, refused)  # both sides are exercised


@pytest.mark.parametrize("argv", [
    ["webhooks ledger"],  # the bench
    ["kestrel"],
    ["--no-fail", "--limit", "8", "--query-stdin"],  # /recall's pre-execution
    ["--json", "--section", "decisions", "lock", "file"],
    ["--root", "/x", "--json", "--stats", "anything"],
    ["--operator", "RT", "--since", "2026-01-01", "--until=2026-02-01", "--workstream", "w", "q"],
])
def test_the_common_command_lines_take_the_fast_path(argv) -> None:
    assert _fast(argv) is not None
    assert _fast(argv) == _argparse(argv)


def test_help_and_errors_are_left_to_argparse() -> None:
    for argv in (["-h"], ["--help"], ["--limit"], ["--limit", "ten"], ["--section", "nope"], ["a", "--json", "b"],
                 ["--js", "x"], ["--", "x"]):
        assert _fast(argv) is None, argv
