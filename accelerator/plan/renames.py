"""Renames the diff may use: only those someone declared, never guessed from similar names.

A `Rename` comes from the conversation's typed operations (`rename_table`, `rename_column`, stored as
JSON in a message's payload `ops`). No caller passes them to `generate` or `plan` yet: until one
does, a renamed column or table is diffed as a drop and an add. Names are those
of the previous model, except `new`: `table` is the table's name before (for a table rename it is
`old`), `old` the object's name before and `new` its name after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Rename:
    kind: Literal["table", "column"]
    schema: str
    table: str
    old: str
    new: str
    catalog: str | None = None  # None: the table is found in any catalog (a one-catalog project)

    def __post_init__(self) -> None:
        if self.kind == "table" and self.table.lower() != self.old.lower():
            raise ValueError(f"a table rename names the table by its old name: {self.table} != {self.old}")

    def matches_table(self, catalog: str, schema: str, table: str) -> bool:
        return (
            (self.catalog is None or self.catalog.lower() == catalog.lower())
            and self.schema.lower() == schema.lower()
            and self.table.lower() == table.lower()
        )


def renames_from_ops(ops: Iterable[Mapping[str, Any]]) -> list[Rename]:
    """The net renames of a sequence of resolved operations (as `model_dump(mode="json")` writes
    them: `{"op": "rename_column", "table": "schema.table", "column": "c", "new_name": "d"}`), in
    the names of the model before the first one: a chain a -> b -> c is one rename a -> c, a rename
    back to the old name is none, a column added by an earlier op is new (not renamed), and a
    dropped column keeps no rename. Other operations are skipped."""
    renames: list[Rename] = []
    born: set[tuple[str, str, str]] = set()  # (schema, original table, column): added by an op
    for op in ops:
        kind = op.get("op")
        if kind not in ("rename_table", "rename_column", "add_column", "drop_column"):
            continue
        *prefix, schema, table = str(op["table"]).split(".")
        catalog = prefix[-1] if prefix else None
        original = _original_table(renames, catalog, schema, table)
        if kind == "rename_table":
            renames = [r for r in renames if not _is_table_rename_to(r, schema, table)]
            if original != op["new_name"]:
                renames.append(Rename("table", schema, original, original, str(op["new_name"]), catalog))
            continue
        column = str(op["column"])
        key = (schema.lower(), original.lower(), column.lower())
        earlier = next((r for r in renames if _is_column_rename_to(r, schema, original, column)), None)
        if earlier is not None:
            renames.remove(earlier)
        if kind == "add_column":
            born.add(key)
        elif kind == "drop_column":
            born.discard(key)
        elif key in born:
            born.discard(key)
            born.add((key[0], key[1], str(op["new_name"]).lower()))
        else:
            old = earlier.old if earlier is not None else column
            if old != op["new_name"]:
                renames.append(Rename("column", schema, original, old, str(op["new_name"]), catalog))
    return renames


def _original_table(renames: list[Rename], catalog: str | None, schema: str, table: str) -> str:
    """The name `table` (as it is now) had before the renames so far."""
    for rename in renames:
        if _is_table_rename_to(rename, schema, table) and (
            catalog is None or rename.catalog is None or rename.catalog.lower() == catalog.lower()
        ):
            return rename.old
    return table


def _is_table_rename_to(rename: Rename, schema: str, table: str) -> bool:
    return (
        rename.kind == "table"
        and rename.schema.lower() == schema.lower()
        and rename.new.lower() == table.lower()
    )


def _is_column_rename_to(rename: Rename, schema: str, table: str, column: str) -> bool:
    return (
        rename.kind == "column"
        and rename.schema.lower() == schema.lower()
        and rename.table.lower() == table.lower()
        and rename.new.lower() == column.lower()
    )
