"""Minimal textual edits of a DBML file, planned on the located syntax tree of `erd/dbml/syntax.py`.

The scanner knows comments and strings, so a rename touches name tokens only: the table or column
name, every `ref: > s.t.c` and long-form `Ref` endpoint naming it, and the table's `indexes` block.
"""

from __future__ import annotations

import re
from functools import cached_property

from accelerator.erd.dbml.nodes import Token
from accelerator.erd.dbml.syntax import ColumnNode, Endpoint, Located, RefNode, Setting, TableNode, scan_dbml
from accelerator.erd.patch_inputs import NewColumn, TableTarget, written_type
from accelerator.erd.text_edits import (
    TextEdit,
    delete_lines,
    indentation_at,
    insert_line_after,
    line_start,
    span_offsets,
)
from accelerator.errors import EditConflictError, UnsupportedEditError

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_SQL_STRING = re.compile(r"^'((?:[^'\\]|\\.|'')*)'$", re.DOTALL)


def dbml_name(name: str) -> str:
    return name if _PLAIN_NAME.match(name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dbml_string(text: str) -> str:
    """A DBML single-quoted string: backslash escapes for `\\`, `'` and line breaks."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def dbml_default(expression: str) -> str:
    """A Databricks SQL default -> the DBML default that `erd/dbml/reader.py` reads back to it."""
    text = expression.strip()
    if _NUMBER.match(text) or text.lower() in ("true", "false", "null"):
        return text.lower() if not _NUMBER.match(text) else text
    literal = _SQL_STRING.match(text)
    if literal:
        inner = re.sub(r"\\(.)|''", lambda m: m.group(1) or "'", literal.group(1))
        return dbml_string(inner)
    return f"`{text}`"


def _unquoted(name: str) -> str:
    return name[1:-1] if name[:1] == '"' else name


def _renamed(token: Token, new_name: str) -> str:
    """Keep a quoted name quoted; quote a plain one only when the new name needs it."""
    if token.kind == "quoted":
        return '"' + new_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return dbml_name(new_name)


class DbmlPatcher:
    """Plans edits of one DBML file.

    A re-scanned text shares most blocks with the text before it (see `scan_dbml`); the patcher
    reads names from the shared nodes and moves to this text's offsets only the nodes it edits,
    instead of the whole syntax tree (`Scan.document`), every turn.
    """

    def __init__(self, file: str, text: str, dialect: str = "") -> None:
        self.file = file
        self.text = text
        scan = scan_dbml(text, file)
        self._tables = scan.tables
        self._refs = scan.refs
        self._moved: dict[int, TableNode] = {}

    # -- finding nodes ----------------------------------------------------------------------------

    def _table(self, position: int) -> TableNode:
        """The table at `position`, with offsets into this text (one object per position)."""
        found = self._moved.get(position)
        if found is None:
            found = self._moved[position] = self._tables[position].in_text()
        return found

    def _position(self, target: TableTarget) -> int:
        span = target.table.name_span or target.table.span
        if span is not None and span.file == self.file:
            offset, _ = span_offsets(self.text, span)
            for position, table in enumerate(self._tables):
                if table.start <= offset < table.end:
                    return position
        for position, table in enumerate(self._tables):
            name = table.node.name
            if name[-1].value.lower() == target.table.name.lower() and (
                len(name) == 1 or name[0].value.lower() == target.schema.lower()
            ):
                return position
        raise EditConflictError(f"{self.file} does not declare table {target.qualified}")

    def table_node(self, target: TableTarget) -> TableNode:
        return self._table(self._position(target))

    def column_node(self, node: TableNode, column: str) -> ColumnNode:
        for column_node in node.columns:
            if column_node.name.value.lower() == column.lower():
                return column_node
        raise EditConflictError(f"table {node.name[-1].value} in {self.file} has no column {column!r}")

    @cached_property
    def _table_index(self) -> tuple[dict[tuple[str, ...], int], dict[str, int]]:
        """Positions of the tables by declared name and by alias (the first declaration wins)."""
        by_name: dict[tuple[str, ...], int] = {}
        by_alias: dict[str, int] = {}
        for position, table in enumerate(self._tables):
            node = table.node
            by_name.setdefault(tuple(token.value.lower() for token in node.name), position)
            if node.alias is not None:
                by_alias.setdefault(node.alias.value.lower(), position)
        return by_name, by_alias

    def _endpoint_position(self, endpoint: Endpoint) -> int | None:
        """The first table, in document order, that the endpoint names or (one name) aliases."""
        names = tuple(token.value.lower() for token in endpoint.table)
        by_name, by_alias = self._table_index
        found = [by_name.get(names), by_alias.get(names[0]) if len(names) == 1 else None]
        positions = [position for position in found if position is not None]
        return min(positions) if positions else None

    def _references(self, position: int) -> list[Endpoint]:
        """The endpoints (inline `ref:` and long-form `Ref`) naming the table at `position`."""
        found: list[tuple[Located[TableNode] | Located[RefNode], Endpoint]] = [
            (table, setting.endpoint)
            for table in self._tables
            for column in table.node.columns
            for setting in column.settings
            if setting.endpoint is not None
        ]
        found += [(ref, endpoint) for ref in self._refs for endpoint in (ref.node.left, ref.node.right)]
        return [
            holder.endpoint(endpoint)
            for holder, endpoint in found
            if self._endpoint_position(endpoint) == position
        ]

    def _replace(self, token: Token, new_name: str) -> TextEdit:
        return TextEdit(self.file, token.start, token.end, _renamed(token, new_name))

    # -- edits ------------------------------------------------------------------------------------

    def rename_table(self, target: TableTarget, new_name: str) -> list[TextEdit]:
        position = self._position(target)
        node = self._table(position)
        edits = [self._replace(node.name[-1], new_name)]
        for endpoint in self._references(position):
            # an endpoint written with the table's alias keeps the alias
            if endpoint.table[-1].value.lower() == node.name[-1].value.lower():
                edits.append(self._replace(endpoint.table[-1], new_name))
        return edits

    def rename_column(self, target: TableTarget, column: str, new_name: str) -> list[TextEdit]:
        position = self._position(target)
        node = self._table(position)
        edits = [self._replace(self.column_node(node, column).name, new_name)]
        for endpoint in self._references(position):
            edits += [
                self._replace(t, new_name) for t in endpoint.columns if t.value.lower() == column.lower()
            ]
        for index in node.indexes:
            for subject in index.subjects:
                if subject.kind in ("word", "quoted") and subject.value.lower() == column.lower():
                    edits.append(self._replace(subject, new_name))
        return edits

    def add_column(self, target: TableTarget, column: NewColumn) -> list[TextEdit]:
        node = self.table_node(target)
        last = node.columns[-1]
        settings = []
        if column.not_null:
            settings.append("not null")
        if column.default is not None:
            settings.append(f"default: {dbml_default(column.default)}")
        if column.comment:
            settings.append(f"note: {dbml_string(column.comment)}")
        line = f"{dbml_name(column.name)} {self._type(column.type, column.source_type)}"
        if settings:
            line += " [" + ", ".join(settings) + "]"
        return [
            insert_line_after(self.file, self.text, last.end, indentation_at(self.text, last.start) + line)
        ]

    def drop_column(self, target: TableTarget, column: str) -> list[TextEdit]:
        position = self._position(target)
        column_node = self.column_node(self._table(position), column)
        edits = [delete_lines(self.file, self.text, column_node.start, column_node.end)]

        def names_it(endpoint: Endpoint) -> bool:
            return self._endpoint_position(endpoint) == position and any(
                t.value.lower() == column.lower() for t in endpoint.columns
            )

        for ref in self._refs:  # a long-form Ref to or from the dropped column goes with it
            if names_it(ref.node.left) or names_it(ref.node.right):
                edits.append(delete_lines(self.file, self.text, ref.start, ref.end))
        for other_position, table in enumerate(self._tables):
            for column_index, other in enumerate(table.node.columns):
                for setting_index, setting in enumerate(other.settings):
                    if setting.endpoint is not None and names_it(setting.endpoint):
                        moved = self._table(other_position).columns[column_index]
                        edits.append(self._remove_setting(moved, moved.settings[setting_index]))
        return edits

    def change_type(
        self, target: TableTarget, column: str, new_type: str, source_type: str | None = None
    ) -> list[TextEdit]:
        column_node = self.column_node(self.table_node(target), column)
        return [
            TextEdit(
                self.file, column_node.type.start, column_node.type.end, self._type(new_type, source_type)
            )
        ]

    @staticmethod
    def _type(databricks_type: str, spelling: str | None) -> str:
        written = written_type(databricks_type, "dbml", spelling)
        return f'"{written}"' if " " in written else written

    def set_not_null(self, target: TableTarget, column: str, not_null: bool) -> list[TextEdit]:
        column_node = self.column_node(self.table_node(target), column)
        current = next((s for s in column_node.settings if s.key in ("not null", "null")), None)
        if not_null:
            if current is not None and current.key == "not null":
                return []
            if current is not None:
                return [TextEdit(self.file, current.start, current.end, "not null")]
            return [self._add_setting(column_node, "not null", first=True)]
        if current is None or current.key == "null":
            return []
        return [self._remove_setting(column_node, current)]

    def set_comment(self, target: TableTarget, column: str | None, comment: str | None) -> list[TextEdit]:
        node = self.table_node(target)
        if column is None:
            return self._set_table_note(node, comment)
        column_node = self.column_node(node, column)
        note = next((s for s in column_node.settings if s.key == "note"), None)
        if note is not None and note.value is not None:
            if comment is None:
                return [self._remove_setting(column_node, note)]
            return [TextEdit(self.file, note.value.start, note.value.end, dbml_string(comment))]
        if comment is None:
            return []
        return [self._add_setting(column_node, f"note: {dbml_string(comment)}", first=False)]

    def add_foreign_key(
        self, target: TableTarget, columns: list[str], ref_schema: str, ref_table: str, ref_columns: list[str]
    ) -> list[TextEdit]:
        """One column: an inline `[ref: > s.t.c]` on it; several: a `Ref:` line after the table."""
        position = self._position(target)
        node = self._table(position)
        referenced = self._declared_name(ref_schema, ref_table)
        if len(columns) == 1:
            column_node = self.column_node(node, columns[0])
            return [
                self._add_setting(
                    column_node, f"ref: > {referenced}.{dbml_name(ref_columns[0])}", first=False
                )
            ]
        own = ".".join(dbml_name(token.value) for token in node.name)
        line = (
            f"Ref: {own}.({', '.join(dbml_name(c) for c in columns)}) > "
            f"{referenced}.({', '.join(dbml_name(c) for c in ref_columns)})"
        )
        return [insert_line_after(self.file, self.text, node.end - 1, "\n" + line)]

    def _declared_name(self, schema: str, table: str) -> str:
        """The table's name as this file declares it (with or without its schema), else `schema.table`."""
        for located in self._tables:
            name = located.node.name
            if name[-1].value.lower() == table.lower() and (
                len(name) == 1 or name[0].value.lower() == schema.lower()
            ):
                return ".".join(dbml_name(token.value) for token in name)
        return f"{dbml_name(schema)}.{dbml_name(table)}"

    def drop_foreign_key(self, target: TableTarget, columns: list[str]) -> list[TextEdit]:
        """Remove whichever reference declares the key: a `ref:` setting (on this column, or on the
        referenced column pointing back with `<`) or a long-form `Ref`."""
        position = self._position(target)
        wanted = [c.lower() for c in columns]

        def holds(table_position: int | None, names: list[Token]) -> bool:
            return table_position == position and [t.value.lower() for t in names] == wanted

        edits: list[TextEdit] = []
        for ref in self._refs:
            relation = ref.node.relation.text
            holder = ref.node.right if relation == "<" else ref.node.left
            if relation != "<>" and holds(self._endpoint_position(holder), holder.columns):
                edits.append(delete_lines(self.file, self.text, ref.start, ref.end))
        for other_position, table in enumerate(self._tables):
            for column_index, column in enumerate(table.node.columns):
                for setting_index, setting in enumerate(column.settings):
                    if setting.endpoint is None or setting.relation is None:
                        continue
                    relation = setting.relation.text
                    if relation == "<":
                        declares = holds(self._endpoint_position(setting.endpoint), setting.endpoint.columns)
                    else:
                        declares = relation != "<>" and holds(other_position, [column.name])
                    if declares:
                        moved = self._table(other_position).columns[column_index]
                        edits.append(self._remove_setting(moved, moved.settings[setting_index]))
        if not edits:
            raise EditConflictError(
                f"{self.file} declares no foreign key on {target.qualified}.({', '.join(columns)})"
            )
        return edits

    def move_table(self, target: TableTarget, schema: str) -> list[TextEdit]:
        """The schema in the table's header and in every reference naming the table by its name."""
        position = self._position(target)
        node = self._table(position)
        self._refuse_table_groups(target)
        if len(node.name) == 1:  # declared in the file's default schema: it gets one
            edits = [TextEdit(self.file, node.name[0].start, node.name[0].start, dbml_name(schema) + ".")]
        else:
            edits = [self._replace(node.name[0], schema)]
        for endpoint in self._references(position):
            if len(endpoint.table) == 2:
                edits.append(self._replace(endpoint.table[0], schema))
            elif endpoint.table[0].value.lower() == node.name[-1].value.lower():  # not an alias
                edits.append(
                    TextEdit(
                        self.file, endpoint.table[0].start, endpoint.table[0].start, dbml_name(schema) + "."
                    )
                )
        return edits

    def _refuse_table_groups(self, target: TableTarget) -> None:
        """A TableGroup's members are not on the syntax tree the patcher edits: refuse rather than leave one stale."""
        for group in re.finditer(r"(?im)^[ \t]*TableGroup\b[^{]*\{([^}]*)\}", self.text):
            names = re.findall(r'"[^"]*"|[^\s.]+', group.group(1))
            if any(_unquoted(name).lower() == target.table.name.lower() for name in names):
                raise UnsupportedEditError(
                    f"a TableGroup in {self.file} names {target.qualified}, which this edit cannot rename yet",
                    hint="move the table by hand (its header, references and TableGroup entries); the next turn adopts it",
                )

    # -- settings lists ---------------------------------------------------------------------------

    def _bracketed(self, column: ColumnNode) -> list[Setting]:
        """The settings written inside `[...]` (not the old bare `pk unique` form)."""
        return [s for s in column.settings if "[" in self.text[column.type.end : s.start]]

    def _add_setting(self, column: ColumnNode, setting: str, *, first: bool) -> TextEdit:
        listed = self._bracketed(column)
        if not listed:
            return TextEdit(self.file, column.end, column.end, f" [{setting}]")
        if first:
            return TextEdit(self.file, listed[0].start, listed[0].start, f"{setting}, ")
        return TextEdit(self.file, listed[-1].end, listed[-1].end, f", {setting}")

    def _remove_setting(self, column: ColumnNode, setting: Setting) -> TextEdit:
        listed = self._bracketed(column)
        if setting not in listed:
            return TextEdit(self.file, setting.start, setting.end, "")
        if len(listed) == 1:  # the whole ` [setting]`
            opening = self.text.rfind("[", column.type.end, setting.start)
            closing = self.text.find("]", setting.end)
            while opening > 0 and self.text[opening - 1] in " \t":
                opening -= 1
            return TextEdit(self.file, opening, closing + 1, "")
        position = listed.index(setting)
        if position + 1 < len(listed):
            return TextEdit(self.file, setting.start, listed[position + 1].start, "")
        return TextEdit(self.file, listed[position - 1].end, setting.end, "")

    def _set_table_note(self, node: TableNode, comment: str | None) -> list[TextEdit]:
        in_settings = next((s for s in node.settings if s.key == "note"), None)
        note = node.note or (in_settings.value if in_settings else None)
        if note is not None:
            if comment is not None:
                return [TextEdit(self.file, note.start, note.end, dbml_string(comment))]
            if node.note is not None:
                return [delete_lines(self.file, self.text, self._note_keyword(node.note), node.note.end)]
            assert in_settings is not None
            return [self._remove_table_setting(node, in_settings)]
        if comment is None:
            return []
        last_end = max([c.end for c in node.columns] + [i.end for i in node.indexes])
        indent = indentation_at(self.text, node.columns[-1].start)
        return [insert_line_after(self.file, self.text, last_end, f"{indent}Note: {dbml_string(comment)}")]

    def _note_keyword(self, note: Token) -> int:
        """Where the `Note:` (or `Note {`) that holds `note` starts."""
        found = self.text.lower().rfind("note", 0, note.start)
        return found if found >= 0 else line_start(self.text, note.start)

    def _remove_table_setting(self, node: TableNode, setting: Setting) -> TextEdit:
        if len(node.settings) == 1:
            opening = self.text.rfind("[", node.name[-1].end, setting.start)
            closing = self.text.find("]", setting.end)
            while opening > 0 and self.text[opening - 1] in " \t":
                opening -= 1
            return TextEdit(self.file, opening, closing + 1, "")
        position = node.settings.index(setting)
        if position + 1 < len(node.settings):
            return TextEdit(self.file, setting.start, node.settings[position + 1].start, "")
        return TextEdit(self.file, node.settings[position - 1].end, setting.end, "")
