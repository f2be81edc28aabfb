"""pydbml's second opinion on a DBML file, for files small enough to afford it.

Our scanner (`erd/dbml/syntax.py`) reads the structure with positions; pydbml, the reference Python
DBML parser, then checks that the file is DBML it accepts too, so files stay portable to
dbdiagram.io tools. pydbml is pyparsing-based and slow, hence the size limit in `erd/dbml/reader.py`.
Only its grammar runs: its model building would reject references to tables of other files, which
`build_project` judges instead.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

import pyparsing as pp

from accelerator.erd.dbml.syntax import DbmlDocument
from accelerator.errors import ErdSyntaxError

# Types pydbml reads itself: `int`, `int[]`, `schema.enum`, `varchar(255)`; others get a placeholder.
_PYDBML_TYPE = re.compile(r"[A-Za-z0-9_]+(?:\[\]|\.[A-Za-z0-9_]+|\([^()]*\))?")
_LONGEST_USEFUL_MESSAGE = 80


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


def check_with_pydbml(text: str, file: str, document: DbmlDocument) -> None:
    """Raise `ErdSyntaxError` where pydbml's grammar rejects `text` (already scanned into `document`)."""
    try:
        _grammar().parse_string(_pydbml_readable(text, document), parse_all=True)
    except pp.ParseBaseException as error:
        raise ErdSyntaxError(
            _message(error, text),
            file=file,
            line=error.lineno,
            column=error.col,
            hint="pydbml, the reference DBML parser, rejects this; see https://dbml.dbdiagram.io/docs",
            source=text,
        ) from None
    except Exception as error:  # pydbml's parse actions raise bare SyntaxError/ValueError
        raise ErdSyntaxError(
            f"pydbml cannot read this file: {error}",
            file=file,
            line=1,
            column=1,
            hint="check the file against https://dbml.dbdiagram.io/docs",
            source=text,
        ) from None


def _pydbml_readable(text: str, document: DbmlDocument) -> str:
    """Replace types pydbml cannot read (`array<string>`) with a name of the same length, and
    blank the optionality marks of relations (`?<?`), which pydbml predates."""
    chars = list(text.replace("\ufeff", " "))
    relations = [ref.relation for ref in document.refs]
    for table in document.tables:
        for column in table.columns:
            token = column.type
            if token.kind == "type" and not _PYDBML_TYPE.fullmatch(token.text):
                chars[token.start : token.end] = "t" + "_" * (token.end - token.start - 1)
            relations.extend(s.relation for s in column.settings if s.relation is not None)
            for setting in column.settings:
                if setting.key == "check":  # pydbml predates checks: a blank note of the same length
                    chars[setting.start : setting.end] = _blank_note(text[setting.start : setting.end])
        if table.checks:
            start = text.rfind("checks", 0, table.checks[0].start)
            end = text.find("}", table.checks[-1].end) + 1
            chars[start:end] = [c if c == "\n" else " " for c in text[start:end]]
    for relation in relations:
        if relation.end - relation.start != len(relation.text):  # read from a mark with a `?`
            written = text[relation.start : relation.end]
            chars[relation.start : relation.end] = [" " if c == "?" else c for c in written]
    return "".join(chars)


def _blank_note(written: str) -> list[str]:
    """A note setting of blanks as long as `written`, its line breaks kept (in a triple-quoted string)."""
    quote = "'" if "\n" not in written else "'" * 3
    inner = [c if c == "\n" else " " for c in written[5 + 2 * len(quote) :]]
    return list("note:" + quote) + inner + list(quote)


def _message(error: pp.ParseBaseException, text: str) -> str:
    expected = error.msg if len(error.msg) <= _LONGEST_USEFUL_MESSAGE else "unexpected text"
    found = re.match(r"\S{1,20}", text[error.loc :]) if error.loc < len(text) else None
    if found is None:
        where = "the end of the file" if error.loc >= len(text) else "the end of the line"
        return f"{expected}, found {where}"
    return f"{expected}, found {found.group()!r}"
