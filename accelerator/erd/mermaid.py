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
`accelerator.erd.mermaid_keys`), and what cannot be resolved is an `erd.mermaid.unresolved_fk`
finding, never a guess. Attribute types go through `map_type` (a `-` in a type reads as a space, so
`double-precision` works, and Mermaid's `array~int~` reads as `array<int>`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark, Token, Tree, UnexpectedInput

from accelerator.erd.base import ParsedErd
from accelerator.erd.mermaid_errors import syntax_error
from accelerator.erd.mermaid_keys import (
    Attribute,
    Entity,
    Relationship,
    relationship_partners,
    resolve_foreign_keys,
)
from accelerator.erd.types import MappedType, map_type
from accelerator.errors import ErdSyntaxError
from accelerator.model import Column, Finding, Identity, PrimaryKey, Schema, Span, Table, UniqueKey

# `agent/patch_mermaid.py` parses with mermaid.lark as written; only this parser takes the fast path.
# Spans come from tokens, which is cheaper than lark's propagate_positions.
_GRAMMAR = (Path(__file__).with_name("mermaid.lark")).read_text(encoding="utf-8")
_PARSER = Lark(
    _GRAMMAR + "\n%override block: ATTR_BLOCK | LBRACE (_NL | attribute)* RBRACE\n",
    parser="lalr",
    maybe_placeholders=False,
)


def _terminal(name: str) -> str:
    return _PARSER.get_terminal(name).pattern.to_regexp()


# One attribute line of an ATTR_BLOCK, split as lark's terminals would split it.
_BLOCK_ATTRIBUTE = re.compile(
    rf"[ \t\r]*(?:`(?P<btype>[^`\n]+)`|(?P<type>{_terminal('ATTR_TYPE')}))"
    rf"[ \t\r]+(?:`(?P<bname>[^`\n]+)`|(?P<name>{_terminal('ATTR_NAME')}))"
    r"(?:[ \t\r]+(?P<keys>(?i:PK|FK|UK)(?:[ \t\r]*,[ \t\r]*(?i:PK|FK|UK))*))?"
    r"(?:[ \t\r]+\"(?P<comment>[^\"\n]*)\")?"
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
    builder = _ModelBuilder(file, text, default_schema)
    builder.add(_read_diagram(text, file, text))
    return builder.build()


def parse_markdown(text: str, file: str, *, default_schema: str = "default") -> ParsedErd:
    """Parse every ```mermaid fence holding an `erDiagram` of a Markdown file, as one model.

    Positions are those of the Markdown file; each fence starts in `default_schema` again.
    """
    builder = _ModelBuilder(file, text, default_schema)
    blocks = extract_mermaid_blocks(text)
    for line_offset, diagram in blocks:
        # Padding with the lines before the fence makes every position a position in the .md file.
        builder.add(_read_diagram("\n" * line_offset + diagram, file, text))
    parsed = builder.build()
    if not blocks:
        where = Span(file=file, line=1, column=1, end_line=1, end_column=1)
        message = "no ```mermaid fence holding an erDiagram in this Markdown file; nothing to parse"
        parsed.findings.append(
            Finding(rule="erd.mermaid.no_diagram", severity="warn", message=message, span=where)
        )
    return parsed


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


@dataclass(frozen=True)
class _Name:
    """An entity name as written (`orders`, `sales.orders`, `"sales.orders"`), with its spans."""

    schema: str | None  # written in the name
    schema_span: Span | None
    table: str
    table_span: Span
    span: Span
    scope: str | None  # the `%% schema:` in effect where the name is written
    scope_span: Span | None


@dataclass
class _Declaration:
    name: _Name
    attributes: list[Attribute]
    has_block: bool
    span: Span
    comment: str | None


@dataclass
class _Diagram:
    declarations: list[_Declaration] = field(default_factory=list)
    relationships: list[tuple[_Name, _Name, str]] = field(default_factory=list)


def _read_diagram(text: str, file: str, source: str) -> _Diagram:
    try:
        tree = _PARSER.parse(text)
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

    def read(self, tree: Tree[Token]) -> _Diagram:
        diagram = _Diagram()
        for node in tree.children:
            if not isinstance(node, Tree):
                continue
            if node.data == "entity":
                diagram.declarations.append(self._declaration(node))
            elif node.data == "relationship":
                left, right = (
                    self._name(child)
                    for child in node.children
                    if _is_tree(child, "entity_name") or _is_tree(child, "related_name")
                )
                label = node.children[-1].children[0]  # type: ignore[union-attr]  # grammar: label is last
                assert isinstance(label, Token)
                text = label[1:-1] if label.type == "QUOTED" else label.strip()
                diagram.relationships.append((left, right, text))
            elif node.data == "direction":
                self._check_direction(node.children[0])
        return diagram

    def _within(self, token: Token, start: int, end: int) -> Span:
        """The span of characters [start, end) of a one-line token."""
        line, column = token.line or 0, token.column or 0
        return _span(self.file, line, column + start, line, column + end)

    def _node_span(self, node: Tree[Token]) -> Span:
        """From the first token of `node` to the end of its last (what propagate_positions gives)."""
        first, last = _edge_token(node, 0), _edge_token(node, -1)
        return Span(self.file, first.line or 0, first.column or 0, last.end_line or 0, last.end_column or 0)

    def _name(self, node: Tree[Token] | Token) -> _Name:
        assert isinstance(node, Tree)
        token = node.children[0]
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
            return _Name(None, None, text, span, span, scope, scope_span)
        schema_end = start + len(parts[0])
        return _Name(
            schema=parts[0],
            schema_span=self._within(token, start, schema_end),
            table=parts[1],
            table_span=self._within(token, schema_end + 1, end),
            span=span,
            scope=scope,
            scope_span=scope_span,
        )

    def _declaration(self, node: Tree[Token]) -> _Declaration:
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
        return _Declaration(name, attributes, block is not None, self._node_span(node), comment)

    def _attribute(self, node: Tree[Token]) -> Attribute:
        type_token, name_token, *rest = (child for child in node.children if isinstance(child, Token))
        keys = {
            part.upper()
            for child in node.children
            if isinstance(child, Tree)
            for part in child.children
            if isinstance(part, Token) and part.type == "KEY"
        }
        comment = next((token[1:-1] for token in rest if token.type == "QUOTED"), None)
        return Attribute(
            type=_unquoted(type_token),
            type_span=self._unquoted_span(type_token),
            name=_unquoted(name_token),
            name_span=self._unquoted_span(name_token),
            keys=keys,
            comment=comment,
            span=self._node_span(node),
        )

    def _block_attributes(self, block: Token) -> list[Attribute]:
        """The attributes of an ATTR_BLOCK token: one per line, on the lines after its `{`."""
        file, attributes = self.file, []
        line = block.line or 0
        for text in block.split("\n")[1:-1]:
            line += 1
            match = _BLOCK_ATTRIBUTE.match(text)
            if match is None:  # a blank or comment line
                continue
            type_group = "btype" if match.start("btype") >= 0 else "type"
            name_group = "bname" if match.start("bname") >= 0 else "name"
            type_start, type_end = match.span(type_group)
            name_start, name_end = match.span(name_group)
            keys, comment = match.group("keys"), match.group("comment")
            if comment is not None:
                end = match.end("comment") + 1
            elif keys is not None:
                end = match.end("keys")
            else:
                end = name_end + (name_group == "bname")
            attributes.append(
                Attribute(
                    type=match.group(type_group),
                    type_span=Span(file, line, type_start + 1, line, type_end + 1),
                    name=match.group(name_group),
                    name_span=Span(file, line, name_start + 1, line, name_end + 1),
                    keys=set(_KEY_SEPARATOR.split(keys.upper())) if keys else set(),
                    comment=comment,
                    span=Span(file, line, type_start + 1 - (type_group == "btype"), line, end + 1),
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


class _ModelBuilder:
    """Merges the diagrams of one file into entities, then into schemas and tables."""

    def __init__(self, file: str, source: str, default_schema: str) -> None:
        self.file = file
        self.source = source
        self.default_schema = default_schema
        self.entities: dict[tuple[str, str], Entity] = {}
        self.mentions: list[tuple[_Name, _Name, str]] = []
        self.declared: dict[str, list[Entity]] = {}  # table name (lower) -> its declarations
        self.mapped_types: dict[str, MappedType] = {}  # map_type is pure: map each spelling once

    def add(self, diagram: _Diagram) -> None:
        for declaration in diagram.declarations:
            name = declaration.name
            schema = name.schema or name.scope or self.default_schema
            key = (schema.lower(), name.table.lower())
            entity = self.entities.get(key)
            if entity is None:
                entity = self.entities[key] = Entity(
                    schema=schema,
                    name=name.table,
                    schema_span=name.schema_span or name.scope_span,
                    span=declaration.span,
                    name_span=name.table_span,
                )
                self.declared.setdefault(key[1], []).append(entity)
            if declaration.has_block and not entity.has_block:  # the block is the declaration to point at
                entity.span, entity.name_span, entity.has_block = declaration.span, name.table_span, True
            entity.attributes.extend(declaration.attributes)
            entity.comment = entity.comment or declaration.comment
        self.mentions.extend(diagram.relationships)

    def build(self) -> ParsedErd:
        # Relationships are resolved after every declaration, so that `customers` at the end of a
        # diagram finds the `customers { ... }` declared under an earlier `%% schema:` line.
        relationships = [
            Relationship(self._mentioned(left), self._mentioned(right), label)
            for left, right, label in self.mentions
        ]
        partners = relationship_partners(relationships)
        findings: list[Finding] = []
        schemas: dict[str, Schema] = {}
        for entity in self.entities.values():
            table = self._table(entity)
            table.foreign_keys = resolve_foreign_keys(entity, partners.get(id(entity), {}), findings)
            schema = schemas.get(entity.schema.lower())
            if schema is None:
                schema = schemas[entity.schema.lower()] = Schema(
                    name=entity.schema, span=entity.schema_span, name_span=entity.schema_span
                )
            schema.tables.append(table)
            if not entity.attributes:
                findings.append(_no_attributes(entity))
        return ParsedErd(
            file=self.file, source=self.source, schemas=list(schemas.values()), findings=findings
        )

    def _mentioned(self, name: _Name) -> Entity:
        """The entity a relationship names: declared anywhere in the file, else created here."""
        table = name.table.lower()
        if name.schema is not None:
            schema = name.schema
        else:
            declared = self.declared.get(table, [])
            in_scope = (name.scope or self.default_schema).lower()
            if len(declared) == 1:
                return declared[0]
            scoped = [entity for entity in declared if entity.schema.lower() == in_scope]
            if len(scoped) == 1:
                return scoped[0]
            if declared:
                choices = " or ".join(f"`{entity.qualified}`" for entity in declared)
                raise ErdSyntaxError(
                    f"entity {name.table} is declared in several schemas; this relationship could mean {choices}",
                    file=self.file,
                    line=name.span.line,
                    column=name.span.column,
                    hint=f"write the entity with its schema, e.g. `{declared[0].qualified}`",
                    source=self.source,
                )
            schema = name.scope or self.default_schema
        key = (schema.lower(), table)
        if key not in self.entities:
            self.entities[key] = Entity(
                schema=schema,
                name=name.table,
                schema_span=name.schema_span or name.scope_span,
                span=name.span,
                name_span=name.table_span,
            )
        return self.entities[key]

    def _table(self, entity: Entity) -> Table:
        primary = [attribute for attribute in entity.attributes if "PK" in attribute.keys]
        return Table(
            name=entity.name,
            columns=[self._column(attribute) for attribute in entity.attributes],
            primary_key=PrimaryKey(columns=[a.name for a in primary], span=primary[0].span)
            if primary
            else None,
            unique_keys=[
                UniqueKey(columns=[a.name], span=a.span) for a in entity.attributes if "UK" in a.keys
            ],
            comment=entity.comment,
            span=entity.span,
            name_span=entity.name_span,
        )

    def _column(self, attribute: Attribute) -> Column:
        # Mermaid types cannot hold spaces: `double-precision` means `double precision`.
        readable = re.sub(r"~([^~]*)~", r"<\1>", attribute.type.rstrip("?")).replace("-", " ")
        mapped = self.mapped_types.get(readable)
        if mapped is None:
            mapped = map_type(readable, family="generic", span=attribute.type_span, source=self.source)
            self.mapped_types[readable] = mapped
        return Column(
            name=attribute.name,
            type=mapped.type,
            source_type=attribute.type,
            nullable="PK" not in attribute.keys,
            identity=Identity(span=attribute.type_span) if mapped.identity else None,
            comment=attribute.comment,
            allowed_values=mapped.allowed_values,
            span=attribute.span,
            name_span=attribute.name_span,
        )


def _no_attributes(entity: Entity) -> Finding:
    return Finding(
        rule="erd.mermaid.no_attributes",
        severity="warn",
        message=f"entity {entity.name} has no attributes, so table {entity.qualified} would have no columns; "
        f"declare them in a block `{entity.name} {{ type name }}`",
        span=entity.name_span,
        object=entity.qualified,
    )
