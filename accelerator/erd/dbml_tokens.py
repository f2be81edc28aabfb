"""Tokens of DBML and a cursor over them that raises located `ErdSyntaxError`s.

Blanks and comments are skipped; line breaks are tokens, because a DBML column ends at the end of its
line. Tokens are read lazily, so the grammar can also read a column type as raw text (see
`dbml_syntax.py`).
"""

from __future__ import annotations

import re
import textwrap
from typing import NamedTuple

from accelerator.errors import ErdSyntaxError

_SPACE = re.compile(r"[ \t\r\f\ufeff]*")
_TOKEN = re.compile(  # leading blanks are part of the match so that one match yields one token
    r"[ \t\r\f\ufeff]*(?:"
    r"(?P<line_comment>//[^\n]*)"
    r"|(?P<block_comment>/\*.*?\*/)"
    r"|(?P<newline>\n)"
    r"|(?P<string>'''.*?(?<!\\)'''|'(?:\\.|[^'\\\n])*')"
    r"|(?P<quoted>\"(?:\\.|[^\"\\\n])*\")"
    r"|(?P<expr>`[^`]*`)"
    r"|(?P<color>\#[0-9A-Fa-f]+)"
    r"|(?P<word>[A-Za-z0-9_]+)"
    r"|(?P<punct><>|[{}\[\]()<>\-:,.])"
    r"|(?P<eof>\Z))",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}
SYNTAX_HINT = "see the DBML syntax at https://dbml.dbdiagram.io/docs"


class Token(NamedTuple):
    kind: str  # word, quoted, string, expr, color, punct, newline, eof; "type" and "number" from the grammar
    text: str  # as written, quotes included
    start: int
    end: int

    @property
    def value(self) -> str:
        """The text a name or literal stands for: quotes removed, escapes resolved."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted" or (self.kind == "string" and not self.text.startswith("'''")):
            return _unescape(self.text[1:-1])
        if self.kind == "string":
            return _dedent(_unescape(self.text[3:-3]))
        if self.kind == "expr":
            return self.text[1:-1]
        return self.text

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def is_punct(self, *marks: str) -> bool:
        return self.kind == "punct" and self.text in marks


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), text)


def _dedent(text: str) -> str:
    """DBML's multi-line strings drop the common indentation and the blank first/last line."""
    return textwrap.dedent(text.strip("\n")).strip()


class TokenCursor:
    """Reads tokens of `text` one at a time; every error it raises points into `file`."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.pos = 0
        self._peeked: Token | None = None

    def _scan(self, pos: int) -> Token:
        text = self.text
        while True:
            match = _TOKEN.match(text, pos)
            if match is None:
                blanks = _SPACE.match(text, pos)
                raise self._bad_character(blanks.end() if blanks else pos)
            kind = match.lastgroup or "eof"
            value = match.group(kind)
            if kind == "line_comment" or (kind == "block_comment" and "\n" not in value):
                pos = match.end()
                continue
            if kind == "block_comment":  # a comment spanning lines still ends the line it starts on
                kind = "newline"
            start, end = match.span(kind)
            return Token(kind, value, start, end)

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self._scan(self.pos)
        return self._peeked

    def peek_second(self) -> Token:
        return self._scan(self.peek().end)

    def take(self) -> Token:
        token = self.peek()
        self.pos, self._peeked = token.end, None
        return token

    def skip_newlines(self) -> None:
        while self.peek().kind == "newline":
            self.take()

    def expect(self, mark: str, context: str, hint: str | None = None) -> Token:
        token = self.take()
        if not token.is_punct(mark):
            raise self.error(token, f"expected '{mark}' {context}", hint)
        return token

    def expect_word(self, word: str, context: str, after: Token | None = None) -> Token:
        token = self.take()
        if not token.is_word(word):
            raise self.error(token, f"expected '{word}' {context}")
        if after is not None and self.text[after.end : token.start] != " ":
            raise self.error(token, f"write '{after.text} {token.text}' with a single space")
        return token

    def colon_after(self, key: Token) -> None:
        colon = self.take()
        if not colon.is_punct(":"):
            raise self.error(colon, f"expected ':' after '{key.text}'", f"write {key.text}: value")
        if colon.start != key.end:
            raise self.error(colon, f"write '{key.text}:' without a space before ':'")

    def name(self, what: str, hint: str | None = None) -> Token:
        token = self.take()
        if token.kind not in ("word", "quoted"):
            raise self.error(
                token, f"expected {what}", hint or 'names are letters, digits and _, or "quoted"'
            )
        return token

    def string(self, what: str) -> Token:
        token = self.take()
        if token.kind not in ("string", "quoted"):
            raise self.error(token, f"expected {what} as a quoted string", "write it as 'text'")
        return token

    def end_of_line(self, context: str, hint: str | None = None) -> None:
        token = self.peek()
        if token.kind not in ("newline", "eof"):
            raise self.error(token, f"expected the end of the line {context}", hint)

    # -- errors ---------------------------------------------------------------------------------

    def location(self, offset: int) -> tuple[int, int]:
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1

    def error(self, token: Token, message: str, hint: str | None = None) -> ErdSyntaxError:
        found = {"eof": "the end of the file", "newline": "the end of the line"}.get(token.kind)
        return self.error_at(
            token.start, f"{message}, found {found or repr(token.text)}", hint or SYNTAX_HINT
        )

    def error_at(self, offset: int, message: str, hint: str | None = None) -> ErdSyntaxError:
        line, column = self.location(offset)
        return ErdSyntaxError(message, file=self.file, line=line, column=column, hint=hint, source=self.text)

    def _bad_character(self, pos: int) -> ErdSyntaxError:
        char = self.text[pos]
        if char in "'\"`":
            return self.error_at(pos, f"unterminated {char}...{char} string", f"close it with {char}")
        if self.text.startswith("/*", pos):
            return self.error_at(pos, "unterminated /* comment", "close it with */")
        return self.error_at(
            pos, f"unexpected character {char!r}", 'quote names with other characters: "my name"'
        )
