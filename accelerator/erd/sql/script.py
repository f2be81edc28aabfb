"""Client and script lines in a SQL file, handled as the dialect's own client handles them.

A real dump or script is written for a client (psql, SQL*Plus, mysql, sqlcmd, SnowSQL), not for
the server: meta-commands (`\\connect`, `SET ECHO OFF`, `DELIMITER //`, `:setvar`), batch and
block terminators (`GO`, `/`, a custom delimiter) and data blocks (`COPY ... FROM stdin` up to
`\\.`) are the client's. `client_script` blanks them out (same length, same line breaks, so every
offset, line and column of the file stays as written), turns terminators into `;`, and blanks
whole procedural blocks (procedures, functions, triggers, packages, anonymous blocks) whose
bodies hold their own `;`: those are reported skipped and never parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType

from accelerator.erd.sql.tokens import matching_close, top_level_items
from accelerator.model import Severity

# Which client a dialect's scripts are written for.
CLIENTS = {
    "postgres": "psql",
    "redshift": "psql",
    "materialize": "psql",
    "risingwave": "psql",
    "oracle": "sqlplus",
    "mysql": "mysql",
    "doris": "mysql",
    "starrocks": "mysql",
    "singlestore": "mysql",
    "tsql": "sqlcmd",
    "fabric": "sqlcmd",
    "snowflake": "snowsql",
    "databricks": "notebook",
    "spark": "notebook",
}
_SQLPLUS_WORDS = (
    "SET|PROMPT|SPOOL|CONNECT|CONN|REM|REMARK|WHENEVER|DEFINE|UNDEFINE|ACCEPT|EXIT|QUIT|COLUMN|COL|"
    "TTITLE|BTITLE|BREAK|COMPUTE|CLEAR|PAUSE|SHOW|DESCRIBE|DESC|VARIABLE|VAR|PRINT|HOST|STORE|TIMING|"
    "EXEC|EXECUTE|START|PASSWORD|REPHEADER|REPFOOTER|ARCHIVE|STARTUP|SHUTDOWN|RECOVER|ATTRIBUTE"
)
_BLOCK_WORDS = r"\b(?:PROCEDURE|PROC|FUNCTION|TRIGGER|PACKAGE|EVENT)\b|^[ \t]*(?:BEGIN|DECLARE)\b"
# A file needs the scan only if it has one of these (most files have none: no cost for them).
_TRIGGERS = {
    "psql": re.compile(r"^[ \t]*\\|\bstdin\b", re.IGNORECASE | re.MULTILINE),
    "sqlplus": re.compile(
        rf"^[ \t]*(?:/[ \t]*$|@|(?:{_SQLPLUS_WORDS})\b)|{_BLOCK_WORDS}", re.IGNORECASE | re.MULTILINE
    ),
    "mysql": re.compile(rf"^[ \t]*(?:DELIMITER|source\b|\\)|{_BLOCK_WORDS}", re.IGNORECASE | re.MULTILINE),
    "sqlcmd": re.compile(rf"^[ \t]*(?:GO\b|:[A-Za-z]|!!)|{_BLOCK_WORDS}", re.IGNORECASE | re.MULTILINE),
    "snowsql": re.compile(rf"^[ \t]*!|{_BLOCK_WORDS}", re.IGNORECASE | re.MULTILINE),
    "notebook": re.compile(rf"^-- COMMAND -{{10}}|{_BLOCK_WORDS}", re.IGNORECASE | re.MULTILINE),
    None: re.compile(_BLOCK_WORDS, re.IGNORECASE | re.MULTILINE),
}
# Lower-case text one of which a file must hold to need the scan (cheaper to test than _TRIGGERS).
_BLOCK_LITERALS = ("proc", "function", "trigger", "package", "event", "begin", "declare")
_LITERALS: dict[str | None, tuple[str, ...]] = {
    "sqlplus": ("/", "@", *_SQLPLUS_WORDS.lower().split("|"), *_BLOCK_LITERALS),
    "mysql": ("delimiter", "source", "\\", *_BLOCK_LITERALS),
    "sqlcmd": ("go", ":", "!!", *_BLOCK_LITERALS),
    "snowsql": ("!", *_BLOCK_LITERALS),
    "notebook": ("-- command -", *_BLOCK_LITERALS),
    None: _BLOCK_LITERALS,
}
_LINE_END = re.compile(r"\n|\Z")
_GO = re.compile(r"[ \t]*GO(?:[ \t]+\d+)?[ \t]*(?:--[^\n]*)?\r?(?=\n|\Z)", re.IGNORECASE)
# A Databricks notebook exported as a .sql file: each cell runs on its own, no `;` needed at its end.
_CELL = re.compile(r"-- COMMAND -{10}[ \t]*\r?(?=\n|\Z)")
_SLASH = re.compile(r"[ \t]*/[ \t]*\r?(?=\n|\Z)")
_SQLCMD = re.compile(r"[ \t]*(?::(\w+)|!!)", re.IGNORECASE)
_PSQL = re.compile(r"[ \t]*\\(\w*|\.)", re.IGNORECASE)
_SQLPLUS = re.compile(rf"[ \t]*(@@?|(?:{_SQLPLUS_WORDS})\b)", re.IGNORECASE)
_MYSQL = re.compile(r"[ \t]*(?:(DELIMITER)[ \t]+(\S+)|(source)\b|\\(\S?))", re.IGNORECASE)
_SNOWSQL = re.compile(r"[ \t]*!(\w+)", re.IGNORECASE)
_DATA_END = re.compile(r"^\\\.[ \t]*\r?$", re.MULTILINE)
_INCLUDES = {"i", "ir", "include", "include_relative", "r", "@", "@@", "start", "source", ".", "load"}
_COPY_STDIN = re.compile(r"(?is)\\?COPY\b.*\bFROM\s+STDIN\b")
_MODIFIER = (
    r"OR\s+(?:REPLACE|ALTER)|EDITIONABLE|NONEDITIONABLE|TEMP|TEMPORARY|SECURE|AGGREGATE|CONSTRAINT|"
    r"PUBLIC|DEFINER\s*=\s*(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[^\s`'\"@]+)(?:@(?:`[^`]*`|'[^']*'|[^\s`']+))?"
)
_BLOCK_HEAD = re.compile(
    rf"(CREATE|ALTER)(?:\s+(?:{_MODIFIER}))*\s+(PROCEDURE|PROC|FUNCTION|TRIGGER|PACKAGE(?:\s+BODY)?|"
    r"EVENT|TYPE\s+BODY)\b"
    r"|(BEGIN|DECLARE)\b(?!\s*(?:;|TRAN|TRANSACTION|WORK|DISTRIBUTED|DEFERRED|IMMEDIATE|EXCLUSIVE)\b)",
    re.IGNORECASE,
)
_BALANCE = re.compile(r"\b(BEGIN|CASE|END)\b(?:\s+(\w+))?", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"\bCREATE\s+TABLE\b", re.IGNORECASE)
_BLANK = re.compile(r"[^\r\n]")


class ScriptNote(NamedTuple):
    rule: str
    severity: Severity
    message: str
    start: int
    end: int


class Script(NamedTuple):
    """The file as the server would see it (same offsets), and what was skipped on the way."""

    text: str
    notes: list[ScriptNote]


def client_script(text: str, dialect: str) -> Script | None:
    """`text` with the client's lines blanked and its procedural blocks skipped; None if it has none."""
    client = CLIENTS.get(dialect)
    if client == "psql":  # literal tests first: a regex over a large dump costs more than reading it
        if "\\" not in text and "stdin" not in text and "STDIN" not in text:
            return None
    elif not any(word in text.lower() for word in _LITERALS[client]):
        return None
    if not _TRIGGERS[client].search(text):
        return None
    scan = _Scan(text, dialect, client)
    scan.run()
    if not scan.edits and not scan.notes:
        return None
    return Script(scan.masked(), scan.notes)


class _Scan:
    """One pass over the text: quotes and comments are jumped over, lines are checked where they
    start outside them, statements are tracked from their first word to their terminator."""

    def __init__(self, text: str, dialect: str, client: str | None) -> None:
        self.text, self.dialect, self.client = text, dialect, client
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement: "" blanks)
        self.notes: list[ScriptNote] = []
        self.delimiter = ";"
        self.statement: int | None = None  # offset where the current statement starts
        self.block: re.Match[str] | None = None  # the head of the current procedural block
        quotes = "'\""
        if dialect in ("mysql", "bigquery", "databricks", "spark", "spark2", "hive", "doris", "starrocks"):
            quotes += "`"
        self.backslash_escapes = "`" in quotes
        pattern = [re.escape(q) for q in quotes] + ["--", r"/\*", ";", r"\n"]
        if client == "sqlcmd":
            pattern.append(r"\[")
        if client == "mysql":
            pattern.append("#")
        if client in ("psql", "snowsql"):
            pattern.append(r"\$(?:[A-Za-z_]\w*)?\$")
        self.pattern = "|".join(pattern)
        self.interesting = re.compile(self.pattern)
        self.has_slash = client == "sqlplus" and re.search(r"^[ \t]*/[ \t]*\r?$", text, re.MULTILINE)
        self.has_go = (
            client == "sqlcmd" and re.search(r"^[ \t]*GO\b", text, re.MULTILINE | re.IGNORECASE)
        ) or (client == "notebook" and _CELL.search(text))

    # -- the pass ---------------------------------------------------------------------------------

    def run(self) -> None:
        text, pos, end = self.text, 0, len(self.text)
        while pos < end:
            if pos == 0 or text[pos - 1] == "\n":
                after_line = self._line(pos)
                if after_line is not None:
                    pos = after_line
                    continue
            if self.statement is None:
                start = _first_word(text, pos)
                if start is None:
                    break
                line_start = text.rfind("\n", pos, start) + 1
                if line_start > pos:  # a line began in between: check it first
                    pos = line_start
                    continue
                pos = self._begin(start)
                continue
            found = self._next(pos)
            if found is None:
                break
            pos = self._token(found)
        if self.statement is not None and self.block is not None:
            self._end_block(len(text), len(text), terminated=False)

    def _next(self, pos: int) -> re.Match[str] | None:
        if self.delimiter != ";":
            # the delimiter first: `;;` must not be read as two `;`
            pattern = re.compile(re.escape(self.delimiter) + "|" + self.pattern)
            return pattern.search(self.text, pos)
        return self.interesting.search(self.text, pos)

    def _begin(self, start: int) -> int:
        """A statement starts at `start` (its first word)."""
        text = self.text
        if text.startswith(("--", "/*", "#"), start) and not (text[start] == "#" and self.client != "mysql"):
            return self._skip_comment(start)
        self.statement = start
        head = _BLOCK_HEAD.match(text, start)
        anonymous = head is not None and head.group(3) is not None
        if head is not None and anonymous and (self.client == "psql" or self.client == "mysql"):
            head = None  # BEGIN is a transaction there, and DECLARE a cursor
        if head is not None and anonymous and head.group(3).upper() == "DECLARE" and self.client != "sqlplus":
            head = None  # T-SQL's DECLARE @x is one statement
        self.block = head
        self.depth, self.closed = 0, False
        return start

    def _token(self, found: re.Match[str]) -> int:
        token, start = found.group(0), found.start()
        if token == "\n":
            return start + 1
        if token == self.delimiter and self.delimiter != ";":
            self._terminate(start, start + len(token))
            return start + len(token)
        if token == ";":
            if self.block is None:
                data = self._after_statement(start)
                self.statement = None
                if data is not None:
                    return data
            elif self._block_ends_at_semicolon(start):
                self._end_block(start, start + 1, terminated=True)
            return start + 1
        if token in ("--", "/*", "#"):
            return self._skip_comment(start)
        return self._skip_quoted(start, token)

    def _block_ends_at_semicolon(self, semicolon: int) -> bool:
        """With no client terminator in the file, a block ends at the `;` after its last END."""
        if self.has_slash or self.has_go or self.delimiter != ";":
            return False
        assert self.statement is not None
        code = self._code(self.statement, semicolon)
        depth, closed = 0, False
        for word in _BALANCE.finditer(code):
            name, following = word.group(1).upper(), (word.group(2) or "").upper()
            if (
                name == "BEGIN" and following not in ("TRAN", "TRANSACTION", "WORK", "DISTRIBUTED")
            ) or name == "CASE":
                depth += 1
            elif name == "END" and following not in ("IF", "LOOP", "WHILE", "REPEAT", "FOR"):
                depth -= 1
                closed = depth <= 0
        return depth <= 0 and (closed or "BEGIN" not in code.upper())

    def _code(self, start: int, end: int) -> str:
        """text[start:end] without its quoted text and comments, for counting words in it."""
        return _STRIP.sub(" ", self.text[start:end])

    # -- lines ------------------------------------------------------------------------------------

    def _line(self, pos: int) -> int | None:
        """Handle the client's line at `pos`; the offset after it, or None if it is SQL."""
        text, client = self.text, self.client
        line_end = _LINE_END.search(text, pos)
        assert line_end is not None
        stop = line_end.start()
        next_line = min(stop + 1, len(text))
        if client == "sqlcmd":
            if _GO.match(text, pos):
                self._terminate_line(pos, stop)
                return next_line
            command = _SQLCMD.match(text, pos)
            if command is not None and self.statement is None:
                self._client_line(pos, stop, (command.group(1) or "!!").lower())
                return next_line
        elif client == "sqlplus":
            if _SLASH.match(text, pos):
                self._terminate_line(pos, stop)
                return next_line
            command = _SQLPLUS.match(text, pos)
            if command is not None and self.statement is None:
                while stop < len(text) and text[pos:stop].rstrip().endswith("-"):  # continued line
                    stop = _LINE_END.search(text, stop + 1).start()  # type: ignore[union-attr]
                self._client_line(pos, stop, command.group(1).lower())
                return min(stop + 1, len(text))
        elif client == "psql":
            command = _PSQL.match(text, pos)
            if command is not None:
                self._client_line(pos, stop, command.group(1).lower())
                if command.group(1).lower() == "copy" and _COPY_STDIN.search(text, pos, stop):
                    return self._data(next_line)
                return next_line
        elif client == "mysql":
            command = _MYSQL.match(text, pos)
            if command is not None and self.statement is None:
                if command.group(1):
                    self.delimiter = command.group(2)
                    self._client_line(pos, stop, "delimiter")
                else:
                    self._client_line(pos, stop, (command.group(3) or command.group(4) or "").lower())
                return next_line
        elif client == "notebook":
            if _CELL.match(text, pos):
                self._terminate_line(pos, stop)
                return next_line
        elif client == "snowsql":
            command = _SNOWSQL.match(text, pos)
            if command is not None and self.statement is None:
                self._client_line(pos, stop, command.group(1).lower())
                return next_line
        return None

    def _client_line(self, start: int, end: int, command: str) -> None:
        self.edits.append((start, end, ""))
        if command in _INCLUDES:
            self.notes.append(
                ScriptNote(
                    "sql.include.unread",
                    "warn",
                    f"{self.text[start:end].strip()[:60]}: the included file is not read; "
                    "add it to the ERD files to read what it declares",
                    start,
                    end,
                )
            )

    def _terminate_line(self, start: int, end: int) -> None:
        """`GO` or `/` on its own line: ends the statement or block in progress."""
        if self.statement is not None and self.block is None:
            self.edits.append((start, end, ";"))
            self.statement = None
        elif self.statement is not None:
            self._end_block(start, end, terminated=True)
        else:
            self.edits.append((start, end, ""))

    def _terminate(self, start: int, end: int) -> None:
        """The custom delimiter (`DELIMITER //`) ends the statement or block in progress."""
        if self.block is not None:
            self._end_block(start, end, terminated=True)
            return
        self.edits.append((start, end, ";"))
        self.statement = None

    def _after_statement(self, end: int) -> int | None:
        """pg_dump's `COPY t (...) FROM stdin;` is followed by its data, up to `\\.`: the offset
        after the data, or None for any other statement."""
        assert self.statement is not None
        if self.client == "psql" and _COPY_STDIN.match(self.text, self.statement, end):
            newline = self.text.find("\n", end)
            return self._data(newline + 1) if newline >= 0 else None
        return None

    def _data(self, start: int) -> int:
        """Blank the data lines from `start` to the `\\.` line (included); the offset after it."""
        close = _DATA_END.search(self.text, start)
        end = close.end() if close is not None else len(self.text)
        self.edits.append((start, end, ""))
        return end

    def _end_block(self, end: int, terminator_end: int, *, terminated: bool) -> None:
        assert self.statement is not None and self.block is not None
        start, head = self.statement, self.block
        kind = f"{head.group(1).upper()} {' '.join(head.group(2).upper().split())}" if head.group(1) else None
        label = kind or f"{head.group(3).upper()} ... END block"
        severity: Severity = "info"
        message = f"{label} statement skipped: its body is not read"
        if not terminated and _CREATE_TABLE.search(self._code(head.end(), end)):
            severity = "warn"
            terminator = {"sqlplus": "/ line", "sqlcmd": "GO line"}.get(self.client or "", self.delimiter)
            message = (
                f"{label} statement has no terminator ({terminator}): "
                "the rest of the file, with the CREATE TABLE statements in it, is read as its body"
            )
        self.notes.append(ScriptNote("sql.statement.skipped", severity, message, start, end))
        self.edits.append((start, terminator_end, ""))
        self.statement, self.block = None, None

    # -- quoted text and comments -----------------------------------------------------------------

    def _skip_comment(self, start: int) -> int:
        text = self.text
        if text.startswith("/*", start):
            close = text.find("*/", start + 2)
            return len(text) if close < 0 else close + 2
        newline = text.find("\n", start)
        return len(text) if newline < 0 else newline  # the newline is seen: the next line is checked

    def _skip_quoted(self, start: int, opener: str) -> int:
        text = self.text
        if opener.startswith("$"):
            close = text.find(opener, start + len(opener))
            return len(text) if close < 0 else close + len(opener)
        closer = "]" if opener == "[" else opener
        pos = start + 1
        while True:
            close = text.find(closer, pos)
            if close < 0:
                return len(text)  # the tokenizer reports the unterminated text
            if self.backslash_escapes and opener == "'" and _escaped(text, close):
                pos = close + 1
                continue
            if text.startswith(closer * 2, close):
                pos = close + 2
                continue
            return close + 1

    def masked(self) -> str:
        pieces, pos, text = [], 0, self.text
        for start, end, replacement in sorted(self.edits):
            if start < pos:
                continue
            pieces.append(text[pos:start])
            segment = text[start:end]
            blanked = _BLANK.sub(" ", segment)
            if replacement:
                offset = len(segment) - len(segment.lstrip(" \t"))
                blanked = blanked[:offset] + replacement + blanked[offset + len(replacement) :]
            pieces.append(blanked)
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _first_word(text: str, pos: int) -> int | None:
    match = _NON_SPACE.search(text, pos)
    return match.start() if match else None


_NON_SPACE = re.compile(r"\S")
_STRIP = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/|\$(\w*)\$.*?\$\1\$", re.DOTALL)


# Words that end a SQLite column's type name: the column constraints.
_SQLITE_CONSTRAINT_WORDS = {
    "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
    "GENERATED", "AS", "AUTOINCREMENT", "ON", "FOREIGN",
}  # fmt: skip
_SHORT = {"INTEGER": "INT"}  # where the words are shorter than the affinity's name
_OPEN_OR_END = (TokenType.L_PAREN, TokenType.SEMICOLON)
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")


def sqlite_affinity(words: str) -> str:
    """The type SQLite gives a declared type name (datatype3.html, 3.1), in the order it checks."""
    upper = words.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(part in upper for part in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper or not upper:
        return "BLOB"
    if any(part in upper for part in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def sqlite_type_names(
    text: str,
    tokenize: Callable[[str], list[Token]],
    parses: Callable[[str], bool],
    extents: dict[int, tuple[int, str]],
) -> str:
    """`text` with each column type of several words that sqlglot does not read (`BLOB SUB_TYPE
    TEXT`; SQLite accepts any) written as its SQLite affinity, padded to the same length; `extents`
    gets each one's start -> (its end as written, the affinity), for the column to keep the user's
    spelling and be mapped by the affinity."""
    if not re.search(r"\bCREATE\b", text, re.IGNORECASE):
        return text
    try:
        tokens = tokenize(text)
    except TokenError:
        return text  # the reader reports it where it tokenizes the file
    edits: list[tuple[int, int, str]] = []
    for index, token in enumerate(tokens):
        if token.token_type != TokenType.CREATE:
            continue
        table = next(
            (
                i
                for i in range(index + 1, min(index + 3, len(tokens)))
                if tokens[i].token_type == TokenType.TABLE
            ),
            None,
        )
        opening = next(
            (i for i in range(table or len(tokens), len(tokens)) if tokens[i].token_type in _OPEN_OR_END),
            None,
        )
        if opening is None or tokens[opening].token_type != TokenType.L_PAREN:
            continue
        for first, last in top_level_items(tokens, opening + 1, matching_close(tokens, opening)):
            end = first + 1
            while end < last and _type_word(text, tokens[end]):
                end += 1
            named = (
                tokens[first].text.upper() not in _SQLITE_CONSTRAINT_WORDS
                or text[tokens[first].start] in '"`['
            )
            if end - first - 1 < 2 or not named:
                continue
            start, stop = tokens[first + 1].start, tokens[end - 1].end + 1
            written = " ".join(text[start:stop].split())
            affinity = sqlite_affinity(written)
            affinity = affinity if len(affinity) <= stop - start else _SHORT.get(affinity, affinity)
            if len(affinity) <= stop - start and not parses(written):
                edits.append((start, stop, affinity.ljust(stop - start)))
                extents[start] = (stop, affinity)
    for start, stop, replacement in reversed(edits):
        text = text[:start] + replacement + text[stop:]
    return text


def _type_word(text: str, token: Token) -> bool:
    """A bare word that may be part of a type name (not a quoted name, nor a constraint)."""
    return (
        _WORD.match(token.text) is not None
        and text[token.start] not in "\"'`["
        and token.text.upper() not in _SQLITE_CONSTRAINT_WORDS
    )
