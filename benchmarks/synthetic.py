"""Synthetic ERDs of N tables x M columns in DBML, Mermaid and PostgreSQL DDL (the same model)."""

from __future__ import annotations

TYPES = [
    ("bigint", "bigint"),
    ("varchar(255)", "varchar(255)"),
    ("decimal(12,2)", "numeric(12, 2)"),
    ("timestamptz", "timestamptz"),
    ("date", "date"),
    ("int", "integer"),
    ("boolean", "boolean"),
]


def _columns(index: int, columns: int) -> list[tuple[str, str, str]]:
    """(name, dbml/mermaid type, postgres type) for table `index`."""
    cols = [("id", "bigint", "bigint")]
    if index > 0:
        cols.append(("parent_id", "bigint", "bigint"))
    n = len(cols)
    while len(cols) < columns:
        dbml_type, pg_type = TYPES[n % len(TYPES)]
        cols.append((f"col_{n}", dbml_type, pg_type))
        n += 1
    return cols


def _schema(index: int) -> str:
    return f"s{index % 10}"


def dbml(tables: int, columns: int) -> str:
    parts = []
    for i in range(tables):
        lines = [f"Table {_schema(i)}.t{i} {{"]
        for name, kind, _ in _columns(i, columns):
            settings = []
            if name == "id":
                settings.append("pk")
            if name == "parent_id":
                settings.append(f"ref: > {_schema(i - 1)}.t{i - 1}.id")
            if name != "id":
                settings.append(f"note: 'Column {name} of table {i}'")
            suffix = f" [{', '.join(settings)}]" if settings else ""
            lines.append(f"  {name} {kind}{suffix}")
        lines.append(f"  Note: 'Table number {i}'")
        lines.append("}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def mermaid(tables: int, columns: int) -> str:
    lines = ["erDiagram"]
    for i in range(tables):
        lines.append(f"    %% Table number {i}")
        lines.append(f"    {_schema(i)}.t{i} {{")
        for name, kind, _ in _columns(i, columns):
            keys = " PK" if name == "id" else (" FK" if name == "parent_id" else "")
            comment = f' "Column {name} of table {i}"' if name != "id" else ""
            lines.append(f"        {kind} {name}{keys}{comment}")
        lines.append("    }")
    for i in range(1, tables):
        lines.append(f"    {_schema(i - 1)}.t{i - 1} ||--o{{ {_schema(i)}.t{i} : parent")
    return "\n".join(lines) + "\n"


def postgres(tables: int, columns: int) -> str:
    parts = [f"CREATE SCHEMA s{n};" for n in range(min(tables, 10))]
    for i in range(tables):
        cols = []
        for name, _, kind in _columns(i, columns):
            extra = " PRIMARY KEY" if name == "id" else ""
            if name == "parent_id":
                extra = f" REFERENCES {_schema(i - 1)}.t{i - 1} (id)"
            cols.append(f"    {name} {kind}{extra}")
        parts.append(f"CREATE TABLE {_schema(i)}.t{i} (\n" + ",\n".join(cols) + "\n);")
        parts.append(f"COMMENT ON TABLE {_schema(i)}.t{i} IS 'Table number {i}';")
        for name, _, _ in _columns(i, columns):
            if name != "id":
                parts.append(f"COMMENT ON COLUMN {_schema(i)}.t{i}.{name} IS 'Column {name} of table {i}';")
    return "\n".join(parts) + "\n"


GENERATORS = {"dbml": dbml, "mermaid": mermaid, "sql": postgres}
EXTENSIONS = {"dbml": "model.dbml", "mermaid": "model.mmd", "sql": "model.sql"}
