"""pydbml's second opinion on a DBML file, for files small enough to afford it.

Our scanner (`erd/dbml/syntax.py`) reads the structure with positions; pydbml, the reference Python
DBML parser, then checks that the file is DBML it accepts too, so files stay portable to
dbdiagram.io tools. pydbml is pyparsing-based and slow, hence the size limit in `erd/dbml/reader.py`.
Only its grammar runs: its model building would reject references to tables of other files, which
`build_project` judges instead.

A conversation turn changes a block or two and parses the file again, so the grammar runs per block:
over each stretch of text from where the previous block's line break ended to the line break that
ends the next block (the comments and blank lines before a block are read with it; what follows the
last block is the last stretch). The grammar over the whole file is a repetition of top-level
elements, each of which starts with the line breaks and comments before it and ends with the line
break after it, so a file it accepts is one whose stretches it accepts. Verdicts are remembered by
the stretch's text, which is all they depend on (the scanner's reading of a block depends on its
text only), so a turn runs the grammar over the blocks it changed. Where a stretch is rejected, the
grammar reads on from its start to the end of the file, as the whole-file grammar would from there:
the error (or none, where pydbml reads a block on into the next) is the whole file's, at its place.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from functools import cache
from typing import NamedTuple

import pyparsing as pp

from accelerator.erd.dbml.nodes import DbmlDocument, EnumNode, RefNode, TableNode, Token
from accelerator.erd.dbml.syntax import Scan
from accelerator.errors import ErdSyntaxError
from accelerator.lru import BoundedLru

# Types pydbml reads itself: `int`, `int[]`, `schema.enum`, `varchar(255)`; others get a placeholder.
_PYDBML_TYPE = re.compile(r"[A-Za-z0-9_]+(?:\[\]|\.[A-Za-z0-9_]+|\([^()]*\))?")
_LONGEST_USEFUL_MESSAGE = 80
_POSITION = re.compile(r" at position \d+")  # pydbml's, in what it was given: not the file's


class _Verdict(NamedTuple):
    """What pydbml's grammar said of a stretch of text."""

    loc: int  # where it failed, in the stretch
    expected: str  # what it expected there ("" if accepted)
    failure: str | None  # what a parse action raised (at `loc`: the stretch's first block)


_ACCEPTED = _Verdict(0, "", None)
# The verdicts on recent stretches, by their text (which is all a verdict depends on): a conversation
# turn that changes one table reads that table's stretch only.
_checked: BoundedLru[str, _Verdict] = BoundedLru(
    4096,
    max_size=4_000_000,
    size=lambda stretch, _: len(stretch),  # stretches; their characters
)


@cache
def _grammar() -> pp.ParserElement:
    with warnings.catch_warnings():  # pydbml uses pyparsing's deprecated camelCase names
        warnings.simplefilter("ignore", DeprecationWarning)
        return _build_grammar()


def _build_grammar() -> pp.ParserElement:
    from pydbml.definitions.common import comment
    from pydbml.definitions.enum import enum
    from pydbml.definitions.project import project
    from pydbml.definitions.reference import ref
    from pydbml.definitions.sticky_note import sticky_note
    from pydbml.definitions.table import table
    from pydbml.definitions.table_group import table_group

    element = table | ref | enum | table_group | project | sticky_note
    grammar: pp.ParserElement = element[...] + ("\n" | comment)[...] + pp.StringEnd()
    return grammar.parse_with_tabs()  # keep tabs so that columns match the source


def check_with_pydbml(text: str, file: str, scanned: Scan | DbmlDocument) -> None:
    """Raise `ErdSyntaxError` where pydbml's grammar rejects `text`, already scanned into `scanned`.

    Given the `Scan`, the grammar reads each stretch of text that ends a top-level block (see the
    module docstring) and remembers its verdict; given only the syntax tree, it reads the whole text.
    """
    if isinstance(scanned, DbmlDocument):
        nodes: list[tuple[TableNode | EnumNode | RefNode, int]] = [(t, 0) for t in scanned.tables]
        nodes += [(ref, 0) for ref in scanned.refs]
        _raise_rejection(text, file, 0, _verdict(_pydbml_readable(text, nodes), 0))
        return
    stretches = list(_stretches(text, scanned))
    for index, (start, stretch, first, nodes) in enumerate(stretches):
        verdict = _checked.get(stretch)
        if verdict is None:
            verdict = _verdict(_pydbml_readable(stretch, nodes), first)
            _checked.put_new(stretch, verdict)  # unless another thread did meanwhile
        if verdict is not _ACCEPTED:
            # The grammar over the whole file is where this stretch starts, all before it accepted.
            # It may read on into the next stretches (a block the scanner ended, pydbml does not):
            # so the rest of the file decides whether and where, as it does in the whole file.
            rest = [
                (node, shift + at - start) for at, _, _, more in stretches[index:] for node, shift in more
            ]
            _raise_rejection(text, file, start, _verdict(_pydbml_readable(text[start:], rest), first))
            return


def forget_checks() -> None:
    """Forget every remembered verdict: the next check reads every stretch with the grammar again."""
    _checked.clear()


def _stretches(
    text: str, scan: Scan
) -> Iterator[tuple[int, str, int, list[tuple[TableNode | EnumNode | RefNode, int]]]]:
    """(start, text, where its first block starts in it, its nodes with the shift of their offsets
    into it) of each stretch of `text`.

    A stretch runs from where the previous one stopped (the start of the text) to a line break that
    ends a block; a block that the scanner ends otherwise (with a comment over several lines) shares
    the stretch of the next. What follows the last block (line breaks, comments) is the last stretch.
    """
    begin, first = 0, None
    nodes: list[tuple[TableNode | EnumNode | RefNode, int]] = []
    for shift, block in scan.blocks:
        if first is None:
            first = block.start + shift - begin
        if block.node is not None:
            nodes.append((block.node, shift - begin))
        stop = block.stop + shift
        if stop <= len(text) and text[stop - 1] == "\n":
            yield begin, text[begin:stop], first, nodes
            begin, first, nodes = stop, None, []
    yield begin, text[begin:], first or 0, nodes


def _verdict(readable: str, first: int) -> _Verdict:
    """What pydbml's grammar says of `readable`, whose first block starts at `first`: accepted, or
    where and what it expected (or what failed in its first block, for want of a better place)."""
    try:
        _grammar().parse_string(readable, parse_all=True)
    except pp.ParseBaseException as error:
        return _Verdict(error.loc, error.msg, None)
    except Exception as error:  # pydbml's parse actions raise bare SyntaxError/ValueError
        return _Verdict(first, "", _POSITION.sub("", str(error)))
    return _ACCEPTED


def _raise_rejection(text: str, file: str, start: int, verdict: _Verdict) -> None:
    """Raise the rejection `verdict` of the stretch of `text` that starts at `start`, located in `text`."""
    if verdict is _ACCEPTED:
        return
    loc = start + verdict.loc
    if verdict.failure is not None:
        raise ErdSyntaxError(
            f"pydbml cannot read this file: {verdict.failure}",
            file=file,
            line=pp.lineno(loc, text),
            column=pp.col(loc, text),
            hint="check the file against https://dbml.dbdiagram.io/docs",
            source=text,
        )
    raise ErdSyntaxError(
        _message(verdict.expected, loc, text),
        file=file,
        line=pp.lineno(loc, text),
        column=pp.col(loc, text),
        hint="pydbml, the reference DBML parser, rejects this; see https://dbml.dbdiagram.io/docs",
        source=text,
    )


def _pydbml_readable(text: str, nodes: Iterable[tuple[TableNode | EnumNode | RefNode, int]]) -> str:
    """Replace types pydbml cannot read (`array<string>`) with a name of the same length, and
    blank the optionality marks of relations (`?<?`), which pydbml predates.

    `nodes` are the tables and references read in `text`, each with the shift of its offsets into `text`.
    """
    chars = list(text.replace("\ufeff", " "))
    for node, shift in nodes:
        if isinstance(node, RefNode):
            _blank_marks(chars, text, node.relation, shift)
        if not isinstance(node, TableNode):
            continue
        for column in node.columns:
            token = column.type
            if token.kind == "type" and not _PYDBML_TYPE.fullmatch(token.text):
                start, end = token.start + shift, token.end + shift
                chars[start:end] = "t" + "_" * (end - start - 1)
            for setting in column.settings:
                if setting.relation is not None:
                    _blank_marks(chars, text, setting.relation, shift)
                if setting.key == "check":  # pydbml predates checks: a blank note of the same length
                    start, end = setting.start + shift, setting.end + shift
                    chars[start:end] = _blank_note(text[start:end])
        if node.checks:
            start = text.rfind("checks", 0, node.checks[0].start + shift)
            end = text.find("}", node.checks[-1].end + shift) + 1
            chars[start:end] = [c if c == "\n" else " " for c in text[start:end]]
    return "".join(chars)


def _blank_marks(chars: list[str], text: str, relation: Token, shift: int) -> None:
    if relation.end - relation.start != len(relation.text):  # read from a mark with a `?`
        start, end = relation.start + shift, relation.end + shift
        chars[start:end] = [" " if c == "?" else c for c in text[start:end]]


def _blank_note(written: str) -> list[str]:
    """A note setting of blanks as long as `written`, its line breaks kept (in a triple-quoted string)."""
    quote = "'" if "\n" not in written else "'" * 3
    inner = [c if c == "\n" else " " for c in written[5 + 2 * len(quote) :]]
    return list("note:" + quote) + inner + list(quote)


def _message(expected: str, loc: int, text: str) -> str:
    expected = expected if len(expected) <= _LONGEST_USEFUL_MESSAGE else "unexpected text"
    found = re.match(r"\S{1,20}", text[loc:]) if loc < len(text) else None
    if found is None:
        where = "the end of the file" if loc >= len(text) else "the end of the line"
        return f"{expected}, found {where}"
    return f"{expected}, found {found.group()!r}"
