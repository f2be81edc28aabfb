"""Mermaid `erDiagram` -> the model, with exact spans (also for diagrams inside Markdown fences).

Mermaid's syntax (https://mermaid.js.org/syntax/entityRelationshipDiagram.html) is parsed by the lark
grammar in `mermaid.lark`: entities with or without attribute blocks, quoted names, aliases
`ENTITY["label"]` (a display label only: the entity name stays the table name), attributes
`type name [PK|FK|UK, ...] ["comment"]`, every cardinality marker and word alias, `--`/`..` and
`to`/`optionally to`, front matter, `direction`, `title`, styles and `%%` comments.

Two conventions of ours, written as Mermaid comments so that the diagram still renders:

* `%% schema: NAME` puts the entities declared after it (up to the next such line) in schema NAME;
  a dotted entity name (`sales.orders`, quoted or not) names its schema itself; otherwise the schema
  is `default_schema`. An entity a relationship names belongs to the schema where it is declared
  (`NAME` or `NAME { ... }`), else to the schema in effect where the relationship is written.
* Consecutive `%%` lines directly above an entity (no blank line between) are the table's comment,
  joined with spaces; a `%% schema:` line ends them.

Keys: PK attributes form the primary key (declaration order) and are NOT NULL; each UK attribute is
a unique key; an FK attribute is resolved through the relationships of its entity (see
`accelerator.erd.mermaid.keys`), and what cannot be resolved is an `erd.mermaid.unresolved_fk`
finding, never a guess. Attribute types go through `map_type` (a `-` in a type reads as a space, so
`double-precision` works, and Mermaid's `array~int~` reads as `array<int>`).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from lark import Token, Tree, UnexpectedInput

from accelerator.erd.mermaid.errors import syntax_error
from accelerator.erd.mermaid.grammar import FAST_PARSER, grammar_parser, terminal_pattern
from accelerator.erd.mermaid.keys import Attribute, Declaration, Diagram, ModelBuilder, Name
from accelerator.erd.parsed import ParsedErd
from accelerator.errors import ErdSyntaxError
from accelerator.model import Span

# One attribute line of an ATTR_BLOCK (groups: type, name, keys, comment; type and name keep their
# backticks). ATTR_BLOCK has checked every line, so a type is what runs up to a blank outside brackets
# (a `%` starts a comment line, never a type) and a name what runs up to a blank or `%%`: the split of
# ATTR_TYPE and ATTR_NAME, without compiling their large character classes once more.
_BLOCK_ATTRIBUTE = re.compile(
    r"[ \t\r]*(`[^`\n]+`|(?:[^ \t\r%(<~\[]|\([^()\n]*\)|<(?:[^<>\n]|<(?:[^<>\n]|<[^<>\n]*>)*>)*>"
    r"|~[^~\n]*~|\[[^\[\]\n]*\])+)[ \t\r]+(`[^`\n]+`|[^ \t\r%]+)"
    r"(?:[ \t\r]+((?i:PK|FK|UK)(?:[ \t\r]*,[ \t\r]*(?i:PK|FK|UK))*))?"
    r"(?:[ \t\r]+(\"[^\"\n]*\"))?"
)
# A REL_LINE up to its label: the names are groups 1 and 2 (quoted, or up to what REL_LINE lets
# follow a name).
_CARDINALITY = "|".join(
    terminal_pattern(name) for name in ("ZERO_OR_ONE", "EXACTLY_ONE", "ONE_OR_MORE", "ZERO_OR_MORE")
)
_STYLE = rf"(?::::[ \t\r]*{terminal_pattern('CLASS_LIST')}[ \t\r]*)?"
_REL_LINE = re.compile(
    rf"(\"[^\"\n]*\"|[^ \t\r\"|}}:]+)[ \t\r]*{_STYLE}(?:{_CARDINALITY})[ \t\r]*"
    rf"(?:{terminal_pattern('IDENTIFYING')}|{terminal_pattern('NON_IDENTIFYING')})[ \t\r]*(?:{_CARDINALITY})[ \t\r]*"
    rf"(\"[^\"\n]*\"|[^ \t\r\"|}}:]+)[ \t\r]*{_STYLE}:[ \t\r]*"
)
_KEY_SEPARATOR = re.compile(r"[ \t\r]*,[ \t\r]*")
_DIRECTIVE = re.compile(
    r"[ \t]*%%[ \t]*schema[ \t]*:[ \t]*(?:\"(?P<quoted>[^\"]+)\"|(?P<bare>[^\s\"]+))", re.I
)
_FENCE_OPEN = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*mermaid(?![\w-])")
_HEADER_LINE = re.compile(r"^\s*erDiagram(?![\w-])", re.I)
_DIRECTIONS = ("TB", "BT", "LR", "RL")


def parse_mermaid(text: str, file: str, *, default_schema: str = "default") -> ParsedErd:
    """Parse one Mermaid `erDiagram` (a `.mmd` file)."""
    builder = ModelBuilder(file, text, default_schema)
    builder.add(_read_diagram(text, file, text))
    return builder.build()


def parse_markdown(text: str, file: str, *, default_schema: str = "default") -> ParsedErd:
    """Parse every ```mermaid fence holding an `erDiagram` of a Markdown file, as one model.

    Positions are those of the Markdown file; each fence starts in `default_schema` again.
    """
    builder = ModelBuilder(file, text, default_schema)
    blocks = extract_mermaid_blocks(text)
    if not blocks:  # an ERD file that declares nothing is a mistake, not an empty model
        raise ErdSyntaxError(
            f"{file} holds no ```mermaid fence with an erDiagram, so it declares no tables",
            file=file,
            line=1,
            column=1,
            hint="add a fence ```mermaid with `erDiagram` and the entities, or leave this file out of "
            "the ERD files (`erd:` in accelerator.yaml, or --erd)",
            source=text,
        )
    for line_offset, diagram in blocks:
        # Padding with the lines before the fence makes every position a position in the .md file.
        builder.add(_read_diagram("\n" * line_offset + diagram, file, text))
    return builder.build()


def extract_mermaid_blocks(markdown: str) -> list[tuple[int, str]]:
    """The ```mermaid fences holding an `erDiagram`: (lines before the fence's first line, its text)."""
    lines = markdown.split("\n")
    blocks: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        index += 1
        if not opening:
            continue
        fence = opening.group("fence")
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        first = index
        while index < len(lines) and not closing.match(lines[index]):
            index += 1
        body = "\n".join(lines[first:index])
        index += 1
        if _holds_er_diagram(body):
            blocks.append((first, body))
    return blocks


def _holds_er_diagram(body: str) -> bool:
    """Whether the first line that is not front matter, blank or a comment is `erDiagram`."""
    lines = body.split("\n")
    first = 0
    if lines and lines[0].strip() == "---":
        closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), len(lines) - 1)
        first = closing + 1
    for line in lines[first:]:
        stripped = line.strip()
        if stripped and not stripped.startswith("%%"):
            return bool(_HEADER_LINE.match(line))
    return False


def _read_diagram(text: str, file: str, source: str) -> Diagram:
    try:
        tree = FAST_PARSER.parse(text)
    except UnexpectedInput:
        # Errors are told in the terms of the grammar as written: parse again without the fast path.
        try:
            tree = grammar_parser().parse(text)
        except UnexpectedInput as error:
            raise syntax_error(error, text, file, source) from None
    return _DiagramReader(text, file, source).read(tree)


class _DiagramReader:
    """Turns one parse tree into declarations and relationships whose positions are final spans."""

    def __init__(self, text: str, file: str, source: str) -> None:
        self.file = file
        self.source = source
        self.directive_lines: list[int] = []
        self.directives: list[tuple[str, Span]] = []
        self.comment_lines: dict[int, str | None] = {}  # line -> doc text; None for a directive
        self.key_sets: dict[str, frozenset[str]] = {"": frozenset()}  # keys as written -> shared set
        for number, line in enumerate(text.split("\n"), start=1):
            stripped = line.strip()
            if stripped.startswith("%%") and not stripped.startswith("%%{"):  # `%%{init}%%` is config
                self.comment_lines[number] = stripped[2:].strip()
                directive = _DIRECTIVE.match(line)
                if directive:
                    group = "quoted" if directive.group("quoted") else "bare"
                    column = directive.start(group) + 1
                    span = _span(file, number, column, number, directive.end(group) + 1)
                    self.directive_lines.append(number)
                    self.directives.append((directive.group(group), span))
                    self.comment_lines[number] = None

    def read(self, tree: Tree[Token]) -> Diagram:
        diagram = Diagram()
        for node in tree.children:
            if not isinstance(node, Tree):
                continue
            if node.data == "entity":
                diagram.declarations.append(self._declaration(node))
            elif node.data == "relationship":
                diagram.relationships.append(self._relationship(node))
            elif node.data == "direction":
                self._check_direction(node.children[0])
        return diagram

    def _relationship(self, node: Tree[Token]) -> tuple[Name, Name, str]:
        first = node.children[0]
        if isinstance(first, Token) and first.type == "REL_LINE":
            match = _REL_LINE.match(first)
            assert match is not None  # REL_LINE has checked the line
            left, right = (self._name(_name_token(first, match, group)) for group in (1, 2))
            label = first[match.end() :]
        else:
            left, right = (
                self._name(child)
                for child in node.children
                if _is_tree(child, "entity_name") or _is_tree(child, "related_name")
            )
            label = node.children[-1].children[0]  # type: ignore[union-attr,assignment]  # label is last
        return left, right, label[1:-1] if label[:1] == '"' else label.strip()

    def _within(self, token: Token, start: int, end: int) -> Span:
        """The span of characters [start, end) of a one-line token."""
        line, column = token.line or 0, token.column or 0
        return _span(self.file, line, column + start, line, column + end)

    def _node_span(self, node: Tree[Token]) -> Span:
        """From the first token of `node` to the end of its last (what propagate_positions gives)."""
        first, last = _edge_token(node, 0), _edge_token(node, -1)
        return Span(self.file, first.line or 0, first.column or 0, last.end_line or 0, last.end_column or 0)

    def _name(self, node: Tree[Token] | Token) -> Name:
        token = node.children[0] if isinstance(node, Tree) else node
        assert isinstance(token, Token)
        quoted = token.type == "QUOTED"
        start, end = (1, len(token) - 1) if quoted else (0, len(token))
        text = token[start:end]
        parts = text.split(".")
        if len(parts) > 2 or not all(parts):
            raise self._error(
                f"entity name {text!r} is not `table` or `schema.table`",
                self._within(token, start, end),
                "write the entity as `schema.table` (one dot), or put it under a `%% schema: NAME` line",
            )
        at = bisect_right(self.directive_lines, token.line or 0) - 1
        scope, scope_span = self.directives[at] if at >= 0 else (None, None)
        span = self._within(token, start, end)
        if len(parts) == 1:
            return Name(None, None, text, span, span, scope, scope_span)
        schema_end = start + len(parts[0])
        return Name(
            schema=parts[0],
            schema_span=self._within(token, start, schema_end),
            table=parts[1],
            table_span=self._within(token, schema_end + 1, end),
            span=span,
            scope=scope,
            scope_span=scope_span,
        )

    def _declaration(self, node: Tree[Token]) -> Declaration:
        name = self._name(node.children[0])
        block = next((child for child in node.children if _is_tree(child, "block")), None)
        attributes: list[Attribute] = []
        if isinstance(block, Tree):
            first = block.children[0]
            if isinstance(first, Token) and first.type == "ATTR_BLOCK":
                attributes = self._block_attributes(first)
            else:
                attributes = [self._attribute(child) for child in block.children if isinstance(child, Tree)]
        comment = self._doc_comment(name.span.line)
        return Declaration(name, attributes, block is not None, self._node_span(node), comment)

    def _attribute(self, node: Tree[Token]) -> Attribute:
        type_token, name_token, *rest = (child for child in node.children if isinstance(child, Token))
        keys = frozenset(
            part.upper()
            for child in node.children
            if isinstance(child, Tree)
            for part in child.children
            if isinstance(part, Token) and part.type == "KEY"
        )
        comment = next((token[1:-1] for token in rest if token.type == "QUOTED"), None)
        type_span = self._unquoted_span(type_token)
        return Attribute(
            type=_unquoted(type_token),
            type_at=(type_span.line, type_span.column, type_span.end_column),
            name=_unquoted(name_token),
            name_span=self._unquoted_span(name_token),
            keys=keys,
            comment=comment,
            span=self._node_span(node),
        )

    def _block_attributes(self, block: Token) -> list[Attribute]:
        """The attributes of an ATTR_BLOCK token: one per line, on the lines after its `{`."""
        file, attributes, key_sets = self.file, [], self.key_sets
        line = block.line or 0
        for text in block.split("\n")[1:-1]:
            line += 1
            match = _BLOCK_ATTRIBUTE.match(text)
            if match is None:  # a blank or comment line
                continue
            type_, name, keys, comment = match.groups()
            start, type_end = match.span(1)  # offsets in the line; columns are one more
            name_start, end = match.span(2)
            type_start, name_end = start, end
            if type_[0] == "`":  # the type's and name's spans leave the backticks out
                type_, type_start, type_end = type_[1:-1], start + 1, type_end - 1
            if name[0] == "`":
                name, name_start, name_end = name[1:-1], name_start + 1, end - 1
            if comment is not None:
                comment, end = comment[1:-1], match.end(4)
            elif keys is not None:
                end = match.end(3)
            key_set = key_sets.get(keys or "")
            if key_set is None:
                key_set = key_sets[keys] = frozenset(_KEY_SEPARATOR.split(keys.upper()))
            attributes.append(
                Attribute(
                    type_,
                    (line, type_start + 1, type_end + 1),
                    name,
                    Span(file, line, name_start + 1, line, name_end + 1),
                    key_set,
                    comment,
                    Span(file, line, start + 1, line, end + 1),
                )
            )
        return attributes

    def _doc_comment(self, line: int) -> str | None:
        parts: list[str] = []
        line -= 1
        while line in self.comment_lines:
            text = self.comment_lines[line]
            if text is None:  # a `%% schema:` directive ends the doc comment
                break
            if text:
                parts.append(text)
            line -= 1
        return " ".join(reversed(parts)) or None

    def _check_direction(self, line: Tree[Token] | Token) -> None:
        assert isinstance(line, Token)
        value = line.split()[-1]
        if value.upper() not in _DIRECTIONS:
            raise self._error(
                f"`direction {value}` is not a Mermaid direction",
                self._within(line, line.rindex(value), len(line)),
                "write `direction` followed by one of " + ", ".join(_DIRECTIONS),
            )

    def _unquoted_span(self, token: Token) -> Span:
        quoted = token.type == "BACKTICKED"
        return self._within(token, int(quoted), len(token) - int(quoted))

    def _error(self, message: str, at: Span, hint: str) -> ErdSyntaxError:
        return ErdSyntaxError(
            message, file=self.file, line=at.line, column=at.column, hint=hint, source=self.source
        )


def _is_tree(node: Tree[Token] | Token, data: str) -> bool:
    return isinstance(node, Tree) and node.data == data


def _name_token(line: Token, match: re.Match[str], group: int) -> Token:
    """An entity name of a REL_LINE as the token the grammar would have made of it."""
    text, start = match.group(group), match.start(group)
    kind = "QUOTED" if text[0] == '"' else "ENTITY_NAME"
    column = (line.column or 0) + start
    return Token(kind, text, (line.start_pos or 0) + start, line.line, column, line.line, column + len(text))


def _edge_token(node: Tree[Token] | Token, index: int) -> Token:
    while isinstance(node, Tree):
        node = node.children[index]
    return node


def _unquoted(token: Token) -> str:
    return token[1:-1] if token.type == "BACKTICKED" else str(token)


def _span(
    file: str, line: int | None, column: int | None, end_line: int | None, end_column: int | None
) -> Span:
    return Span(
        file=file, line=line or 0, column=column or 0, end_line=end_line or 0, end_column=end_column or 0
    )
