"""Cutting a PR comment into statements, each with its position in the comment.

A statement is a line, or a `;`-separated part of one (a `;` inside quotes does not split). Lines in
Markdown quotes (`> ...`) and fenced code blocks are someone else's words and are skipped; a
leading bot mention (`@accelerator`, `/accelerator`) and a list bullet (`- `, `1. `) are stripped,
as is a trailing period.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

DEFAULT_BOT_NAMES: tuple[str, ...] = ("accelerator", "uc")  # `@accelerator ...`, `/uc allow ...`


@dataclass(frozen=True)
class CommentStatement:
    """One command's text, and where it starts in the comment (1-based line and column)."""

    text: str
    line: int
    column: int


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r"(`{3,}|~{3,})")
_BULLET = re.compile(r"(?:[-*+]|\d+[.)])\s+")


def split_statements(text: str, *, bot_names: Sequence[str] = DEFAULT_BOT_NAMES) -> list[CommentStatement]:
    """The statements of a comment, skipping quotes, fenced code, mentions and bullets."""
    names = "|".join(re.escape(name) for name in bot_names) or r"(?!)"
    mention = re.compile(rf"[@/](?:{names})(?:\[bot\])?(?![\w-])[:,]?\s*", re.IGNORECASE)
    statements: list[CommentStatement] = []
    fence: str | None = None
    # only real line breaks: `str.splitlines` would also cut at U+2028 and friends, which the parser refuses
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        stripped = line.strip()
        opening = _FENCE.match(stripped)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        if stripped.startswith(">"):
            continue
        start = len(line) - len(line.lstrip())
        while match := (mention.match(line, start) or _BULLET.match(line, start)):
            start = match.end()
        for part_start, part in _split_outside_quotes(line, start):
            body = part.rstrip()
            if body.endswith("."):
                body = body[:-1].rstrip()
            leading = len(body) - len(body.lstrip())
            if body.strip():
                statements.append(CommentStatement(body.strip(), number, part_start + leading + 1))
    return statements


def _split_outside_quotes(line: str, start: int) -> Iterator[tuple[int, str]]:
    """`;`-separated parts of `line[start:]` with their offsets; `;` in quotes does not split."""
    quote: str | None = None
    part_start = start
    index = start
    while index < len(line):
        char = line[index]
        if quote is not None:
            if char == "\\" and quote != "`":
                index += 1  # skip the escaped character
            elif char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char == ";":
            yield part_start, line[part_start:index]
            part_start = index + 1
        index += 1
    yield part_start, line[part_start:]
