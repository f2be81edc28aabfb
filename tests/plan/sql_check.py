"""Every migration statement parses with sqlglot's Databricks dialect, or is a known command form."""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its "falling back to Command" warnings

# Databricks statements sqlglot keeps as a Command: the form is checked here instead.
IDENT = r"`(?:[^`]|``)*`"
PATH = rf"{IDENT}(?:\.{IDENT})*"
LIT = r"'(?:[^'\\]|\\.)*'"
KNOWN_COMMANDS = [
    rf"ALTER TABLE {PATH} ALTER COLUMN {IDENT} (SET|UNSET) TAGS \(.*\)",
    rf"ALTER (TABLE|SCHEMA|CATALOG) {PATH} (SET|UNSET) TAGS \(.*\)",
    rf"ALTER TABLE {PATH} ALTER COLUMN {IDENT} (SET MASK {PATH}|DROP MASK)",
    rf"ALTER TABLE {PATH} ALTER COLUMN {IDENT} (FIRST|AFTER {IDENT})",
    rf"ALTER (TABLE|SCHEMA|CATALOG) {PATH} OWNER TO {IDENT}",
    rf"ALTER TABLE {PATH} DROP PRIMARY KEY IF EXISTS CASCADE",
    rf"DROP CATALOG {IDENT} CASCADE",
    rf"SHOW SCHEMAS IN {IDENT}",
    rf"ALTER TABLE {PATH} CLUSTER BY (\({IDENT}(, {IDENT})*\)|AUTO|NONE)",
    rf"COMMENT ON (CATALOG|SCHEMA|TABLE|COLUMN) {PATH} IS ({LIT}|NULL)",
]


def assert_valid(statement: str) -> None:
    assert not statement.rstrip().endswith(";"), statement
    if re.fullmatch(KNOWN_COMMANDS[-1], statement) and statement.endswith(" IS NULL"):
        statement = statement[: -len("NULL")] + "''"  # sqlglot has no COMMENT ... IS NULL
    tree = sqlglot.parse_one(statement, read="databricks")
    if isinstance(tree, exp.Command):
        assert any(re.fullmatch(form, statement, re.S) for form in KNOWN_COMMANDS), statement
