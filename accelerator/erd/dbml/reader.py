"""DBML -> the canonical model, with the exact span of every table, column and name.

`erd/dbml/syntax.py` scans the text into a located syntax tree; this module turns it into Schema, Table
and Column objects: types through `map_type(family="dbml")`, `[pk]` columns into one primary key in
column order, `indexes { (a, b) [pk] }` into keys, references into foreign keys on the table that
holds them (`>` and `-`: the left side, `<`: the right side; `<>` creates none and is a finding).
Dangling references and duplicate names are left to `build_project`, which reports them at the spans
set here.

Re-parsing after a small edit costs what changed, not the file. `erd/dbml/syntax.py`'s `scan_dbml`
reads again only the changed blocks, and each table block keeps what it built (`Block.built`, a
`_TableTemplate`): values only, never handed out. A block whose text is unchanged builds the same
Table again but for the lines of its spans, provided it starts at the same column and the enums
(which type its columns) are the same; so the table is made from the template instead, its lines
moved by as many as the block moved. The rest (schemas, references, findings) is built again for
each text, and so are the blocks that no template fits, which makes their errors those of a full
parse. Every parse hands out tables, keys and lists of its own: callers change what they are given
(`build_project` takes schemas over, references add foreign keys), made without validation by
`model.copying` (`deep_copied`, `made`). Columns are values (the fit, governance, the agent's edits
and plan's replay replace a column by a changed copy): a block that did not move hands out the
Column objects it built again, so a warm re-parse makes no columns and the patch check compares
unchanged tables by identity; one that a caller changed in place anyway is made again
(`_shared_columns`), so a parse gives what a cold parse would whatever was done to earlier results.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, eq
from types import MappingProxyType
from typing import Any, NamedTuple

from accelerator.erd.dbml.check import check_with_pydbml
from accelerator.erd.dbml.syntax import (
    Block,
    ColumnNode,
    Endpoint,
    EnumNode,
    IndexNode,
    RefNode,
    Scan,
    TableNode,
    Token,
    moved_enum,
    moved_ref,
    moved_table,
    scan_dbml,
)
from accelerator.erd.parsed import LineIndex, ParsedErd
from accelerator.erd.types import MappedType, map_type
from accelerator.errors import ErdSyntaxError, ModelError, UnknownTypeError
from accelerator.model import (
    Column,
    Finding,
    Fix,
    ForeignKey,
    Identity,
    PrimaryKey,
    Schema,
    Span,
    Table,
    UniqueKey,
)
from accelerator.model.copying import deep_copied, made, moved
from accelerator.model.elements import Check
from accelerator.model.sql_definitions import databricks_check_expression

# pydbml is slow (pyparsing): larger files than this get our scanner only.
PYDBML_CHECK_LIMIT = 10_000
MANY_TO_MANY_RULE = "erd.dbml.many_to_many"
RANGE_TYPE_RULE = "erd.dbml.range_type"
INVALID_CHECK_RULE = "erd.dbml.check_invalid"
NON_KEY_REFERENCE_RULE = "erd.dbml.reference_not_a_key"
# PostgreSQL's range and multirange types: Databricks has none. STRING holds their text form
# ('[1,10)') without losing a bound's inclusivity, which a STRUCT<start, end> would.
_RANGE_TYPES = frozenset(
    f"{base}{kind}"
    for base in ("int4", "int8", "num", "ts", "tstz", "date")
    for kind in ("range", "multirange")
)


def parse_dbml(
    text: str, file: str, *, default_schema: str = "default", check_with_reference_parser: bool | None = None
) -> ParsedErd:
    """Parse DBML `text` (read from `file`) into schemas of located tables.

    Raises `ErdSyntaxError` for malformed DBML, `UnknownTypeError` for an unknown column type and
    `ModelError` for what cannot be placed (a reference from an undeclared table, two primary keys).
    `check_with_reference_parser` also runs pydbml's grammar; by default only on small files.
    """
    scan = scan_dbml(text, file)
    if check_with_reference_parser is None:
        check_with_reference_parser = len(text) <= PYDBML_CHECK_LIMIT
    if check_with_reference_parser:
        check_with_pydbml(text, file, scan)  # per block, remembered: a turn reads what it changed
    return _ModelBuilder(text, file, default_schema).build(scan)


@dataclass
class _Side:
    """One end of a reference, resolved against the tables of this file."""

    schema: str
    table_name: str
    table: Table | None
    names: Mapping[str, str]  # the table's column names, lower-cased -> as declared (the first)
    columns: list[str]
    span: Span


class _InlineRef(NamedTuple):
    """A `ref: > schema.table.column` column setting, as its table block holds it."""

    column: str  # as the table declares it
    column_span: Span
    relation: str
    table: tuple[str, ...]
    columns: tuple[str, ...]
    target_span: Span
    span: Span

    def moved(self, lines: int) -> _InlineRef:
        return self._replace(
            column_span=moved(self.column_span, lines),
            target_span=moved(self.target_span, lines),
            span=moved(self.span, lines),
        )


# A column as its table block declares it, typed: the values of a Column (in the order of
# Column.model_fields) but for `identity` (the Span of what makes it one, or None), `allowed_values`
# (a tuple) and `tags` (None), which `_new_column` makes anew. Read-only: templates keep them.
_ColumnSpec = MappingProxyType[str, Any]
# The fields a Column is given, which pydantic notes as set.
_COLUMN_FIELDS_SET = frozenset(
    {"name", "type", "source_type", "nullable", "default", "identity", "comment", "allowed_values"}
    | {"span", "name_span"}
)
# The fields a ForeignKey is given (all but `label`), which pydantic notes as set.
_FOREIGN_KEY_FIELDS_SET = frozenset(
    {"name", "columns", "ref_schema", "ref_table", "ref_columns", "span", "name_span"}
)
_NO_COLUMNS: Mapping[str, str] = MappingProxyType({})


def _column_spec(
    name: str,
    type_: str,
    source_type: str,
    nullable: bool,
    default: str | None,
    identity: Span | None,
    comment: str | None,
    allowed_values: tuple[str, ...] | None,
    span: Span,
    name_span: Span,
) -> _ColumnSpec:
    return MappingProxyType(
        {
            "span": span,
            "name_span": name_span,
            "name": name,
            "type": type_,
            "source_type": source_type,
            "nullable": nullable,
            "default": default,
            "identity": identity,
            "comment": comment,
            "tags": None,
            "classification": None,
            "mask": None,
            "allowed_values": allowed_values,
        }
    )


def _column_names(names: Iterable[str]) -> Mapping[str, str]:
    """What `Table.column(name).name` answers for each lower-cased name, without a scan per look-up."""
    found: dict[str, str] = {}
    for name in names:
        found.setdefault(name.lower(), name)
    return MappingProxyType(found)


def _new_column(spec: _ColumnSpec, lines: int) -> Column:
    """A new Column, its spans moved by `lines` lines: what `Column(...)` makes of these fields
    (tests/erd compares the two), without validation, in a fraction of the time."""
    values = spec.copy()
    values["tags"] = {}
    if lines:
        values["span"], values["name_span"] = moved(spec["span"], lines), moved(spec["name_span"], lines)
    if (identity := spec["identity"]) is not None:
        values["identity"] = Identity(span=moved(identity, lines) if lines else identity)
    if (allowed := spec["allowed_values"]) is not None:
        values["allowed_values"] = list(allowed)
    return made(Column, values, _COLUMN_FIELDS_SET)


class _TableTemplate(NamedTuple):
    """What a table block built, and where: its Table before references, as a table without columns
    (which no caller sees), the specs of its columns, what moved copies are made of, and the columns
    as built at `line`, handed out again while the block stays there."""

    line: int  # of the block's start
    column: int
    enums: object  # the enums its column types were mapped with
    shell: Table
    columns: tuple[_ColumnSpec, ...]
    names: Mapping[str, str]  # of its columns, as `_column_names` gives them
    references: tuple[_InlineRef, ...]
    findings: tuple[Finding, ...]  # what building it found (a CHECK left out), given again on reuse
    ranged: bool  # whether a column is of a range type (`note_range_columns`)
    shared: list[Column]  # the columns as built at `line` (`_shared_columns`)
    built: tuple[dict[str, Any], ...]  # their fields as built (values of their own), to compare with

    def table(self, line: int) -> Table:
        """A new table, as the block builds it when it starts on `line`: with the columns built
        there (`_shared_columns`), or new ones moved by as many lines as the block moved."""
        lines = line - self.line
        table = deep_copied(self.shell, lines)
        if lines == 0:
            table.columns.extend(_shared_columns(self))
        else:
            table.columns.extend(
                [_new_column(spec, lines) for spec in self.columns]
            )  # not marked as set, as before
        return table


def _shared_columns(template: _TableTemplate) -> list[Column]:
    """The columns a block built, handed out to every parse in which it did not move. Columns are
    values (governance, the fit, the agent's edits and plan's replay copy one before changing it),
    so a parse and the next share them: a warm re-parse makes no columns and the patch check
    compares unchanged tables by identity. One that a caller changed in place anyway (its fields no
    longer those it was built with, `built`) is made again, so a parse still hands out what a cold
    parse would: a C-level comparison of their field dicts, far cheaper than new columns."""
    shared, built = template.shared, template.built
    if shared and all(map(eq, map(_fields_of, shared), built)):
        return shared
    for position, (column, values) in enumerate(zip(shared, built, strict=True)):
        if column.__dict__ != values:
            shared[position] = _new_column(template.columns[position], 0)
    return shared


_fields_of = attrgetter("__dict__")  # a model's field values by name


class _ModelBuilder:
    def __init__(self, text: str, file: str, default_schema: str) -> None:
        self.text = text
        self.file = file
        self.default_schema = default_schema
        self.lines = LineIndex(text, file)
        # lower (schema, table) -> the first one, with its column names (`_column_names`)
        self.tables: dict[tuple[str, str], tuple[str, Table, Mapping[str, str]]] = {}
        self.aliases: dict[str, tuple[str, str]] = {}
        self.enums: dict[str, list[str]] = {}
        self.mapped_types: dict[str, MappedType] = {}  # the same few types repeat over thousands of columns
        self.findings: list[Finding] = []
        self.ranged: set[int] = set()  # id() of the tables with a range-typed column

    def name_span(self, token: Token, shift: int = 0) -> Span:
        """The name itself: inside the quotes of a "quoted name", so a rename keeps them."""
        if token.kind in ("quoted", "string"):
            return self.lines.span(token.start + shift + 1, token.end + shift - 1)
        return self.lines.span(token.start + shift, token.end + shift)

    def schema_of(self, name: list[Token]) -> str:
        return name[0].value if len(name) == 2 else self.default_schema

    def build(self, scan: Scan) -> ParsedErd:
        for shift, block in scan.blocks:
            if isinstance(block.node, EnumNode):
                self.add_enum(moved_enum(block.node, shift) if shift else block.node)
        enums = tuple((name, tuple(values)) for name, values in self.enums.items())
        schemas: dict[str, Schema] = {}
        built: list[tuple[Sequence[_InlineRef], str, Table, Mapping[str, str]]] = []
        for shift, block in scan.blocks:
            node = block.node
            if not isinstance(node, TableNode):
                continue
            table, references, names = self.placed_table(node, block, shift, enums)
            schema_name = self.schema_of(node.name)
            schema = schemas.get(schema_name.lower())
            if schema is None:
                schema_span = self.name_span(node.name[0], shift) if len(node.name) == 2 else None
                schema = schemas[schema_name.lower()] = Schema(name=schema_name, name_span=schema_span)
            schema.tables.append(table)
            built.append((references, schema.name, table, names))
            key = (schema.name.lower(), table.name.lower())
            self.tables.setdefault(key, (schema.name, table, names))
            if node.alias is not None:
                self.aliases.setdefault(node.alias.value.lower(), key)
        for references, schema_name, table, names in built:  # references need every table of the file first
            self.inline_references(references, schema_name, table, names)
            if id(table) in self.ranged:
                self.note_range_columns(table)
        for shift, block in scan.blocks:
            if isinstance(block.node, RefNode):
                ref = moved_ref(block.node, shift) if shift else block.node
                left, right = self.endpoint_side(ref.left), self.endpoint_side(ref.right)
                self.reference(left, ref.relation.text, right, ref.name, self.lines.span(ref.start, ref.end))
        return ParsedErd(
            file=self.file, source=self.text, schemas=list(schemas.values()), findings=self.findings
        )

    def placed_table(
        self, node: TableNode, block: Block, shift: int, enums: object
    ) -> tuple[Table, Sequence[_InlineRef], Mapping[str, str]]:
        """The table of a block at `shift`, its inline references and its column names: made from the
        block's template if it fits, else built (and kept as the block's template for the next texts)."""
        line, column = self.lines.position(block.start + shift)
        template = block.built
        if isinstance(template, _TableTemplate) and (template.column, template.enums) == (column, enums):
            lines = line - template.line
            references = [ref.moved(lines) for ref in template.references] if lines else template.references
            if template.findings:
                self.findings.extend(
                    f.model_copy(update={"span": moved(f.span, lines)}) if lines and f.span else f
                    for f in template.findings
                )
            table = template.table(line)
            if template.ranged:
                self.ranged.add(id(table))
            return table, references, template.names
        if shift:
            node = moved_table(node, shift)
        found = len(self.findings)
        table, columns = self.table(node)
        references = self.inline_refs(node, table)
        names = _column_names(spec["name"] for spec in columns)
        shell = deep_copied(table, without="columns")
        findings = tuple(self.findings[found:])
        ranged = any(spec["source_type"].lower() in _RANGE_TYPES for spec in columns)
        if ranged:
            self.ranged.add(id(table))
        block.built = _TableTemplate(
            line, column, enums, shell, tuple(columns), names, tuple(references), findings, ranged,
            shared=list(table.columns),  # what this parse hands out too
            built=tuple(_new_column(spec, 0).__dict__ for spec in columns),
        )  # fmt: skip
        return table, references, names

    # -- enums and columns ----------------------------------------------------------------------

    def add_enum(self, node: EnumNode) -> None:
        short = node.name[-1].value
        qualified = f"{self.schema_of(node.name)}.{short}"
        if qualified.lower() in {name.lower() for name in self.enums}:
            raise self.model_error(
                f"duplicate enum {qualified!r}", node.name[-1], "rename or remove one of the two enums"
            )
        values = [value.value for value in node.values]
        for name in (qualified, short):  # map_type looks names up without spaces
            self.enums.setdefault(name, values)
            self.enums.setdefault(name.replace(" ", ""), values)

    def table(self, node: TableNode) -> tuple[Table, list[_ColumnSpec]]:
        table_name = node.name[-1]
        table = Table(
            name=table_name.value,
            span=self.lines.span(node.start, node.end),
            name_span=self.name_span(table_name),
        )
        notes = [setting.value for setting in node.settings if setting.key == "note"]
        note = node.note or (notes[0] if notes else None)  # a Note in the body wins, as in pydbml
        table.comment = note.value if note else None
        primary_key: PrimaryKey | None = None
        key_columns = {  # the columns of a primary key index are not null either
            subject.value.lower()
            for index in node.indexes
            if any(setting.key == "pk" for setting in index.settings)
            for subject in index.subjects
        }
        specs = []
        for column_node in node.columns:
            spec = self.column(column_node, key_columns)
            specs.append(spec)
            column = _new_column(spec, 0)
            table.columns.append(column)
            for setting in column_node.settings:
                if setting.key == "pk":
                    if primary_key is None:
                        primary_key = PrimaryKey(columns=[], span=self.lines.span(setting.start, setting.end))
                    primary_key.columns.append(column.name)
                elif setting.key == "unique":
                    unique_span = self.lines.span(setting.start, setting.end)
                    table.unique_keys.append(UniqueKey(columns=[column.name], span=unique_span))
        table.primary_key = primary_key
        for index in node.indexes:
            self.index(table, index)
        for column_node in node.columns:
            for setting in column_node.settings:
                if setting.key == "check" and setting.value is not None:
                    self.check(table, setting.value, None, setting.start, setting.end)
        for entry in node.checks:
            name = next((s.value for s in entry.settings if s.key == "name"), None)
            self.check(table, entry.subjects[0], name, entry.start, entry.end)
        return table, specs

    def check(self, table: Table, expression: Token, name: Token | None, start: int, end: int) -> None:
        """A CHECK constraint, kept in Databricks SQL; one that is not valid Databricks SQL is left out
        with a warning naming it (never an invalid statement in the generated SQL)."""
        span = self.lines.span(start, end)
        rendered = databricks_check_expression(expression.value)
        if rendered is None:
            self.findings.append(
                Finding(
                    rule=INVALID_CHECK_RULE,
                    severity="warn",
                    message=f"check {expression.text} of table {table.name} is not a valid Databricks SQL "
                    "expression and is left out",
                    span=span,
                    object=f"{table.name}.{name.value if name else 'check'}",
                    fix=Fix(description="write a boolean expression over the columns, e.g. `price >= 0`"),
                )
            )
            return
        name_span = self.name_span(name) if name is not None else None
        table.checks.append(
            Check(name=name.value if name else None, expression=rendered, span=span, name_span=name_span)
        )

    def column(self, node: ColumnNode, key_columns: set[str]) -> _ColumnSpec:
        type_token = node.type
        source_type = type_token.value
        mapped = self.mapped_type(type_token)
        identity = self.lines.span(type_token.start, type_token.end) if mapped.identity else None
        name = node.name.value
        nullable, comment, default = name.lower() not in key_columns, None, None
        for setting in node.settings:
            if setting.key in ("not null", "pk"):
                nullable = False
            elif setting.key == "increment":
                identity = self.lines.span(setting.start, setting.end)
            elif setting.key == "note" and setting.value is not None:
                comment = setting.value.value
            elif setting.key == "default" and setting.value is not None:
                default = _default_sql(setting.value)
        allowed_values = mapped.allowed_values
        return _column_spec(
            name,
            mapped.type,
            source_type,
            nullable,
            default,
            identity,
            comment,
            None if allowed_values is None else tuple(allowed_values),
            self.lines.span(node.start, node.end),
            self.name_span(node.name),
        )

    def note_range_columns(self, table: Table) -> None:
        """An info per range-typed column: here, not where the type is mapped, which a reused
        table template skips."""
        for column in table.columns:
            if column.source_type.lower() in _RANGE_TYPES:
                self.findings.append(
                    Finding(
                        rule=RANGE_TYPE_RULE,
                        severity="info",
                        message=f"column {table.name}.{column.name} is a {column.source_type}, which "
                        "Databricks has no type for: it is a STRING holding the range as text, e.g. '[1,10)'",
                        span=column.name_span or column.span,
                        object=f"{table.name}.{column.name}",
                    )
                )

    def mapped_type(self, type_token: Token) -> MappedType:
        raw_type = type_token.value
        mapped = self.mapped_types.get(raw_type)
        if mapped is not None:
            return mapped
        if raw_type.lower() in _RANGE_TYPES:
            mapped = self.mapped_types[raw_type] = MappedType("STRING")
            return mapped
        type_span = self.lines.span(type_token.start, type_token.end)
        try:
            mapped = map_type(raw_type, family="dbml", enums=self.enums, span=type_span, source=self.text)
        except (ValueError, IndexError) as unreadable:  # e.g. decimal(a,b): map_type expects digits
            raise UnknownTypeError(
                f"cannot read type {raw_type!r}: {unreadable}",
                file=self.file,
                line=type_span.line,
                column=type_span.column,
                hint="write a type such as varchar(255), decimal(10,2) or array<string>",
                source=self.text,
            ) from None
        self.mapped_types[raw_type] = mapped
        return mapped

    def index(self, table: Table, node: IndexNode) -> None:
        keys = {setting.key for setting in node.settings}
        if not keys & {"pk", "unique"}:
            return  # plain indexes have no Unity Catalog counterpart
        expression = next((s for s in node.subjects if s.kind == "expr"), None)
        if expression is not None:
            raise ErdSyntaxError(
                "a primary key or unique index must list columns, not an `expression`",
                file=self.file,
                line=self.lines.span(expression.start, expression.end).line,
                column=self.lines.span(expression.start, expression.end).column,
                hint="name the columns: (a, b) [pk]",
                source=self.text,
            )
        columns = [self.declared_name(table, subject.value) for subject in node.subjects]
        name_token = next((s.value for s in node.settings if s.key == "name"), None)
        name = name_token.value if name_token else None
        name_span = self.name_span(name_token) if name_token else None
        span = self.lines.span(node.start, node.end)
        if "pk" not in keys:
            table.unique_keys.append(UniqueKey(name=name, columns=columns, span=span, name_span=name_span))
        elif table.primary_key is not None:
            raise ModelError(
                f"table {table.name} declares a second primary key",
                file=self.file,
                line=span.line,
                column=span.column,
                hint="keep either the [pk] column settings or one [pk] index",
                source=self.text,
            )
        else:
            table.primary_key = PrimaryKey(name=name, columns=columns, span=span, name_span=name_span)

    @staticmethod
    def declared_name(table: Table, name: str) -> str:
        column = table.column(name)
        return column.name if column else name

    # -- references -----------------------------------------------------------------------------

    def inline_refs(self, node: TableNode, table: Table) -> list[_InlineRef]:
        found = []
        for column_node in node.columns:
            for setting in column_node.settings:
                if setting.key != "ref" or setting.relation is None or setting.endpoint is None:
                    continue
                target = setting.endpoint
                found.append(
                    _InlineRef(
                        self.declared_name(table, column_node.name.value),
                        self.name_span(column_node.name),
                        setting.relation.text,
                        tuple(token.value for token in target.table),
                        tuple(token.value for token in target.columns),
                        self.lines.span(target.start, target.end),
                        self.lines.span(setting.start, setting.end),
                    )
                )
        return found

    def inline_references(
        self, references: Sequence[_InlineRef], schema_name: str, table: Table, names: Mapping[str, str]
    ) -> None:
        for ref in references:
            own = _Side(schema_name, table.name, table, names, [ref.column], ref.column_span)
            self.reference(
                own, ref.relation, self.side(ref.table, ref.columns, ref.target_span), None, ref.span
            )

    def endpoint_side(self, endpoint: Endpoint) -> _Side:
        names = [token.value for token in endpoint.table]
        columns = [token.value for token in endpoint.columns]
        return self.side(names, columns, self.lines.span(endpoint.start, endpoint.end))

    def public_table(self, key: tuple[str, str]) -> tuple[str, str]:
        """DBML puts unqualified tables in `public`, which this reader maps to the default schema:
        `public.t` names the default schema's t when the file declares no public.t, and an
        unqualified `t` names public.t when the default schema has no t."""
        schema, table = key
        default = self.default_schema.lower()
        other = default if schema == "public" else "public" if schema == default else None
        if other is not None and (other, table) in self.tables:
            return other, table
        return key

    def side(self, names: Sequence[str], columns: Sequence[str], span: Span) -> _Side:
        key = (names[0] if len(names) == 2 else self.default_schema).lower(), names[-1].lower()
        if len(names) == 1 and key not in self.tables and names[0].lower() in self.aliases:
            key = self.aliases[names[0].lower()]
        if key not in self.tables:
            key = self.public_table(key)
        schema_name, table, declared_names = self.tables.get(
            key, (names[0] if len(names) == 2 else self.default_schema, None, _NO_COLUMNS)
        )
        declared = [declared_names.get(column.lower(), column) for column in columns]
        table_name = table.name if table else names[-1]
        return _Side(schema_name, table_name, table, declared_names, declared, span)

    def reference(self, left: _Side, relation: str, right: _Side, name: Token | None, span: Span) -> None:
        if relation == "<>":
            self.findings.append(
                Finding(
                    rule=MANY_TO_MANY_RULE,
                    severity="warn",
                    message=f"many-to-many reference {_describe(left)} <> {_describe(right)} creates no foreign key",
                    span=span,
                    object=f"{left.schema}.{left.table_name}",
                    fix=Fix(description="add a junction table with a foreign key to each side"),
                )
            )
            return
        holder, target = (right, left) if relation == "<" else (left, right)
        if holder.table is None:
            known = [f"{schema}.{table.name}" for schema, table, _ in self.tables.values()]
            raise self.model_error_at(
                f"reference from table {holder.schema}.{holder.table_name}, which this file does not define",
                holder.span,
                _closest(f"{holder.schema}.{holder.table_name}", known),
            )
        for column in holder.columns:
            if column.lower() not in holder.names:
                raise self.model_error_at(
                    f"reference from column {holder.table_name}.{column}, which {holder.table_name} does not have",
                    holder.span,
                    _closest(column, [c.name for c in holder.table.columns]),
                )
        values = {  # what ForeignKey(...) of these makes (tests/erd compares the two), unvalidated
            "span": target.span,  # build_project's dangling-reference errors point at the referenced side
            "name_span": self.name_span(name) if name else None,
            "name": name.value if name else None,
            "columns": holder.columns,  # both lists are the sides' own, made for this reference
            "ref_schema": target.schema,
            "ref_table": target.table_name,
            "ref_columns": target.columns,
            "label": None,
        }
        holder.table.foreign_keys.append(made(ForeignKey, values, _FOREIGN_KEY_FIELDS_SET))
        if target.table is not None:
            self.note_reference_to_a_non_key(holder, target, span)

    def note_reference_to_a_non_key(self, holder: _Side, target: _Side, span: Span) -> None:
        """Databricks foreign keys reference a primary key: a reference to other columns whose types
        differ from the referencing ones' is a warning (with the same types it may be meant)."""
        assert holder.table is not None and target.table is not None
        wanted = [c.lower() for c in target.columns]
        primary_key = target.table.primary_key
        if primary_key is not None and [c.lower() for c in primary_key.columns] == wanted:
            return  # the usual case, without a list of the keys
        if any([c.lower() for c in key.columns] == wanted for key in target.table.unique_keys):
            return
        for own, referenced in zip(holder.columns, target.columns, strict=False):
            own_column, referenced_column = holder.table.column(own), target.table.column(referenced)
            if own_column is None or referenced_column is None or own_column.type == referenced_column.type:
                continue
            self.findings.append(
                Finding(
                    rule=NON_KEY_REFERENCE_RULE,
                    severity="warn",
                    message=f"{_describe(holder)} ({own_column.type}) references {_describe(target)} "
                    f"({referenced_column.type}), which is not a key of {target.table_name} and has another type",
                    span=span,
                    object=f"{holder.schema}.{holder.table_name}.{own}",
                    fix=Fix(
                        description=f"reference the primary key of {target.table_name}, or give both columns one type"
                    ),
                )
            )
            return

    # -- errors ---------------------------------------------------------------------------------

    def model_error(self, message: str, token: Token, hint: str | None) -> ModelError:
        return self.model_error_at(message, self.lines.span(token.start, token.end), hint)

    def model_error_at(self, message: str, span: Span, hint: str | None) -> ModelError:
        return ModelError(
            message, file=self.file, line=span.line, column=span.column, hint=hint, source=self.text
        )


def _default_sql(value: Token) -> str:
    """A DBML default as a Databricks SQL expression."""
    if value.kind in ("string", "quoted"):
        escaped = value.value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    if value.kind == "word":  # true, false, null
        return value.text.upper()
    return value.value  # a number, or an `expression` as written


def _describe(side: _Side) -> str:
    columns = side.columns[0] if len(side.columns) == 1 else f"({', '.join(side.columns)})"
    return f"{side.schema}.{side.table_name}.{columns}"


def _closest(name: str, candidates: list[str]) -> str | None:
    lowered = {candidate.lower(): candidate for candidate in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"did you mean {lowered[close[0]]!r}?"
    return "declared: " + ", ".join(sorted(candidates)[:20]) if candidates else None
