"""sqlglot's parse and token errors -> located `ErdSyntaxError`s in plain words."""

from __future__ import annotations

import difflib
import re

from sqlglot.errors import ParseError, TokenError

from accelerator.erd.sql.source import DdlSource
from accelerator.erd.sql.tokens import Statement
from accelerator.errors import ErdSyntaxError


def syntax_error(source: DdlSource, error: ParseError, statement: Statement) -> ErdSyntaxError:
    """Located at the token sqlglot stopped at: what was found and what was expected."""
    detail = error.errors[0] if error.errors else {}
    highlight = str(detail.get("highlight") or "")
    line, column = source.lines.position(statement.start)
    if detail.get("line") and detail.get("col"):
        line, column = int(detail["line"]), int(detail["col"])
        if highlight and "\n" not in highlight:  # sqlglot's column is the token's last character
            column = max(column - len(highlight) + 1, 1)
    description = str(detail.get("description") or error).split(". Line ")[0]
    message = f"{statement.keyword()} statement: {_plain_words(description, highlight)}"
    hint = (
        f"this file is read as {source.dialect} SQL: check for a missing comma, parenthesis or "
        "quote here, or set the dialect the file was written in"
    )
    return ErdSyntaxError(message, file=source.file, line=line, column=column, hint=hint, source=source.text)


def token_error(source: DdlSource, error: TokenError) -> ErdSyntaxError:
    """Located where the tokenizer stopped (the start of an unterminated string, typically)."""
    text, cause = source.text, str(error.__cause__ or error.__context__ or "")
    missing = re.search(r"Missing (.+) from \d+:(\d+)", cause)
    if missing:
        offset = int(missing.group(2))
        message = f"unterminated quoted text: no closing {missing.group(1)}"
    else:  # the failing position sits in the middle of the quoted context
        start, end = error.start or 0, error.end or 0
        offset = end - 50 if end < len(text) - 1 else (start + 50 if start else start)
        message = "unreadable SQL text here"
    line, column = source.lines.position(min(max(offset, 0), len(text)))
    hint = "close every string ('...') and quoted name (\"...\", `...`, [...]) on the line it belongs to"
    return ErdSyntaxError(message, file=source.file, line=line, column=column, hint=hint, source=text)


def _plain_words(description: str, found: str) -> str:
    near = f" {found!r}" if found else " the end of the statement"
    if description.startswith("Expecting "):
        return f"expected {description.removeprefix('Expecting ')} but found{near}"
    if description.startswith("Invalid expression / Unexpected token"):
        return f"unexpected{near}"
    if description.startswith("Required keyword"):
        return f"the statement is incomplete at{near}"
    return f"{description} (at{near})"


def closest_hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]}?"
    return "known: " + (", ".join(sorted(known)) or "none")
