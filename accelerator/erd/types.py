"""Source types -> Databricks SQL types, one documented table per source family.

A type string is parsed into a small tree (`name(args)[]`, `array<T>`, `map<K,V>`, `struct<a:T>`,
multi-word names such as `timestamp with time zone`), then its base name is looked up in the
family's table, which extends the common table and overrides only what differs (the way sqlglot's
dialects override their parent). An unknown type is a located `UnknownTypeError` listing the known
names.

| source                                   | Databricks                                  |
|------------------------------------------|---------------------------------------------|
| varchar, char, text, nvarchar, clob, ... | STRING                                      |
| tinyint / smallint / int / bigint        | TINYINT / SMALLINT / INT / BIGINT           |
| serial, smallserial, bigserial           | INT, SMALLINT, BIGINT + identity (*)        |
| numeric(p,s), decimal(p,s), number(p,s)  | DECIMAL(p,s) (bare: DECIMAL(38,18), keys (*)) |
| money / smallmoney                       | DECIMAL(19,4) / DECIMAL(10,4)               |
| real, float4 / double, float8, float     | FLOAT / DOUBLE                              |
| boolean, bool, bit                       | BOOLEAN                                     |
| date                                     | DATE                                        |
| timestamp with time zone, timestamptz    | TIMESTAMP                                   |
| timestamp without time zone, datetime    | TIMESTAMP_NTZ (postgres/mysql/tsql/snowflake `timestamp` too) |
| json, jsonb, xml, uuid, inet, time, interval | STRING                                  |
| bytea, binary, varbinary, blob           | BINARY                                      |
| T[], array<T>                            | ARRAY<T>                                    |
| map<K,V>, struct<a:T>                    | MAP<K,V>, STRUCT<a: T>                      |
| a user enum                              | STRING + allowed values (a CHECK constraint) |

Family differences: `postgres` (also DBML's `timestamp` is TIMESTAMP, as in Databricks), `mysql`
(`tinyint(1)` is BOOLEAN, `unsigned` widens, `timestamp` is TIMESTAMP), `tsql` (`tinyint` is
unsigned -> SMALLINT, `datetimeoffset`), `snowflake` (`number` -> DECIMAL(38,0), `variant`),
`duckdb` (postgres plus `hugeint`, unsigned `ubigint`..., 4-byte `float`, bare `decimal` is (18,3)),
`bigquery` (`int64` and every integer -> BIGINT, `float64`, `bytes`, `numeric` is (38,9)),
`oracle` (`date` has a time of day -> TIMESTAMP_NTZ, `long` is text, `number(*,s)`).
Spatial types (`geography`, `geometry`) become STRING (well-known text).

(*) After mapping, `accelerator.model.databricks_fit` fits each column to Databricks: every identity
column (`serial`, `INT IDENTITY`, `AUTO_INCREMENT`, DBML `[increment]`) is BIGINT, the only type
Delta identity columns take, with an `info` where the source was narrower. A bare `NUMBER` /
`numeric` / `decimal` is a decimal of any precision and scale (Oracle, PostgreSQL), which Databricks
does not have: DECIMAL(38,18) keeps 20 integer and 18 fractional digits for values, while a primary
or foreign key column, a whole number, becomes DECIMAL(38,0) (or the type of the key it references),
with an `info`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from accelerator.errors import UnknownTypeError
from accelerator.model.elements import Span

MAX_DECIMAL_PRECISION = 38


@dataclass(frozen=True)
class MappedType:
    type: str
    identity: bool = False  # serial types become identity columns
    allowed_values: list[str] | None = None


@dataclass
class TypeNode:
    name: str  # lower-case, single-spaced, e.g. "timestamp with time zone"
    args: list[str] = field(default_factory=list)  # "(10, 2)" -> ["10", "2"]
    children: list[TypeNode] = field(default_factory=list)  # array/map element types
    fields: list[tuple[str, TypeNode]] = field(default_factory=list)  # struct fields
    array_depth: int = 0  # trailing "[]" count
    unsigned: bool = False


class TypeSyntaxError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<word>[A-Za-z_][A-Za-z0-9_$.]*)|(?P<num>[+-]?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<punct>[()<>,:\[\]*]))"
)


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise TypeSyntaxError(f"unexpected character {text[pos]!r} in type {text!r}")
        tokens.append(match.group(match.lastgroup or "word"))
        pos = match.end()
    return tokens


class _TypeParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            want = repr(expected) if expected else "a type"
            raise TypeSyntaxError(f"expected {want} in type {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> TypeNode:
        node = self.type_()
        if self.peek() is not None:
            raise TypeSyntaxError(f"unexpected {self.peek()!r} in type {self.text!r}")
        return node

    def type_(self) -> TypeNode:
        first = self.take()
        if not re.match(r"[A-Za-z_]", first):
            raise TypeSyntaxError(f"expected a type name, got {first!r} in type {self.text!r}")
        words = [first.lower()]
        while (tok := self.peek()) is not None and re.match(r"[A-Za-z_]", tok) and tok.lower() != "unsigned":
            words.append(self.take().lower())
        node = TypeNode(name=" ".join(words))
        if self.peek() == "<":
            self.take("<")
            if node.name == "struct":
                while True:
                    field_name = self.take()
                    if self.peek() == ":":
                        self.take(":")
                    node.fields.append((field_name, self.type_()))
                    if self.peek() != ",":
                        break
                    self.take(",")
            else:
                node.children.append(self.type_())
                while self.peek() == ",":
                    self.take(",")
                    node.children.append(self.type_())
            self.take(">")
        if self.peek() == "(":
            self.take("(")
            while self.peek() != ")":
                node.args.append(self.take())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            # `timestamp(3) with time zone`, `character varying(20)` after the args
            while (
                (tok := self.peek()) is not None and re.match(r"[A-Za-z_]", tok) and tok.lower() != "unsigned"
            ):
                node.name += " " + self.take().lower()
        if (tok := self.peek()) is not None and tok.lower() == "unsigned":
            self.take()
            node.unsigned = True
        while self.peek() == "[":
            self.take("[")
            if self.peek() not in ("]", None):
                self.take()  # int[3]: the size is not kept
            self.take("]")
            node.array_depth += 1
        return node


def parse_type(text: str) -> TypeNode:
    return _TypeParser(text).parse()


Mapper = Callable[[TypeNode], MappedType]


def _fixed(name: str, identity: bool = False) -> Mapper:
    return lambda node: MappedType(name, identity=identity)


def _decimal(default_precision: int, default_scale: int) -> Mapper:
    def mapper(node: TypeNode) -> MappedType:
        args = node.args
        # Oracle's NUMBER(*, s) means the largest precision
        precision = (
            int(args[0])
            if args and args[0] != "*"
            else (MAX_DECIMAL_PRECISION if args else default_precision)
        )
        scale = int(args[1]) if len(args) > 1 else (0 if args else default_scale)
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
            raise TypeSyntaxError(
                f"DECIMAL({precision},{scale}) is out of range: precision 1..38, scale 0..precision"
            )
        return MappedType(f"DECIMAL({precision},{scale})")

    return mapper


def _float(node: TypeNode) -> MappedType:
    if node.args and node.args[0].isdigit() and int(node.args[0]) <= 24:
        return MappedType("FLOAT")
    return MappedType("DOUBLE")


def _bit(node: TypeNode) -> MappedType:
    return MappedType("BOOLEAN" if not node.args or node.args[0] == "1" else "BINARY")


def _integer(name: str, wider: str) -> Mapper:
    return lambda node: MappedType(wider if node.unsigned else name)


_STRING_NAMES = [
    *[
        "varchar",
        "char",
        "character",
        "nchar",
        "nvarchar",
        "text",
        "tinytext",
        "mediumtext",
        "longtext",
        "ntext",
        "string",
        "clob",
        "nclob",
    ],
    *[
        "citext",
        "name",
        "varchar2",
        "nvarchar2",
        "json",
        "jsonb",
        "xml",
        "uuid",
        "uniqueidentifier",
        "inet",
        "cidr",
        "macaddr",
    ],
    *["macaddr8", "time", "timetz", "interval", "tsvector", "sysname", "hierarchyid"],
    *["bpchar", "varbit", "bit varying", "sql_variant", "rowid", "urowid", "xmltype"],
    *["geography", "geometry"],  # as WKT text: Unity Catalog has no portable spatial type
    "interval year to month",
    "interval day to second",
    "character varying",
    "national character varying",
    "national char varying",
    "time with time zone",
    "time without time zone",
]

COMMON_TYPES: dict[str, Mapper] = {
    **{name: _fixed("STRING") for name in _STRING_NAMES},
    "tinyint": _integer("TINYINT", "SMALLINT"),
    "byte": _fixed("TINYINT"),
    "smallint": _integer("SMALLINT", "INT"),
    "int2": _fixed("SMALLINT"),
    "short": _fixed("SMALLINT"),
    "mediumint": _integer("INT", "INT"),
    "int": _integer("INT", "BIGINT"),
    "integer": _integer("INT", "BIGINT"),
    "int4": _fixed("INT"),
    "bigint": lambda node: MappedType("DECIMAL(20,0)" if node.unsigned else "BIGINT"),
    "int8": _fixed("BIGINT"),
    "long": _fixed("BIGINT"),
    "serial": _fixed("INT", identity=True),
    "serial4": _fixed("INT", identity=True),
    "smallserial": _fixed("SMALLINT", identity=True),
    "serial2": _fixed("SMALLINT", identity=True),
    "bigserial": _fixed("BIGINT", identity=True),
    "serial8": _fixed("BIGINT", identity=True),
    "numeric": _decimal(38, 18),
    "decimal": _decimal(38, 18),
    "dec": _decimal(38, 18),
    "number": _decimal(38, 18),
    "money": _fixed("DECIMAL(19,4)"),
    "smallmoney": _fixed("DECIMAL(10,4)"),
    "real": _fixed("FLOAT"),
    "float4": _fixed("FLOAT"),
    "float": _float,
    "float8": _fixed("DOUBLE"),
    "double": _fixed("DOUBLE"),
    "double precision": _fixed("DOUBLE"),
    "boolean": _fixed("BOOLEAN"),
    "bool": _fixed("BOOLEAN"),
    "bit": _bit,
    "date": _fixed("DATE"),
    "timestamp": _fixed("TIMESTAMP"),
    "timestamptz": _fixed("TIMESTAMP"),
    "timestamp with time zone": _fixed("TIMESTAMP"),
    "timestamp with local time zone": _fixed("TIMESTAMP"),
    "timestamp_ltz": _fixed("TIMESTAMP"),
    "timestamp_tz": _fixed("TIMESTAMP"),
    "datetimeoffset": _fixed("TIMESTAMP"),
    "timestamp without time zone": _fixed("TIMESTAMP_NTZ"),
    "timestamp_ntz": _fixed("TIMESTAMP_NTZ"),
    "datetime": _fixed("TIMESTAMP_NTZ"),
    "datetime2": _fixed("TIMESTAMP_NTZ"),
    "smalldatetime": _fixed("TIMESTAMP_NTZ"),
    "year": _fixed("INT"),
    "bytea": _fixed("BINARY"),
    "binary": _fixed("BINARY"),
    "varbinary": _fixed("BINARY"),
    "blob": _fixed("BINARY"),
    "tinyblob": _fixed("BINARY"),
    "mediumblob": _fixed("BINARY"),
    "longblob": _fixed("BINARY"),
    "image": _fixed("BINARY"),
    "raw": _fixed("BINARY"),
    "variant": _fixed("VARIANT"),
}

_POSTGRES: dict[str, Mapper] = {"timestamp": _fixed("TIMESTAMP_NTZ"), "float": _fixed("DOUBLE")}

# Each family overrides only what differs from the common table.
FAMILY_OVERRIDES: dict[str, dict[str, Mapper]] = {
    "generic": {},
    "dbml": {},
    "databricks": {
        "number": _decimal(10, 0),
        "decimal": _decimal(10, 0),
        "float": _fixed("FLOAT"),  # 4-byte in Databricks SQL, not DOUBLE
    },
    "postgres": _POSTGRES,
    # DuckDB reads like PostgreSQL, plus unsigned and 128-bit integers; its FLOAT is 4 bytes
    "duckdb": {
        **_POSTGRES,
        "float": _fixed("FLOAT"),
        "decimal": _decimal(18, 3),
        "numeric": _decimal(18, 3),
        "hugeint": _fixed("DECIMAL(38,0)"),
        "uhugeint": _fixed("DECIMAL(38,0)"),
        "int128": _fixed("DECIMAL(38,0)"),
        "ubigint": _fixed("DECIMAL(20,0)"),
        "uinteger": _fixed("BIGINT"),
        "usmallint": _fixed("INT"),
        "utinyint": _fixed("SMALLINT"),
        "int1": _fixed("TINYINT"),
        "bit": _fixed("STRING"),  # a bit string, not a flag
        "bitstring": _fixed("STRING"),
        "timestamp_s": _fixed("TIMESTAMP_NTZ"),
        "timestamp_ms": _fixed("TIMESTAMP_NTZ"),
        "timestamp_ns": _fixed("TIMESTAMP_NTZ"),
    },
    # every BigQuery integer is INT64; NUMERIC is (38, 9)
    "bigquery": {
        **{
            name: _fixed("BIGINT")
            for name in ("int64", "int", "integer", "smallint", "bigint", "tinyint", "byteint")
        },
        "float64": _fixed("DOUBLE"),
        "numeric": _decimal(38, 9),
        "decimal": _decimal(38, 9),
        "bignumeric": _decimal(38, 9),
        "bigdecimal": _decimal(38, 9),
        "bytes": _fixed("BINARY"),
    },
    # Oracle's DATE carries a time of day; LONG is long text
    "oracle": {
        "date": _fixed("TIMESTAMP_NTZ"),
        "timestamp": _fixed("TIMESTAMP_NTZ"),
        "long": _fixed("STRING"),
        "long raw": _fixed("BINARY"),
        "binary_float": _fixed("FLOAT"),
        "binary_double": _fixed("DOUBLE"),
        "float": _fixed("DOUBLE"),
    },
    # every SQLite INTEGER is a 64-bit integer (the rowid of `INTEGER PRIMARY KEY`), and every type
    # of REAL affinity (REAL, FLOAT, DOUBLE, ...: datatype3.html, 3.1) an 8-byte IEEE float
    "sqlite": {
        "integer": _fixed("BIGINT"),
        **{
            name: _fixed("DOUBLE")
            for name in ("real", "float", "float4", "float8", "double", "double precision")
        },
    },
    "mysql": {
        "tinyint": lambda node: MappedType(
            "BOOLEAN" if node.args == ["1"] else ("SMALLINT" if node.unsigned else "TINYINT")
        ),
        "timestamp": _fixed("TIMESTAMP"),
        "decimal": _decimal(10, 0),
        "numeric": _decimal(10, 0),
    },
    "tsql": {
        "tinyint": _fixed("SMALLINT"),  # 0..255 in SQL Server
        "timestamp": _fixed("BINARY"),  # rowversion, not a point in time
        "rowversion": _fixed("BINARY"),
        "decimal": _decimal(18, 0),
        "numeric": _decimal(18, 0),
        "float": _fixed("DOUBLE"),
    },
    "snowflake": {
        "number": _decimal(38, 0),
        "decimal": _decimal(38, 0),
        "numeric": _decimal(38, 0),
        "timestamp": _fixed("TIMESTAMP_NTZ"),
        "float": _fixed("DOUBLE"),
        "byteint": _fixed("TINYINT"),
        "object": _fixed("VARIANT"),
        "array": _fixed("ARRAY<STRING>"),  # bare ARRAY is untyped in Snowflake
    },
}
FAMILY_ALIASES = {
    "postgresql": "postgres",
    "redshift": "postgres",
    "fabric": "tsql",
    "materialize": "postgres",
    "risingwave": "postgres",
    "mariadb": "mysql",
    "spark": "databricks",
    "spark2": "databricks",
    "mermaid": "generic",
}


def family_of(dialect: str) -> str:
    name = FAMILY_ALIASES.get(dialect.lower(), dialect.lower())
    return name if name in FAMILY_OVERRIDES else "generic"


def known_types(family: str = "generic") -> list[str]:
    table = {**COMMON_TYPES, **FAMILY_OVERRIDES[family_of(family)]}
    return sorted({*table, "array", "map", "struct"})


def _map_node(node: TypeNode, family: str) -> MappedType:
    table = {**COMMON_TYPES, **FAMILY_OVERRIDES[family]}
    if node.name == "array" and node.children:
        inner = _map_node(node.children[0], family).type
        mapped = MappedType(f"ARRAY<{inner}>")
    elif node.name == "map" and len(node.children) == 2:
        key, value = (_map_node(child, family).type for child in node.children)
        mapped = MappedType(f"MAP<{key}, {value}>")
    elif node.name == "struct" and node.fields:
        inner = ", ".join(f"{name}: {_map_node(child, family).type}" for name, child in node.fields)
        mapped = MappedType(f"STRUCT<{inner}>")
    elif node.name in ("enum", "set") and node.args:  # MySQL inline ENUM('a','b')
        values = [arg[1:-1].replace("''", "'") for arg in node.args if arg.startswith("'")]
        mapped = MappedType("STRING", allowed_values=values if node.name == "enum" else None)
    elif node.name in table:
        mapped = table[node.name](node)
    else:
        raise KeyError(node.name)
    for _ in range(node.array_depth):
        mapped = MappedType(f"ARRAY<{mapped.type}>")
    return mapped


def map_type(
    raw: str,
    *,
    family: str = "generic",
    enums: dict[str, list[str]] | None = None,
    span: Span | None = None,
    source: str | None = None,
) -> MappedType:
    """Map a source type to Databricks SQL; raise `UnknownTypeError` located at `span`."""
    family = family_of(family)
    try:
        node = parse_type(raw)
        if enums:
            enum_values = _enum_lookup(node, enums)
            if enum_values is not None:
                mapped = MappedType("STRING", allowed_values=list(enum_values))
                for _ in range(node.array_depth):
                    mapped = MappedType(f"ARRAY<{mapped.type}>")
                return mapped
        return _map_node(node, family)
    except KeyError as unknown:
        message = f"unknown type {raw.strip()!r} ({unknown.args[0]!r} is not a {family} type)"
        hint = "use one of: " + ", ".join(known_types(family))
        if enums:
            hint += "; or declare an enum named " + repr(unknown.args[0])
    except TypeSyntaxError as bad:
        message, hint = str(bad), "write a type such as varchar(255), decimal(10,2) or array<string>"
    loc = span or Span(file="<input>", line=1, column=1, end_line=1, end_column=1)
    raise UnknownTypeError(message, file=loc.file, line=loc.line, column=loc.column, hint=hint, source=source)


def _enum_lookup(node: TypeNode, enums: dict[str, list[str]]) -> list[str] | None:
    if node.args or node.children or node.fields:
        return None
    lowered = {name.lower(): values for name, values in enums.items()}
    name = node.name.replace(" ", "")
    if name in lowered:
        return lowered[name]
    short = name.rsplit(".", 1)[-1]
    return lowered.get(short)
