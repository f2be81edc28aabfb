"""The values an edit holds, validated and normalized whoever produced them (a comment or an LLM).

Privileges become UPPER_SNAKE (`use schema` -> `USE_SCHEMA`), types Databricks SQL types
(`varchar(20)` -> `STRING`), classifications lower case; names are checked against Unity Catalog's
rules. Each annotated type carries the description an LLM reads in the tool schema.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from accelerator.erd.types import map_type
from accelerator.errors import UnknownTypeError

SecurableKind = Literal["catalog", "schema", "table"]

# Unity Catalog privileges that can be granted on each kind of securable we model.
PRIVILEGES_BY_SECURABLE: dict[str, tuple[str, ...]] = {
    "catalog": (
        *("ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW"),
        *("CREATE_MODEL", "CREATE_SCHEMA", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE"),
        *("EXTERNAL_USE_SCHEMA", "MANAGE", "MODIFY", "READ_VOLUME", "REFRESH", "SELECT"),
        *("USE_CATALOG", "USE_SCHEMA", "WRITE_VOLUME"),
    ),
    "schema": (
        *("ALL_PRIVILEGES", "APPLY_TAG", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL"),
        *("CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "EXTERNAL_USE_SCHEMA", "MANAGE", "MODIFY"),
        *("READ_VOLUME", "REFRESH", "SELECT", "USE_SCHEMA", "WRITE_VOLUME"),
    ),
    "table": ("ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"),
}
KNOWN_PRIVILEGES: tuple[str, ...] = PRIVILEGES_BY_SECURABLE["catalog"]

_FORBIDDEN_IN_NAME = re.compile(r"[./\x00-\x1f\x7f]")
_CLASSIFICATION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


# Characters that show nothing or reorder what follows (Trojan Source): Unicode categories Cc
# (control), Cf (format: bidi overrides and isolates, zero-width, BOM), Zl and Zp (separators).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def invisible_character(text: str, *, allow: str = "") -> tuple[int, str] | None:
    """The offset and description (`U+202E RIGHT-TO-LEFT OVERRIDE`) of the first control or invisible
    character of `text` that is not in `allow`, or None."""
    for offset, char in enumerate(text):
        if char not in allow and unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            name = unicodedata.name(char, "")
            return offset, f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X} (a control character)"
    return None


def shown(text: str) -> str:
    """`text` for a message, its control and invisible characters written as escapes (`\\u202e`)."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES
        else char
        for char in text
    )


def replace_invisible(text: str, *, allow: str = "") -> str:
    """`text` with each control or invisible character (not in `allow`) shown as U+FFFD, one for one,
    so that columns stay right and a quoted snippet cannot reorder the reply around it."""
    return "".join(
        "\ufffd" if char not in allow and unicodedata.category(char) in _INVISIBLE_CATEGORIES else char
        for char in text
    )


def visible(value: str, what: str = "name") -> str:
    """`value` unchanged; raise ValueError if it holds a control or invisible character."""
    found = invisible_character(value)
    if found is not None:
        raise ValueError(
            f"`{shown(value)}` is not a valid {what}: it contains {found[1]}, an invisible or control "
            "character (it can make a name look like another); retype it"
        )
    return value


def normalize_privilege(text: str) -> str:
    """`use schema`, `use_schema`, `Use-Schema` -> `USE_SCHEMA`; raise ValueError if unknown."""
    privilege = re.sub(r"[\s\-_]+", "_", text.strip()).upper()
    if privilege not in KNOWN_PRIVILEGES:
        close = difflib.get_close_matches(privilege, KNOWN_PRIVILEGES, n=1)
        guess = f"did you mean {close[0]}? " if close else ""
        raise ValueError(f"unknown privilege {text.strip()!r}; {guess}known: {', '.join(KNOWN_PRIVILEGES)}")
    return privilege


def normalize_type(text: str) -> str:
    """A source or Databricks type -> the Databricks type; raise ValueError if unknown.

    The databricks family is a fixed point on Databricks types, so a normalized type stays as is.
    """
    try:
        mapped = map_type(text, family="databricks")
    except UnknownTypeError as error:
        raise ValueError(f"{error.message} ({error.hint})" if error.hint else error.message) from None
    if mapped.identity:
        raise ValueError(f"{text.strip()!r} makes an identity column; use int or bigint instead")
    return mapped.type


def identifier(value: str) -> str:
    value = visible(value.strip())
    if not value or len(value) > 255 or _FORBIDDEN_IN_NAME.search(value):
        raise ValueError(
            f"{value!r} is not a valid name: 1-255 characters, no '.', '/' or control characters"
        )
    return value


def _qualified(max_parts: int) -> AfterValidator:
    def check(value: str) -> str:
        parts = value.strip().split(".")
        if len(parts) > max_parts:
            raise ValueError(f"{value!r} has more than {max_parts} dot-separated parts")
        return ".".join(identifier(part) for part in parts)

    return AfterValidator(check)


def classification(value: str) -> str:
    value = value.strip().lower()
    if not _CLASSIFICATION.match(value):
        raise ValueError(f"{value!r} is not a classification such as 'pii' or 'pii.email'")
    return value


TableName = Annotated[
    str,
    _qualified(3),
    Field(description="The table: `table`, `schema.table` or `catalog.schema.table`."),
]
ColumnName = Annotated[str, AfterValidator(identifier), Field(description="The column name.")]
NewName = Annotated[
    str, AfterValidator(identifier), Field(description="The new name: one identifier, unqualified.")
]
DatabricksType = Annotated[
    str,
    AfterValidator(normalize_type),
    Field(
        description="The column type: a Databricks SQL type such as STRING, BIGINT, DECIMAL(10,2), "
        "TIMESTAMP or ARRAY<STRING>; source types such as varchar(20) are mapped to one."
    ),
]
SecurableName = Annotated[
    str,
    _qualified(3),
    Field(description="The securable: `catalog`; `schema` or `catalog.schema`; a table name."),
]
Principal = Annotated[
    str,
    AfterValidator(str.strip),
    AfterValidator(lambda value: visible(value, "principal")),
    Field(min_length=1, description="A group, user (e-mail) or service principal, e.g. `analysts`."),
]
Environment = Annotated[
    str | None,
    Field(description="Only in this environment (e.g. `prod`); null means every environment."),
]
ClassificationName = Annotated[
    str,
    AfterValidator(classification),
    Field(description="Dotted lower-case class, e.g. `pii`, `pii.email`, `confidential`."),
]
NewColumnName = Annotated[str, AfterValidator(identifier), Field(description="The new column's name.")]
Privileges = Annotated[
    list[Annotated[str, AfterValidator(normalize_privilege)]],
    AfterValidator(lambda privileges: list(dict.fromkeys(privileges))),
    Field(
        min_length=1,
        description="Unity Catalog privileges, e.g. SELECT, MODIFY, USE_SCHEMA, ALL_PRIVILEGES.",
    ),
]
