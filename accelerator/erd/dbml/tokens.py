"""Tokens of DBML and a cursor over them that raises located `ErdSyntaxError`s.

Blanks and comments are skipped; line breaks are tokens, because a DBML column ends at the end of its
line. Tokens are read lazily, so the grammar can also read a column type as raw text (`column_type`),
and a regular column line in one match (`read_plain_column`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from accelerator.erd.dbml.nodes import ColumnNode, Endpoint, Setting, Token, new_token
from accelerator.errors import ErdSyntaxError

_SPACE = re.compile(r"[ \t\r\f\ufeff]*")
_TOKEN = re.compile(  # leading blanks are part of the match so that one match yields one token
    r"[ \t\r\f\ufeff]*(?:"
    r"(?P<word>[A-Za-z0-9_]+)"
    r"|(?P<punct>\??(?:<>|[<>-])\?|\?(?:<>|[<>-])|<>|[{}\[\]()<>\-:,.])"
    r"|(?P<newline>\n)"
    r"|(?P<line_comment>//[^\n]*)"
    r"|(?P<block_comment>/\*.*?\*/)"
    r"|(?P<string>'''.*?(?<!\\)'''|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"  # (?:\\.|[^'\\\n])* unrolled: faster
    r"|(?P<quoted>\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\")"
    r"|(?P<expr>`[^`]*`)"
    r"|(?P<color>\#[0-9A-Fa-f]+)"
    r"|(?P<eof>\Z))",
    re.DOTALL,
)
_TYPE_NAME = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?")
_TYPE_ARGUMENT_ODD = re.compile(r"[^A-Za-z0-9_\"'`,.+\- \t()]")  # what pydbml rejects inside `type(...)`
_ARRAY_SUFFIX = re.compile(r"\[[ \t]*\d*[ \t]*\]")
# A column line in its most common form, `name type [settings]` with single-line values and no
# comment before its end; anything else is left to the token-by-token grammar, which reads these
# lines the same way (tests/erd/test_dbml.py compares the two). Case-sensitive patterns, with keywords
# compared in lower case after the match, run several times faster than (?i) alternations here.
_PLAIN_COLUMN = re.compile(
    r"[ \t\r\f\ufeff]*(?P<name>[A-Za-z0-9_]+)[ \t]+"
    r"(?P<type>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?(?:\([0-9]+(?:[ \t]*,[ \t]*[0-9]+)?\))?)"
    r"[ \t]*(?:(?P<open>\[)|[ \t\r\f\ufeff]*(?://[^\n]*)?(?:\n|\Z))"
)
_PLAIN_SETTING = re.compile(  # `lastgroup`: "key" alone, the kind of the value, or "endpoint"
    r"[ \t]*(?P<key>[A-Za-z]+(?: [A-Za-z]+)?)(?::[ \t]*(?:"
    r"(?P<string>'(?!'')[^'\\\n]*(?:\\.[^'\\\n]*)*')|(?P<quoted>\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\")"
    r"|(?P<expr>`[^`\n]*`)|(?P<number>[0-9]+(?:\.[0-9]+)?)|(?P<word>[A-Za-z]+)"
    r"|(?P<relation>\??(?:<>|[<>-])\??)[ \t]*(?P<endpoint>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+){1,2})))?"
    r"(?![A-Za-z0-9_])[ \t]*[,\]]"
)
_LINE_END = re.compile(r"[ \t\r\f\ufeff]*(?://[^\n]*)?(?:\n|\Z)")
_FLAGS = {"pk": "pk", "unique": "unique", "increment": "increment", "null": "null"}
_FLAGS |= {"primary key": "pk", "not null": "not null"}
_NOTE_KINDS = ("string", "quoted")
_DEFAULT_WORDS = ("true", "false", "null")
_NOT_COLUMNS = {"note", "indexes", "table", "ref", "enum", "tablegroup", "project"}
_FOUND = {"eof": "the end of the file", "newline": "the end of the line"}
SYNTAX_HINT = "see the DBML syntax at https://dbml.dbdiagram.io/docs"


def read_plain_column(text: str, pos: int) -> tuple[ColumnNode, int] | None:
    """The column on the line at `pos` and the offset after its line, if the line is a plain one."""
    line = _PLAIN_COLUMN.match(text, pos)
    if line is None:
        return None
    name_text = line.group("name")
    if name_text.lower() in _NOT_COLUMNS:
        return None
    start, name_end = line.span("name")
    type_start, end = line.span("type")
    name = new_token(Token, ("word", name_text, start, name_end))
    type_token = new_token(Token, ("type", line.group("type"), type_start, end))
    settings: list[Setting] = []
    pos = line.end()
    if line.group("open") is not None:
        while True:
            item = _PLAIN_SETTING.match(text, pos)
            if item is None or (setting := _plain_setting(item)) is None:
                return None
            settings.append(setting)
            pos = item.end()
            if text[pos - 1] == "]":
                break
        end = pos
        line_end = _LINE_END.match(text, pos)
        if line_end is None:
            return None
        pos = line_end.end()
    return ColumnNode(name, type_token, settings, start, end), pos


def _plain_setting(item: re.Match[str]) -> Setting | None:
    """The setting `_PLAIN_SETTING` matched; None where the grammar would raise an error instead."""
    kind = item.lastgroup or "key"
    key = item.group("key")
    start = item.start("key")
    if kind == "key":
        flag = _FLAGS.get(key.lower())
        return None if flag is None else Setting(flag, start, item.end("key"))
    if kind == "endpoint":
        return _plain_ref(item, start) if key == "ref" else None
    key = key.lower()
    value = item.group(kind)
    if (key == "note" and kind in _NOTE_KINDS) or (
        key == "default" and (kind != "word" or value.lower() in _DEFAULT_WORDS)
    ):
        value_start, value_end = item.span(kind)
        return Setting(key, start, value_end, new_token(Token, (kind, value, value_start, value_end)))
    return None


def _plain_ref(item: re.Match[str], start: int) -> Setting:
    # the relation without its optionality marks (`?<?`), over the whole mark
    relation = new_token(Token, ("punct", item.group("relation").replace("?", ""), *item.span("relation")))
    offset = item.start("endpoint")
    parts: list[Token] = []
    for part in item.group("endpoint").split("."):
        parts.append(new_token(Token, ("word", part, offset, offset + len(part))))
        offset += len(part) + 1
    endpoint = Endpoint(parts[:-1], parts[-1:], parts[0].start, parts[-1].end)
    return Setting("ref", start, endpoint.end, None, relation, endpoint)


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
            if kind == "word" or kind == "punct":  # most tokens: skip the checks below
                return new_token(Token, (kind, match.group(kind), match.start(kind), match.end()))
            value = match.group(kind)
            if kind == "line_comment" or (kind == "block_comment" and "\n" not in value):
                pos = match.end()
                continue
            start, end = match.span(kind)
            if kind == "block_comment":  # a comment spanning lines still ends the line it starts on
                kind = "newline"
            return new_token(Token, (kind, value, start, end))

    def peek(self) -> Token:
        token = self._peeked
        if token is None:
            token = self._peeked = self._scan(self.pos)
        return token

    def peek_second(self) -> Token:
        return self._scan(self.peek().end)

    def take(self) -> Token:
        token = self._peeked
        if token is None:
            token = self._scan(self.pos)
        else:
            self._peeked = None
        self.pos = token.end
        return token

    def skip_newlines(self) -> None:
        while self.peek().kind == "newline":
            self.take()

    def expect(self, mark: str, context: str, hint: str | None = None) -> Token:
        token = self.take()
        if token.kind != "punct" or token.text != mark:
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
        if colon.kind != "punct" or colon.text != ":":
            raise self.error(colon, f"expected ':' after '{key.text}'", f"write {key.text}: value")
        if colon.start != key.end:
            raise self.error(colon, f"write '{key.text}:' without a space before ':'")

    def name(self, what: str, hint: str | None = None) -> Token:
        token = self.take()
        if token.kind != "word" and token.kind != "quoted":
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
        if token.kind != "newline" and token.kind != "eof":
            raise self.error(token, f"expected the end of the line {context}", hint)

    def qualified_name(self, what: str) -> list[Token]:
        parts = [self.name(what)]
        if self.peek().is_punct("."):
            self.take()
            parts.append(self.name(what))
        return parts

    def settings(self, one: Callable[[], Setting], context: str) -> list[Setting]:
        self.expect("[", context)
        found: list[Setting] = []
        while True:
            self.skip_newlines()
            found.append(one())
            self.skip_newlines()
            token = self.take()
            if token.is_punct("]"):
                return found
            if not token.is_punct(","):
                raise self.error(token, f"expected ',' or ']' in the settings {context}")

    # -- column types, read as raw text ---------------------------------------------------------

    def column_type(self, name: Token) -> Token:
        """Read the type as raw text: `decimal(10,2)`, `array<string>`, `int[]`, `"time zone"`."""
        text, pos = self.text, name.end
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        self._peeked = None
        self.pos = pos
        if text.startswith('"', pos):
            return self.take()
        match = _TYPE_NAME.match(text, pos)
        if match is None:
            raise self.error(
                self.peek(), f"expected a type after column {name.text}", "write: name type [settings]"
            )
        end = match.end()
        if text.startswith("<", end):
            end = self._balanced(end, "<", ">")
        if text.startswith("(", end):
            arguments_start, end = end, self._balanced(end, "(", ")")
            if odd := _TYPE_ARGUMENT_ODD.search(text, arguments_start, end):
                raise self.error_at(
                    odd.start(),
                    f"unexpected {odd.group()!r} in the type arguments",
                    "write e.g. decimal(10,2)",
                )
        while suffix := _ARRAY_SUFFIX.match(text, end):
            end = suffix.end()
        self.pos = end
        return Token("type", text[pos:end], pos, end)

    def _balanced(self, start: int, opening: str, closing: str) -> int:
        depth = 0
        for pos in range(start, len(self.text)):
            char = self.text[pos]
            if char == "\n":
                break
            depth += (char == opening) - (char == closing)
            if depth == 0:
                return pos + 1
        raise self.error_at(start, f"unclosed '{opening}' in the column type", f"close it with '{closing}'")

    # -- errors ---------------------------------------------------------------------------------

    def location(self, offset: int) -> tuple[int, int]:
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1

    def error(self, token: Token, message: str, hint: str | None = None) -> ErdSyntaxError:
        found = _FOUND.get(token.kind)
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
