"""Minimal textual edits of a Mermaid `erDiagram` (a `.mmd` file or ```mermaid fences in Markdown).

The file is re-scanned with the reader's grammar as written (`erd/mermaid/grammar.py`), which knows
`%%` comments and quoted strings, so a rename touches entity-name and attribute-name tokens only
(declarations and relationship lines). Mermaid has no NOT NULL, no DEFAULT and no escape for `"` in a comment: such
edits raise `UnsupportedEditError` rather than writing something the diagram cannot say.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lark import Token, Tree

from accelerator.erd.mermaid.grammar import grammar_parser
from accelerator.erd.mermaid.reader import extract_mermaid_blocks, parse_markdown, parse_mermaid
from accelerator.erd.patch_inputs import NewColumn, TableTarget, source_type, written_type
from accelerator.erd.text_edits import (
    TextEdit,
    apply_text_edits,
    delete_lines,
    indentation_at,
    insert_line_after,
    line_start,
    next_line_start,
    only_blank_before,
    span_offsets,
)
from accelerator.errors import AcceleratorError, EditConflictError, UnsupportedEditError
from accelerator.model import Table

_ENTITY_NAME = re.compile(r"^[\w.*\u0080-\uFFFF-]+$")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_\u00C0-\uFFFF][\w$\u00C0-\uFFFF-]*$")
_MERMAID_TYPE = re.compile(r"^[A-Za-z_][\w]*(\([\d, ]*\))?$")
_SCHEMA_DIRECTIVE = re.compile(r"^[ \t]*%%[ \t]*schema[ \t]*:", re.I)
_KEEP_IN = "keep this table in a DBML or SQL ERD for that"
# A foreign key as the check of a rename compares it: (schema, table, columns, ref schema, ref table, ref columns).
_Reference = tuple[str, str, tuple[str, ...], str, str, tuple[str, ...]]


@dataclass
class _Attribute:
    type: Token
    name: Token
    last: Token  # the last token of the attribute (name, key or comment)
    comment: Token | None
    start: int  # character offsets in the file
    offset: int  # what to add to a token's position to get the file's
    keys: list[Token] = field(default_factory=list)  # PK, FK, UK


@dataclass
class _Entity:
    name: Token
    offset: int
    attributes: list[_Attribute] = field(default_factory=list)
    opening: Token | None = None  # `{` of the block
    closing: Token | None = None


def _bare(token: Token) -> str:
    text = str(token)
    return text[1:-1] if text[:1] in ('"', "`") else text


def _short(token: Token) -> str:
    """The table part of an entity name: `sales.orders` -> `orders`."""
    return _bare(token).rsplit(".", 1)[-1]


def _key(
    schema: str, table: str, columns: list[str], ref_schema: str, ref_table: str, ref_columns: list[str]
) -> _Reference:
    lower = str.lower
    return (
        schema.lower(), table.lower(), tuple(map(lower, columns)),
        ref_schema.lower(), ref_table.lower(), tuple(map(lower, ref_columns)),
    )  # fmt: skip


def _check_comment(comment: str) -> None:
    if '"' in comment or "\n" in comment or "\r" in comment:
        raise UnsupportedEditError(
            "a Mermaid erDiagram comment cannot contain a double quote or a line break",
            hint="use single quotes (') and one line, or " + _KEEP_IN,
        )


class MermaidPatcher:
    """Plans edits of one Mermaid diagram file (or of every diagram of a Markdown file)."""

    def __init__(self, file: str, text: str, dialect: str = "", *, markdown: bool = False) -> None:
        self.file = file
        self.text = text
        self.markdown = markdown
        self.entities: list[_Entity] = []
        self.mentions: list[tuple[Token, int]] = []  # every entity-name token, with its offset
        self.relationships: list[tuple[str, str, int, int]] = []  # the two names (lower), line start, end
        self.diagram_ends: list[int] = []  # where each diagram's text ends in the file
        if markdown:
            line_offsets = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
            for first_line, body in extract_mermaid_blocks(text):
                self._scan(body, line_offsets[first_line])
        else:
            self._scan(text, 0)

    def _scan(self, diagram: str, offset: int) -> None:
        tree = grammar_parser().parse(diagram)
        self.diagram_ends.append(offset + len(diagram.rstrip()))
        for node in tree.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
            if node.data == "relationship":
                tokens = list(node.scan_values(lambda v: isinstance(v, Token)))
                sides = [
                    c.children[0] for c in node.children if isinstance(c, Tree) and c.data.endswith("_name")
                ]
                assert isinstance(sides[0], Token) and isinstance(sides[1], Token)
                start, end = offset + (tokens[0].start_pos or 0), offset + (tokens[-1].end_pos or 0)
                self.relationships.append((_bare(sides[0]).lower(), _bare(sides[1]).lower(), start, end))
            if node.data in ("entity_name", "related_name"):  # a relationship's two sides
                token = node.children[0]
                assert isinstance(token, Token)
                self.mentions.append((token, offset))
            elif node.data == "entity":
                self.entities.append(self._entity(node, offset))

    def _entity(self, node: Tree[Token], offset: int) -> _Entity:
        name_tree = node.children[0]
        assert isinstance(name_tree, Tree) and isinstance(name_tree.children[0], Token)
        entity = _Entity(name=name_tree.children[0], offset=offset)
        block = next((c for c in node.children if isinstance(c, Tree) and c.data == "block"), None)
        if block is None:
            return entity
        for child in block.children:
            if isinstance(child, Token) and child.type == "LBRACE":
                entity.opening = child
            elif isinstance(child, Token) and child.type == "RBRACE":
                entity.closing = child
            elif isinstance(child, Tree) and child.data == "attribute":
                tokens = [t for t in child.scan_values(lambda v: isinstance(v, Token))]
                comment = tokens[-1] if tokens[-1].type == "QUOTED" else None
                start = offset + (tokens[0].start_pos or 0)
                keys = [t for t in tokens[2:] if t.type == "KEY"]
                entity.attributes.append(
                    _Attribute(tokens[0], tokens[1], tokens[-1], comment, start, offset, keys)
                )
        return entity

    # -- positions --------------------------------------------------------------------------------

    def _at(self, token: Token, offset: int) -> tuple[int, int]:
        return offset + (token.start_pos or 0), offset + (token.end_pos or 0)

    def entity(self, target: TableTarget) -> _Entity:
        span = target.table.name_span or target.table.span
        if span is not None and span.file == self.file:
            wanted, _ = span_offsets(self.text, span)
            for entity in self.entities:
                start, end = self._at(entity.name, entity.offset)
                if start <= wanted < end and entity.opening is not None:
                    return entity
        named = [e for e in self.entities if _short(e.name).lower() == target.table.name.lower()]
        with_block = [e for e in named if e.opening is not None] or named
        if not with_block:
            raise EditConflictError(f"{self.file} does not declare entity {target.table.name}")
        return with_block[0]

    def attribute(self, entity: _Entity, column: str) -> _Attribute:
        for attribute in entity.attributes:
            if _bare(attribute.name).lower() == column.lower():
                return attribute
        raise EditConflictError(f"entity {_short(entity.name)} in {self.file} has no attribute {column!r}")

    # -- edits ------------------------------------------------------------------------------------

    def rename_table(self, target: TableTarget, new_name: str) -> list[TextEdit]:
        if not _ENTITY_NAME.match(new_name) and '"' in new_name:
            raise UnsupportedEditError(f"a Mermaid entity name cannot contain '\"': {new_name!r}")
        entity = self.entity(target)
        declared = _bare(entity.name).lower()
        edits = []
        for token, offset in self.mentions:
            if _bare(token).lower() in (declared, target.table.name.lower(), target.qualified.lower()):
                edits.append(self._rename_entity_token(token, offset, new_name))
        primary_key = target.table.primary_key.columns if target.table.primary_key else []
        if [column.lower() for column in primary_key] == ["id"]:  # matched by `<entity>_id`: the name counts
            self._check_references(edits, target, lambda t: new_name if t == target.table.name.lower() else t)
        return edits

    def _rename_entity_token(self, token: Token, offset: int, new_name: str) -> TextEdit:
        start, end = self._at(token, offset)
        bare = _bare(token)
        prefix = bare[: -len(_short(token))]  # keeps `sales.` of `sales.orders`
        text = prefix + new_name
        quoted = str(token).startswith('"') or not _ENTITY_NAME.match(text)
        return TextEdit(self.file, start, end, f'"{text}"' if quoted else text)

    def rename_column(self, target: TableTarget, column: str, new_name: str) -> list[TextEdit]:
        attribute = self.attribute(self.entity(target), column)
        start, end = self._at(attribute.name, attribute.offset)
        if "`" in new_name:
            raise UnsupportedEditError(f"a Mermaid attribute name cannot contain '`': {new_name!r}")
        plain = _ATTRIBUTE_NAME.match(new_name) and not str(attribute.name).startswith("`")
        edits = [TextEdit(self.file, start, end, new_name if plain else f"`{new_name}`")]
        table = target.table
        keys = [
            *(table.primary_key.columns if table.primary_key else []),
            *(c for fk in table.foreign_keys for c in fk.columns),
        ]
        if column.lower() in (key.lower() for key in keys):  # FK attributes are matched to keys by name
            self._check_references(edits, target, lambda t: t, (column.lower(), new_name))
        return edits

    def _check_references(
        self,
        edits: list[TextEdit],
        target: TableTarget,
        table_name: Callable[[str], str],
        column: tuple[str, str] | None = None,
    ) -> None:
        """Refuse a rename after which a foreign key would no longer resolve: Mermaid cannot say
        what an FK attribute references, the reader matches it by name (`erd/mermaid/keys.py`)."""
        schema = target.schema.lower()

        def renamed(ref_schema: str, table: str, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
            if ref_schema != schema or table != target.table.name.lower():
                return table, columns
            return table_name(table), tuple(
                column[1].lower() if column and c == column[0] else c for c in columns
            )

        expected = set()
        for own_schema, table, columns, ref_schema, ref_table, ref_columns in (
            self._references(self.text, target.schema) or ()
        ):
            table, columns = renamed(own_schema, table, columns)
            ref_table, ref_columns = renamed(ref_schema, ref_table, ref_columns)
            expected.add((own_schema, table, columns, ref_schema, ref_table, ref_columns))
        patched = self._references(apply_text_edits({self.file: self.text}, edits)[self.file], target.schema)
        lost = sorted(expected - patched) if patched is not None else []
        if lost:
            own_schema, table, columns, ref_schema, ref_table, ref_columns = lost[0]
            raise UnsupportedEditError(
                f"Mermaid cannot say what an FK attribute references (the reader matches it to a key by "
                f"name), so after this rename {own_schema}.{table}.{', '.join(columns)} FK would no longer "
                f"reference {ref_schema}.{ref_table}.{', '.join(ref_columns)}",
                hint="edit the key and the FK attributes that reference it together by hand, or " + _KEEP_IN,
            )

    def _references(self, text: str, default_schema: str) -> set[_Reference] | None:
        """The foreign keys `text` reads as; None when it does not read (the patch's check says why).
        In the target's schema by default: the target reads in it, with or without a `%% schema:`."""
        try:
            parse = parse_markdown if self.markdown else parse_mermaid
            parsed = parse(text, self.file, default_schema=default_schema)
        except AcceleratorError:
            return None
        return {
            (
                schema.name.lower(),
                table.name.lower(),
                tuple(c.lower() for c in fk.columns),
                fk.ref_schema.lower(),
                fk.ref_table.lower(),
                tuple(c.lower() for c in fk.ref_columns),
            )
            for schema in parsed.schemas
            for table in schema.tables
            for fk in table.foreign_keys
        }

    def add_column(self, target: TableTarget, column: NewColumn) -> list[TextEdit]:
        if column.not_null:
            raise self._unsupported("NOT NULL")
        if column.default is not None:
            raise self._unsupported("a DEFAULT value")
        name = column.name if _ATTRIBUTE_NAME.match(column.name) else f"`{column.name}`"
        line = f"{self._type(column.type, column.source_type)} {name}"
        if column.comment:
            _check_comment(column.comment)
            line += f' "{column.comment}"'
        entity = self.entity(target)
        if entity.attributes:
            last = entity.attributes[-1]
            last_end = self._at(last.last, last.offset)[1]
            return [
                insert_line_after(
                    self.file, self.text, last_end, indentation_at(self.text, last.start) + line
                )
            ]
        if entity.opening is None or entity.closing is None:
            name_end = self._at(entity.name, entity.offset)[1]
            indent = indentation_at(self.text, name_end)
            return [TextEdit(self.file, name_end, name_end, f" {{\n{indent}    {line}\n{indent}}}")]
        opening_end = self._at(entity.opening, entity.offset)[1]
        indent = indentation_at(self.text, opening_end) + "    "
        return [insert_line_after(self.file, self.text, opening_end, indent + line)]

    def drop_column(self, target: TableTarget, column: str) -> list[TextEdit]:
        entity = self.entity(target)
        attribute = self.attribute(entity, column)
        end = self._at(attribute.last, attribute.offset)[1]
        rest_of_line = self.text[end : next_line_start(self.text, end)]
        if only_blank_before(self.text, attribute.start) and (
            not rest_of_line.strip() or rest_of_line.strip().startswith("%%")
        ):
            return [delete_lines(self.file, self.text, attribute.start, end)]
        position = entity.attributes.index(attribute)
        following = entity.attributes[position + 1].start if position + 1 < len(entity.attributes) else end
        return [TextEdit(self.file, attribute.start, following, "")]

    def change_type(
        self, target: TableTarget, column: str, new_type: str, source_type: str | None = None
    ) -> list[TextEdit]:
        attribute = self.attribute(self.entity(target), column)
        start, end = self._at(attribute.type, attribute.offset)
        return [TextEdit(self.file, start, end, self._type(new_type, source_type))]

    def set_not_null(self, target: TableTarget, column: str, not_null: bool) -> list[TextEdit]:
        raise self._unsupported(
            "NOT NULL" if not_null else "dropping NOT NULL (only PK attributes are NOT NULL)"
        )

    def set_comment(self, target: TableTarget, column: str | None, comment: str | None) -> list[TextEdit]:
        entity = self.entity(target)
        if comment is not None:
            _check_comment(comment)
        if column is None:
            return self._set_table_comment(entity, comment)
        attribute = self.attribute(entity, column)
        if attribute.comment is not None:
            start, end = self._at(attribute.comment, attribute.offset)
            if comment is None:
                while start > 0 and self.text[start - 1] in " \t":
                    start -= 1
                return [TextEdit(self.file, start, end, "")]
            return [TextEdit(self.file, start, end, f'"{comment}"')]
        if comment is None:
            return []
        end = self._at(attribute.last, attribute.offset)[1]
        return [TextEdit(self.file, end, end, f' "{comment}"')]

    def add_foreign_key(
        self, target: TableTarget, columns: list[str], ref_schema: str, ref_table: str, ref_columns: list[str]
    ) -> list[TextEdit]:
        """The `FK` marker on each attribute, and a relationship line when the two entities have none;
        refused when the reader would not resolve the markers back to exactly that key."""
        entity = self.entity(target)
        referenced = self.entity(TableTarget(ref_schema, Table(name=ref_table)))
        edits = [e for column in columns for e in self._mark(self.attribute(entity, column), add=True)]
        own, other = str(entity.name), str(referenced.name)  # as written, quotes kept
        if not self._related(_bare(entity.name), _bare(referenced.name)):
            label = "_".join(columns)
            end = max(e for e in self.diagram_ends if e <= len(self.text))
            indent = indentation_at(self.text, self._at(entity.name, entity.offset)[0])
            edits.append(
                insert_line_after(self.file, self.text, end - 1, f"{indent}{other} ||--o{{ {own} : {label}")
            )
        key = _key(target.schema, target.table.name, columns, ref_schema, ref_table, ref_columns)
        self._check_foreign_keys(edits, target.schema, key, added=True)
        return edits

    def drop_foreign_key(self, target: TableTarget, columns: list[str]) -> list[TextEdit]:
        """The `FK` marker goes, and the relationship line when no other key needs it."""
        entity = self.entity(target)
        edits = [e for column in columns for e in self._mark(self.attribute(entity, column), add=False)]
        fk = next(
            (
                f
                for f in target.table.foreign_keys
                if [c.lower() for c in f.columns] == [c.lower() for c in columns]
            ),
            None,
        )
        if fk is None:
            raise EditConflictError(f"{target.qualified} has no foreign key on {', '.join(columns)}")
        key = _key(target.schema, target.table.name, columns, fk.ref_schema, fk.ref_table, fk.ref_columns)
        relationships = self._relationship_lines(_bare(entity.name), fk.ref_table)
        try:
            self._check_foreign_keys(edits + relationships, target.schema, key, added=False)
            return edits + relationships
        except UnsupportedEditError:  # another key is resolved through that relationship: it stays
            self._check_foreign_keys(edits, target.schema, key, added=False)
            return edits

    def _mark(self, attribute: _Attribute, *, add: bool) -> list[TextEdit]:
        keys = [str(k).upper() for k in attribute.keys]
        if add == ("FK" in keys):  # nothing to mark: the check of the keys read back decides
            return []
        kept = [*keys, "FK"] if add else [k for k in keys if k != "FK"]
        if attribute.keys:
            start = self._at(attribute.keys[0], attribute.offset)[0]
            end = self._at(attribute.keys[-1], attribute.offset)[1]
        else:
            start = end = self._at(attribute.name, attribute.offset)[1]
        if not kept:
            while start > 0 and self.text[start - 1] in " \t":
                start -= 1
            return [TextEdit(self.file, start, end, "")]
        return [TextEdit(self.file, start, end, ("" if attribute.keys else " ") + ", ".join(kept))]

    def _related(self, left: str, right: str) -> bool:
        pair = {left.lower(), right.lower()}
        return any({a, b} == pair for a, b, _, _ in self.relationships)

    def _relationship_lines(self, left: str, right: str) -> list[TextEdit]:
        pair = {left.lower(), right.lower()}
        return [
            delete_lines(self.file, self.text, start, end)
            for a, b, start, end in self.relationships
            if {a, b} == pair and only_blank_before(self.text, start)
        ]

    def _check_foreign_keys(
        self, edits: list[TextEdit], schema: str, key: _Reference, *, added: bool
    ) -> None:
        """Refuse when the patched diagram does not read as exactly the keys before, with `key` added or gone."""
        before = self._references(self.text, schema) or set()
        expected = before | {key} if added else before - {key}
        patched = self._references(apply_text_edits({self.file: self.text}, edits)[self.file], schema)
        if patched is not None and patched != expected:
            _, table, columns, ref_schema, ref_table, ref_columns = key
            raise UnsupportedEditError(
                f"Mermaid cannot say what an FK attribute references (the reader matches it to a key by name "
                f"and relationships), and here {table}.{', '.join(columns)} FK would not read as "
                + (
                    f"referencing {ref_schema}.{ref_table}.{', '.join(ref_columns)} alone"
                    if added
                    else "dropped"
                ),
                hint="edit the FK markers and relationships by hand, or " + _KEEP_IN,
            )

    def move_table(self, target: TableTarget, schema: str) -> list[TextEdit]:
        """Every mention of the entity is written `schema.table` (a qualified name outranks `%% schema:`)."""
        entity = self.entity(target)
        declared = _bare(entity.name).lower()
        edits = []
        new_name = f"{schema}.{_short(entity.name)}"
        for token, offset in self.mentions:
            if _bare(token).lower() in (declared, target.qualified.lower()):
                start, end = self._at(token, offset)
                quoted = str(token).startswith('"') or not _ENTITY_NAME.match(new_name)
                edits.append(TextEdit(self.file, start, end, f'"{new_name}"' if quoted else new_name))
        return edits

    def _set_table_comment(self, entity: _Entity, comment: str | None) -> list[TextEdit]:
        """The table comment is the run of `%%` lines directly above the entity (our convention)."""
        entity_line = line_start(self.text, self._at(entity.name, entity.offset)[0])
        first = entity_line
        while first > 0:
            previous = line_start(self.text, first - 1)
            line = self.text[previous : first - 1]
            if not line.lstrip().startswith("%%") or _SCHEMA_DIRECTIVE.match(line):
                break
            first = previous
        indent = indentation_at(self.text, entity_line)
        if comment is None:
            return [TextEdit(self.file, first, entity_line, "")] if first < entity_line else []
        return [TextEdit(self.file, first, entity_line, f"{indent}%% {comment}\n")]

    # -- helpers ----------------------------------------------------------------------------------

    def _type(self, databricks_type: str, spelling: str | None = None) -> str:
        written = written_type(databricks_type, "mermaid", spelling)
        if spelling and written == spelling and not _MERMAID_TYPE.match(spelling):
            written = source_type(databricks_type, "mermaid")  # the user's spelling is not one Mermaid word
        if re.search(r"\s", re.sub(r"\([^)]*\)|<[^>]*>", "", written)) or '"' in written:
            raise UnsupportedEditError(
                f"a Mermaid attribute type cannot be written as {written!r}", hint=_KEEP_IN
            )
        return written

    def _unsupported(self, what: str) -> UnsupportedEditError:
        return UnsupportedEditError(f"Mermaid erDiagram cannot express {what}", hint=_KEEP_IN)
