"""Reading Databricks SQL text: tokens (backtick names, strings with backslash escapes, numbers,
punctuation) and a cursor that matches the Unity Catalog statement forms word by word."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accelerator.sandbox.databricks.errors import SqlError, parse_error

MAX_STATEMENT_CHARS = 1_000_000
MAX_NESTING = 100

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<qident>`(?:[^`]|``)*`)
  | (?P<string>[rR]?'(?:[^'\\]|\\.)*'|[rR]?"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[LlSsYyDdFf]?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<param>:[A-Za-z_][A-Za-z0-9_]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<punct><=>|<=|>=|<>|!=|\|\||::|[(),.;=<>*+\-/%:\[\]{}!?&|^~])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a", "%": "\\%", "_": "\\_"}


@dataclass(frozen=True)
class Token:
    kind: str  # word, qident, string, number, param, punct
    text: str  # as written
    start: int
    end: int

    @property
    def value(self) -> str:
        """A name without its backticks, a string's value, or the text."""
        if self.kind == "qident":
            return self.text[1:-1].replace("``", "`")
        if self.kind == "string":
            return unquote_string(self.text)
        return self.text

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def unquote_string(text: str) -> str:
    raw = text[:1] in "rR"
    body = text[2:-1] if raw else text[1:-1]
    if raw:
        return body
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            out.append(_ESCAPES.get(following, following))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_STATEMENT_CHARS:
        raise SqlError(
            "STATEMENT_TOO_LONG", "54000", f"A statement is at most {MAX_STATEMENT_CHARS} characters."
        )
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise parse_error(text[position : position + 10])
        kind = match.lastgroup or "space"
        if kind != "space":
            tokens.append(Token(kind, match.group(), match.start(), match.end()))
        position = match.end()
    return tokens


def split_statements(text: str) -> list[str]:
    """The statements of `text`, split at semicolons outside strings, names and comments."""
    pieces: list[str] = []
    current: list[Token] = []
    for token in [*tokenize(text), None]:
        if token is None or (token.kind == "punct" and token.text == ";"):
            if current:  # from its first token to its last: comments around it are left out
                pieces.append(text[current[0].start : current[-1].end])
            current = []
            continue
        current.append(token)
    return pieces


class Cursor:
    """Walks the tokens of one statement; `expect*` raise PARSE_SYNTAX_ERROR naming what was found."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [t for t in tokenize(text) if not (t.kind == "punct" and t.text == ";")]
        self.index = 0
        depth = deepest = 0
        for token in self.tokens:
            if token.kind == "punct" and token.text in "([{":
                depth += 1
                deepest = max(deepest, depth)
            elif token.kind == "punct" and token.text in ")]}":
                depth -= 1
        if deepest > MAX_NESTING:
            raise SqlError(
                "PARSE_SYNTAX_ERROR",
                "42601",
                f"The statement nests parentheses {deepest} deep (at most {MAX_NESTING}).",
            )

    # looking

    def peek(self, offset: int = 0) -> Token | None:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at(self, *words: str) -> bool:
        """The next tokens are these words (case-insensitive) or punctuation, in order."""
        for offset, word in enumerate(words):
            token = self.peek(offset)
            if token is None:
                return False
            if word.isalpha() or "_" in word:
                if not token.is_word(word.upper()):
                    return False
            elif token.kind != "punct" or token.text != word:
                return False
        return True

    def at_end(self) -> bool:
        return self.index >= len(self.tokens)

    # consuming

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.index += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expected {' '.join(words)}")

    def error(self, detail: str) -> SqlError:
        token = self.peek()
        return parse_error(token.text if token is not None else "end of input", detail)

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of statement")
        self.index += 1
        return token

    def name(self) -> str:
        token = self.next()
        if token.kind not in ("word", "qident"):
            self.index -= 1
            raise self.error("expected a name")
        return token.value

    def qualified(self) -> list[str]:
        parts = [self.name()]
        while self.accept("."):
            parts.append(self.name())
        return parts

    def names_in_parentheses(self) -> list[str]:
        self.expect("(")
        names = [".".join(self.qualified())]
        while self.accept(","):
            names.append(".".join(self.qualified()))
        self.expect(")")
        return names

    def string(self) -> str:
        token = self.next()
        if token.kind != "string":
            self.index -= 1
            raise self.error("expected a string literal")
        value = token.value
        while (following := self.peek()) is not None and following.kind == "string":  # 'a' 'b' is 'ab'
            value += following.value
            self.index += 1
        return value

    def string_or_null(self) -> str | None:
        if self.accept("NULL"):
            return None
        return self.string()

    def integer(self) -> int:
        sign = -1 if self.accept("-") else 1
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            self.index -= 1
            raise self.error("expected an integer")
        return sign * int(token.text)

    def pairs(self) -> dict[str, str]:
        """`('k' = 'v', ...)`; keys may be names (`delta.x = 'y'`)."""
        self.expect("(")
        found: dict[str, str] = {}
        while True:
            token = self.peek()
            key = (
                self.string() if token is not None and token.kind == "string" else ".".join(self.qualified())
            )
            if self.accept("="):
                value_token = self.next()
                value = value_token.value
                if value_token.kind == "string":
                    while (following := self.peek()) is not None and following.kind == "string":
                        value += following.value
                        self.index += 1
            else:
                value = ""
            found[key] = value
            if not self.accept(","):
                break
        self.expect(")")
        return found

    def keys(self) -> list[str]:
        """`('k', ...)`: UNSET TAGS / UNSET TBLPROPERTIES."""
        self.expect("(")
        found = [self._key()]
        while self.accept(","):
            found.append(self._key())
        self.expect(")")
        return found

    def _key(self) -> str:
        token = self.peek()
        return self.string() if token is not None and token.kind == "string" else ".".join(self.qualified())

    def expression(self, *stops: str) -> str:
        """The text up to (not including) a top-level `,` or `)` or one of the `stops` words."""
        start_index = self.index
        depth = 0
        while (token := self.peek()) is not None:
            if depth == 0 and (
                (token.kind == "punct" and token.text in (",", ")"))
                or (token.kind == "word" and token.text.upper() in stops)
            ):
                break
            if token.kind == "punct" and token.text in ("(", "[", "{"):
                depth += 1
            elif token.kind == "punct" and token.text in (")", "]", "}"):
                depth -= 1
            elif token.kind == "punct" and token.text == "<" and depth >= 0:
                pass
            self.index += 1
        if self.index == start_index:
            raise self.error("expected an expression")
        return self.text[self.tokens[start_index].start : self.tokens[self.index - 1].end]

    def data_type(self) -> str:
        """`BIGINT`, `DECIMAL(10,2)`, `ARRAY<STRING>`, `STRUCT<a: INT, b: MAP<STRING, INT>>`, normalized."""
        start = self.index
        self.name()
        if self.at("("):
            depth = 0
            while (token := self.next()) is not None:
                if token.text == "(":
                    depth += 1
                elif token.text == ")":
                    depth -= 1
                    if depth == 0:
                        break
        elif self.at("<"):
            depth = 0
            while True:
                token = self.next()
                if token.text == "<":
                    depth += 1
                elif token.text == ">":
                    depth -= 1
                    if depth == 0:
                        break
        pieces = [self.tokens[i] for i in range(start, self.index)]
        text = ""
        for token in pieces:
            part = token.value if token.kind == "qident" else token.text
            if token.kind == "word":
                part = part.upper()
            elif token.kind == "param":  # `a:INT` reads as a parameter marker
                part = ": " + token.text[1:].upper()
            if (
                text and text[-1] not in "(<," and part not in (")", ">", ",", "(", "<", ":")
            ) or text.endswith(":"):
                text += " "
            text += part
        return text.replace(" ,", ",")

    def rest(self) -> str:
        token = self.peek()
        return "" if token is None else self.text[token.start :].strip().rstrip(";").strip()

    def end(self) -> None:
        if not self.at_end():
            raise self.error("unexpected text at the end of the statement")
