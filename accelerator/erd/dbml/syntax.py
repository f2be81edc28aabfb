"""DBML text -> a syntax tree that keeps the offset of every name, type and setting.

pydbml records no positions and is slow (pyparsing), so the structure comes from this
scanner; `erd/dbml/reader.py` still runs pydbml over small files as a second opinion. The language accepted is
pydbml 1.2's grammar (keywords case-insensitive, `key:` written without a space as pydbml requires)
plus the column types pydbml cannot read: `array<string>`, `map<string,int>`, `struct<a:int>`.

A conversation turn changes a few characters of a file and parses it again, so `scan_dbml` keeps
the last scans of each file and reads again only what changed. This is exact because the reading of
a top-level block depends on nothing but the text from where the scanner stands before it (the
start of the text, or right after the line break that ended the previous block) to the line break
that ends it. Against the recent text with the longest unchanged start and end, the blocks that end
inside the unchanged start are kept, the scanner restarts after the last of them, and it stops as
soon as it ends a block where the recent text ends one inside the unchanged end: from there on both
texts read the same, so the recent text's later blocks follow, shifted by the change of length.
Errors are the full scan's too, as the scanner stands where a full scan would. Blocks are shared,
not copied: a text refers to each with its shift from the text it was read in, and `Scan.document`
makes shifted copies of the nodes only when the syntax tree is asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from accelerator.erd.dbml.nodes import (
    Block,
    ColumnNode,
    DbmlDocument,
    Endpoint,
    EnumNode,
    IndexNode,
    RefNode,
    Setting,
    TableNode,
    Token,
    new_token,
)
from accelerator.erd.dbml.tokens import TokenCursor, read_plain_column

_TOP_LEVEL = ("table", "ref", "enum", "tablegroup", "project", "note")
RELATIONS = (">", "<", "-", "<>")
COLUMN_SETTINGS = (
    "pk, primary key, not null, null, unique, increment, default: ..., note: '...', ref: > t.c, check: `expr`"
)
INDEX_TYPES = ("btree", "hash", "gin", "gist", "brin", "spgist")
REF_ACTIONS = ("cascade", "restrict", "no action", "set null", "set default")

# A turn reads the text before its edit and the text after it, an undo goes back to the one before.
# Scans are not modified once made (but for the memos `Scan.document` and `Block.built`, which a race
# at worst computes twice), so threads share them; the lock guards the lists.
RECENT_TEXTS = 3  # per file
RECENT_FILES = 8
_SHARED_RECENT: OrderedDict[str, list[Scan]] = OrderedDict()  # of every thread, but in `separate_scans`
_RECENT: ContextVar[OrderedDict[str, list[Scan]]] = ContextVar("recent_dbml_scans", default=_SHARED_RECENT)
_recent_lock = threading.Lock()


NodeT = TypeVar("NodeT", TableNode, EnumNode, RefNode)


@dataclass(frozen=True, slots=True)
class Located(Generic[NodeT]):
    """A node of a scan, as read in the text it was first read in, placed in this text.

    Names and structure are read from `node` as they are; its offsets are `shift` characters off
    this text's. `in_text()` is the node with this text's offsets (a copy, unless not shifted).
    """

    node: NodeT
    shift: int

    @property
    def start(self) -> int:
        return self.node.start + self.shift

    @property
    def end(self) -> int:
        return self.node.end + self.shift

    def in_text(self) -> NodeT:
        node, shift = self.node, self.shift
        if not shift:
            return node
        if isinstance(node, TableNode):
            return moved_table(node, shift)
        if isinstance(node, EnumNode):
            return moved_enum(node, shift)
        return moved_ref(node, shift)

    def endpoint(self, endpoint: Endpoint) -> Endpoint:
        """An endpoint of `node` (a ref, or an inline `ref:` setting of a table) with this text's offsets."""
        return moved_endpoint(endpoint, self.shift) if self.shift else endpoint


class Scan:
    """The top-level blocks of `text`, each with its shift from the text it was first read in."""

    def __init__(self, text: str, blocks: list[tuple[int, Block]]) -> None:
        self.text = text
        self.blocks = blocks  # (shift, block): what the reader keeps its per-block templates on

    @cached_property
    def tables(self) -> list[Located[TableNode]]:
        """The Table blocks, in document order, without copying them to this text's offsets."""
        return [
            Located(block.node, shift) for shift, block in self.blocks if isinstance(block.node, TableNode)
        ]

    @cached_property
    def refs(self) -> list[Located[RefNode]]:
        """The long-form Ref blocks, in document order."""
        return [Located(block.node, shift) for shift, block in self.blocks if isinstance(block.node, RefNode)]

    def stop(self, index: int) -> int:
        shift, block = self.blocks[index]
        return block.stop + shift

    @cached_property
    def document(self) -> DbmlDocument:
        """The syntax tree, with offsets into `text`."""
        document = DbmlDocument()
        for shift, block in self.blocks:
            node = block.node
            if isinstance(node, TableNode):
                document.tables.append(moved_table(node, shift) if shift else node)
            elif isinstance(node, EnumNode):
                document.enums.append(moved_enum(node, shift) if shift else node)
            elif isinstance(node, RefNode):
                document.refs.append(moved_ref(node, shift) if shift else node)
        return document


def scan_dbml(text: str, file: str) -> Scan:
    """The blocks of `text`; raise `ErdSyntaxError` at the first mistake.

    Only what differs from a recent text of `file` is read again (see the module docstring).
    """
    store = _RECENT.get()
    with _recent_lock:
        recent = list(store.get(file, ()))
    scan = next((scan for scan in recent if scan.text == text), None)
    if scan is None and recent:
        base = max(recent, key=lambda scan: sum(_common_ends(scan.text, text)))
        scan = _rescan(base, text, file)
    elif scan is None:
        scan = Scan(text, [(0, block) for block in _Parser(text, file).blocks()])
    with _recent_lock:
        scans = store.pop(file, [])
        store[file] = [scan, *(other for other in scans if other is not scan)][:RECENT_TEXTS]
        while len(store) > RECENT_FILES:
            store.popitem(last=False)
    return scan


def forget_scans() -> None:
    """Forget every recent scan: the next parse of any text reads it from scratch."""
    store = _RECENT.get()
    with _recent_lock:
        store.clear()


@contextmanager
def separate_scans() -> Iterator[None]:
    """Within, scans start with no recent texts and keep their own (as in a new process), and the
    recent scans outside are left as they were: to compare an incremental parse with a first one."""
    token = _RECENT.set(OrderedDict())
    try:
        yield
    finally:
        _RECENT.reset(token)


def _rescan(base: Scan, text: str, file: str) -> Scan:
    prefix, suffix = _common_ends(base.text, text)
    shift = len(text) - len(base.text)
    kept = 0
    while kept < len(base.blocks) and base.stop(kept) <= prefix:
        kept += 1
    unchanged_end = len(base.text) - suffix
    later = {base.stop(i): i for i in range(kept, len(base.blocks)) if base.stop(i) >= unchanged_end}
    blocks = base.blocks[:kept]
    parser = _Parser(text, file)
    parser.pos = base.stop(kept - 1) if kept else 0
    for block in parser.blocks():
        blocks.append((0, block))
        same = later.get(block.stop - shift)
        if same is not None:
            blocks += [(old_shift + shift, old) for old_shift, old in base.blocks[same + 1 :]]
            break
    return Scan(text, blocks)


def _common_ends(a: str, b: str) -> tuple[int, int]:
    """The lengths of the longest common start of `a` and `b`, and of their common end after it."""
    low, high = 0, min(len(a), len(b))
    while low < high:  # halve what is left: string comparisons at C speed, no loop over characters
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, min(len(a), len(b)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return prefix, low


class _SyntaxTrees:
    """`parse_dbml_syntax`: a function, with `cache_clear()` as when it was an `lru_cache`."""

    def __call__(self, text: str, file: str) -> DbmlDocument:
        """Scan DBML into a located syntax tree; raise `ErdSyntaxError` at the first mistake.

        The tree is never modified after parsing, so it is shared: the same text gives the same tree.
        (The parser and the patcher read the blocks of `scan_dbml`, which are shared across texts.)
        """
        return scan_dbml(text, file).document

    def cache_clear(self) -> None:
        forget_scans()


parse_dbml_syntax = _SyntaxTrees()


# -- nodes moved by `shift` characters --------------------------------------------------------------


def _token(token: Token, shift: int) -> Token:
    kind, text, start, end = token
    return new_token(Token, (kind, text, start + shift, end + shift))


def _tokens(tokens: list[Token], shift: int) -> list[Token]:
    return [new_token(Token, (kind, text, start + shift, end + shift)) for kind, text, start, end in tokens]


def moved_endpoint(endpoint: Endpoint, shift: int) -> Endpoint:
    table, columns = _tokens(endpoint.table, shift), _tokens(endpoint.columns, shift)
    return Endpoint(table, columns, endpoint.start + shift, endpoint.end + shift)


def _settings(settings: list[Setting], shift: int) -> list[Setting]:
    return [
        Setting(
            setting.key,
            setting.start + shift,
            setting.end + shift,
            None if setting.value is None else _token(setting.value, shift),
            None if setting.relation is None else _token(setting.relation, shift),
            None if setting.endpoint is None else moved_endpoint(setting.endpoint, shift),
        )
        for setting in settings
    ]


def moved_table(node: TableNode, shift: int) -> TableNode:
    columns = [
        ColumnNode(
            _token(column.name, shift),
            _token(column.type, shift),
            _settings(column.settings, shift),
            column.start + shift,
            column.end + shift,
        )
        for column in node.columns
    ]
    indexes = [
        IndexNode(
            _tokens(index.subjects, shift),
            _settings(index.settings, shift),
            index.start + shift,
            index.end + shift,
        )
        for index in node.indexes
    ]
    checks = [
        IndexNode(_tokens(c.subjects, shift), _settings(c.settings, shift), c.start + shift, c.end + shift)
        for c in node.checks
    ]
    alias = None if node.alias is None else _token(node.alias, shift)
    note = None if node.note is None else _token(node.note, shift)
    name, settings = _tokens(node.name, shift), _settings(node.settings, shift)
    return TableNode(
        name, alias, settings, node.start + shift, node.end + shift, columns, indexes, note, checks
    )


def moved_enum(node: EnumNode, shift: int) -> EnumNode:
    return EnumNode(
        _tokens(node.name, shift), _tokens(node.values, shift), node.start + shift, node.end + shift
    )


def moved_ref(node: RefNode, shift: int) -> RefNode:
    name = None if node.name is None else _token(node.name, shift)
    left, right = moved_endpoint(node.left, shift), moved_endpoint(node.right, shift)
    return RefNode(name, left, _token(node.relation, shift), right, node.start + shift, node.end + shift)


class _Parser(TokenCursor):
    # -- top level ------------------------------------------------------------------------------

    def blocks(self) -> Iterator[Block]:
        """The top-level blocks from `pos` on, which is the start of the text or of a line."""
        while (token := self.peek()).kind != "eof":
            if token.kind == "newline":
                self.take()
                continue
            node: TableNode | EnumNode | RefNode | None = None
            if token.is_word("table"):
                node = self.table()
            elif token.is_word("enum"):
                node = self.enum()
            elif token.is_word("ref"):
                node = self.long_ref()
            elif token.is_word("project"):
                self.project()
            elif token.is_word("tablegroup"):
                self.table_group()
            elif token.is_word("note"):
                self.sticky_note()
            else:
                raise self.error(
                    token,
                    "expected Table, Ref, Enum, TableGroup, Project or Note",
                    "check the spelling of the keyword, and that the previous block is closed with '}'",
                )
            self.end_of_line(f"after the {token.text} block")
            after = self.take()  # the line break (or a comment over several lines), or the end
            yield Block(node, token.start, after.end if after.kind == "newline" else len(self.text) + 1)

    # Project, TableGroup and sticky notes do not shape the model: they are checked, then dropped.

    def project(self) -> None:
        self.take()
        self.name("a project name after 'Project'")
        self.skip_newlines()
        self.expect("{", "to open the Project block", "write: Project name { database_type: '...' }")
        while not self.closed("Project"):
            if self.peek().is_word("note") and self.peek_second().is_punct("{", ":"):
                self.table_note()
                continue
            key = self.name("a project setting such as database_type: '...'")
            self.expect(":", f"after {key.text}", f"write {key.text}: 'value'")
            self.skip_newlines()
            self.string(f"the value of {key.text}")

    def table_group(self) -> None:
        self.take()
        self.name("a table group name after 'TableGroup'")
        if self.peek().is_punct("["):
            self.settings(lambda: self.table_setting("color"), "of the table group")
        self.skip_newlines()
        self.expect("{", "to open the TableGroup block", "write: TableGroup name { schema.table ... }")
        while not self.closed("TableGroup"):
            if self.peek().is_word("note") and self.peek_second().is_punct("{", ":"):
                self.table_note()
            else:
                self.qualified_name("a table name in the table group")

    def sticky_note(self) -> None:
        self.take()
        self.name("a note name after 'Note'")
        self.skip_newlines()
        self.expect("{", "to open the Note block", "write: Note name { 'text' }")
        self.skip_newlines()
        self.string("the note")
        self.skip_newlines()
        self.expect("}", "to close the Note block")

    def closed(self, block: str) -> bool:
        """Skip blank lines; consume and report the '}' that closes `block`."""
        self.skip_newlines()
        token = self.peek()
        if token.kind == "eof":
            raise self.error(token, f"expected '}}' to close the {block} block", "add the missing '}'")
        if token.is_punct("}"):
            self.take()
            return True
        return False

    # -- tables ---------------------------------------------------------------------------------

    def table(self) -> TableNode:
        keyword = self.take()
        name = self.qualified_name("a table name after 'Table'")
        alias = None
        if self.peek().is_word("as"):
            self.take()
            alias = self.name("an alias after 'as'")
        settings = self.settings(self.table_setting, "of the table") if self.peek().is_punct("[") else []
        self.skip_newlines()
        opening = self.expect("{", f"to open table {name[-1].text}", "write: Table name { ... }")
        node = TableNode(name=name, alias=alias, settings=settings, start=keyword.start)
        text = self.text
        while True:  # most lines are plain `name type [settings]` columns, read in one go
            if self._peeked is None and (plain := read_plain_column(text, self.pos)) is not None:
                column, self.pos = plain
                node.columns.append(column)
                continue
            token = self.peek()
            if token.kind == "newline":
                self.take()
            elif token.is_punct("}"):
                node.end = self.take().end
                break
            elif token.is_word("note") and self.peek_second().is_punct(":", "{"):
                node.note = self.table_note()
            elif token.is_word("indexes") and self.peek_second().is_punct("{"):
                node.indexes.extend(self.indexes())
            elif token.is_word("checks") and self.peek_second().is_punct("{"):
                node.checks.extend(self.checks())
            elif token.kind == "eof" or self._starts_block(token):
                line, _ = self.location(opening.start)
                raise self.error(
                    token,
                    f"expected '}}' to close table {name[-1].text} opened at line {line}",
                    "add the missing '}' at the end of the table",
                )
            else:
                node.columns.append(self.column())
        if not node.columns:
            raise self.error_at(
                keyword.start, f"table {name[-1].text} has no columns", "declare columns: name type"
            )
        return node

    def _starts_block(self, token: Token) -> bool:
        """`Table b {` inside a table body means the previous table was not closed."""
        if not token.is_word(*_TOP_LEVEL):
            return False
        line_end = self.text.find("\n", token.end)
        rest = self.text[token.end : line_end if line_end >= 0 else len(self.text)]
        return "{" in rest or (token.is_word("ref") and rest.lstrip().startswith(":"))

    def table_setting(self, colour_key: str = "headercolor") -> Setting:
        """`note: '...'` or a colour: `headercolor:` for a table, `color:` for a table group."""
        key = self.take()
        if key.is_word("note"):
            self.colon_after(key)
            value = self.string("the note")
            return Setting("note", key.start, value.end, value=value)
        if key.is_word(colour_key):
            self.colon_after(key)
            value = self.take()
            if value.kind != "color" or len(value.text) not in (4, 7):
                raise self.error(value, "expected a colour such as #3498db")
            return Setting(colour_key, key.start, value.end, value=value)
        raise self.error(
            key, "expected a setting", f"the settings here are note: '...' and {colour_key}: #rrggbb"
        )

    def table_note(self) -> Token:
        keyword = self.take()
        if self.peek().is_punct(":"):
            self.colon_after(keyword)
            return self.string("the note")
        self.take()  # "{"
        self.skip_newlines()
        value = self.string("the note")
        self.skip_newlines()
        self.expect("}", "to close the note")
        return value

    def column(self) -> ColumnNode:
        name = self.name("a column name, a Note or an indexes block")
        type_token = self.column_type(name)
        settings: list[Setting] = []
        while self.peek().is_word("pk", "unique"):  # pydbml's older form: `id int pk unique`
            word = self.take()
            settings.append(Setting(word.text.lower(), word.start, word.end))
        end = type_token.end if not settings else settings[-1].end
        if self.peek().is_punct("["):
            settings.extend(self.settings(self.column_setting, f"of column {name.text}"))
            end = self.pos
        self.end_of_line(
            f"after column {name.text}",
            "one column per line: name type [settings]; put '}' on its own line",
        )
        return ColumnNode(name=name, type=type_token, settings=settings, start=name.start, end=end)

    def column_setting(self) -> Setting:
        key = self.take()
        word = key.text.lower() if key.kind == "word" else ""
        if word in ("pk", "unique", "increment", "null"):
            return Setting(word, key.start, key.end)
        if word in ("primary", "not"):
            second = self.expect_word(
                "key" if word == "primary" else "null", f"after '{key.text}'", after=key
            )
            return Setting("pk" if word == "primary" else "not null", key.start, second.end)
        if word == "note":
            self.colon_after(key)
            value = self.string("the column note")
            return Setting("note", key.start, value.end, value=value)
        if word == "check":
            self.colon_after(key)
            value = self.check_expression()
            return Setting("check", key.start, value.end, value=value)
        if word == "default":
            self.colon_after(key)
            value = self.default_value()
            return Setting("default", key.start, value.end, value=value)
        if word == "ref":
            if key.text != "ref":
                raise self.error(key, "write 'ref:' in lower case")
            self.colon_after(key)
            relation = self.relation()
            endpoint = self.endpoint(composite=False)
            return Setting("ref", key.start, endpoint.end, relation=relation, endpoint=endpoint)
        raise self.error(key, "expected a column setting", f"column settings are: {COLUMN_SETTINGS}")

    def default_value(self) -> Token:
        token = self.take()
        if token.kind in ("string", "quoted", "expr") or token.is_word("true", "false", "null"):
            return token
        if token.kind == "word" and token.text.isdigit():
            if self.peek().is_punct(".") and self.peek().start == token.end:
                self.take()
                fraction = self.take()
                if fraction.kind != "word" or not fraction.text.isdigit() or fraction.start != token.end + 1:
                    raise self.error(fraction, "expected the digits of a decimal number")
                return Token("number", self.text[token.start : fraction.end], token.start, fraction.end)
            return Token("number", token.text, token.start, token.end)
        raise self.error(
            token,
            "expected a default value",
            "write a number, 'text', true, false, null or an `expression` (e.g. `-1`, `now()`)",
        )

    # -- indexes, enums, references -------------------------------------------------------------

    def indexes(self) -> list[IndexNode]:
        return self.item_block("indexes", "index", self.index_line, "one index per line: (a, b) [pk]")

    def index_line(self) -> IndexNode:
        start = self.peek().start
        if self.peek().is_punct("("):
            self.take()
            subjects = [self.index_subject()]
            while self.peek().is_punct(","):
                self.take()
                subjects.append(self.index_subject())
            self.expect(")", "to close the index columns")
        else:
            subjects = [self.index_subject()]
        settings = self.settings(self.index_setting, "of the index") if self.peek().is_punct("[") else []
        return IndexNode(subjects=subjects, settings=settings, start=start, end=self.pos)

    def checks(self) -> list[IndexNode]:
        """`checks { `expression` [name: '...'] }`: one CHECK constraint per line."""
        return self.item_block(
            "checks", "check", self.check_line, "one check per line: `expression` [name: '...']"
        )

    def check_line(self) -> IndexNode:
        start = self.peek().start
        expression = self.check_expression()
        settings = self.settings(self.check_setting, "of the check") if self.peek().is_punct("[") else []
        return IndexNode(subjects=[expression], settings=settings, start=start, end=self.pos)

    def item_block(
        self, block: str, item: str, read_line: Callable[[], IndexNode], one_per_line: str
    ) -> list[IndexNode]:
        """`block { ... }` (indexes, checks): one item a line, at least one."""
        self.take()
        self.expect("{", f"to open the {block} block")
        found: list[IndexNode] = []
        while not (token := self.peek()).is_punct("}"):
            if token.kind == "newline":
                self.take()
                continue
            if token.kind == "eof":
                raise self.error(token, f"expected '}}' to close the {block} block")
            found.append(read_line())
            self.end_of_line(f"after the {item}", one_per_line)
        self.take()
        if not found:
            raise self.error(
                token,
                f"a{'n' if block[0] in 'aeiou' else ''} {block} block needs at least one {item}",
                "remove the empty block",
            )
        return found

    def check_expression(self) -> Token:
        token = self.take()
        if token.kind != "expr":
            raise self.error(token, "expected a check `expression` in backticks", "e.g. `price >= 0`")
        return token

    def check_setting(self) -> Setting:
        key = self.take()
        if not key.is_word("name"):
            raise self.error(key, "expected name: '...'", "a check takes a name: [name: 'chk_positive']")
        self.colon_after(key)
        value = self.string("the check name")
        return Setting("name", key.start, value.end, value=value)

    def index_subject(self) -> Token:
        token = self.take()
        if token.kind not in ("word", "quoted", "expr"):
            raise self.error(token, "expected a column name or an `expression` in the index")
        return token

    def index_setting(self) -> Setting:
        key = self.take()
        if key.is_word("pk", "unique"):
            return Setting(key.text.lower(), key.start, key.end)
        if key.is_word("name", "note"):
            self.colon_after(key)
            value = self.string(f"the index {key.text.lower()}")
            return Setting(key.text.lower(), key.start, value.end, value=value)
        if key.is_word("type"):
            self.colon_after(key)
            value = self.take()
            if not value.is_word(*INDEX_TYPES):
                raise self.error(
                    value, "expected an index type", "index types are: " + ", ".join(INDEX_TYPES)
                )
            return Setting("type", key.start, value.end, value=value)
        raise self.error(
            key, "expected an index setting", "index settings are pk, unique, name:, type:, note:"
        )

    def enum(self) -> EnumNode:
        keyword = self.take()
        name = self.qualified_name("an enum name after 'enum'")
        self.skip_newlines()
        self.expect("{", f"to open enum {name[-1].text}")
        values: list[Token] = []
        while not (token := self.peek()).is_punct("}"):
            if token.kind == "newline":
                self.take()
                continue
            if token.kind == "eof":
                raise self.error(token, f"expected '}}' to close enum {name[-1].text}")
            values.append(
                self.name(
                    "an enum value", 'write one value per line; quote values with spaces: "in progress"'
                )
            )
            if self.peek().is_punct("["):
                self.settings(self.enum_setting, "of the enum value")
            self.end_of_line("after the enum value", "write one value per line, and '}' on its own line")
        if not values:
            raise self.error(token, f"enum {name[-1].text} needs at least one value")
        return EnumNode(name=name, values=values, start=keyword.start, end=self.take().end)

    def enum_setting(self) -> Setting:
        key = self.take()
        if not key.is_word("note"):
            raise self.error(key, "expected note: '...'", "enum values only take a note")
        self.colon_after(key)
        value = self.string("the note")
        return Setting("note", key.start, value.end, value=value)

    def relation(self) -> Token:
        """`>`, `<`, `-` or `<>`, with DBML's optionality marks (`?<?`, `>?`) read and dropped from
        its text: a side being optional declares no key."""
        token = self.take()
        if token.kind == "punct" and "?" in token.text:
            token = Token("punct", token.text.replace("?", ""), token.start, token.end)
        if not token.is_punct(*RELATIONS):
            raise self.error(
                token,
                "expected a relation: >, <, - or <>",
                "> many-to-one, < one-to-many, - one-to-one; a ? on a side marks it optional (?<, >?)",
            )
        return token

    def endpoint(self, *, composite: bool) -> Endpoint:
        parts = [self.name("a table name in the reference")]
        columns: list[Token] = []
        while self.peek().is_punct(".") and not columns:
            self.take()
            if composite and self.peek().is_punct("("):
                self.take()
                columns = [self.name("a column name")]
                while self.peek().is_punct(","):
                    self.take()
                    columns.append(self.name("a column name"))
                self.expect(")", "to close the column list")
            else:
                parts.append(self.name("a column name in the reference"))
        if not columns and len(parts) >= 2:
            columns = [parts.pop()]
        if not columns or len(parts) > 2:
            raise self.error_at(
                parts[0].start,
                "expected table.column or schema.table.column",
                "write e.g. ref: > sales.orders.id",
            )
        return Endpoint(table=parts, columns=columns, start=parts[0].start, end=self.pos)

    def long_ref(self) -> RefNode:
        keyword = self.take()
        name = self.take() if self.peek().kind in ("word", "quoted") else None
        if self.peek().is_punct(":"):
            self.take()
            left, relation, right = self.ref_body()
        else:
            self.skip_newlines()
            self.expect("{", "or ':' after Ref", "write: Ref: a.id > b.a_id, or Ref { a.id > b.a_id }")
            self.skip_newlines()
            left, relation, right = self.ref_body()
            self.skip_newlines()
            self.expect("}", "to close the Ref block")
        return RefNode(
            name=name, left=left, relation=relation, right=right, start=keyword.start, end=self.pos
        )

    def ref_body(self) -> tuple[Endpoint, Token, Endpoint]:
        left = self.endpoint(composite=True)
        relation = self.relation()
        right = self.endpoint(composite=True)
        if self.peek().is_punct("["):
            self.settings(self.ref_setting, "of the reference")
        return left, relation, right

    def ref_setting(self) -> Setting:
        key = self.take()
        if not key.is_word("update", "delete"):
            raise self.error(key, "expected update: or delete:", "e.g. [delete: cascade]")
        self.colon_after(key)
        action = self.take()
        words = action.text.lower()
        if action.is_word("no", "set"):
            words += " " + self.take().text.lower()
        if words not in REF_ACTIONS:
            raise self.error(
                action, "expected a referential action", "actions are: " + ", ".join(REF_ACTIONS)
            )
        return Setting(key.text.lower(), key.start, self.pos, value=action)


__all__ = [
    "Block",
    "ColumnNode",
    "DbmlDocument",
    "Endpoint",
    "EnumNode",
    "IndexNode",
    "Located",
    "RefNode",
    "Scan",
    "Setting",
    "TableNode",
    "Token",
    "forget_scans",
    "moved_enum",
    "moved_ref",
    "moved_table",
    "parse_dbml_syntax",
    "scan_dbml",
    "separate_scans",
]
