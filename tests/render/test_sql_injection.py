"""Hostile names and texts never add or alter a statement, and round-trip exactly.

The same model is rendered twice: once with benign markers (`zz007zz`) in every user-written place,
once with hostile strings there. Both must parse into the same statements, tokenize into the same
token kinds, and every identifier/string token must read back as exactly the text that was put in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot.tokens import TokenType

from accelerator.model import (
    Catalog,
    Column,
    Deployment,
    Environment,
    ForeignKey,
    Grant,
    Identity,
    Mask,
    PrimaryKey,
    Project,
    Schema,
    Table,
)
from accelerator.render import render_sql

HOSTILE = [
    "it's",
    "back`tick",
    "semi; DROP TABLE x; --",
    "-- line comment",
    "/* block */ */",
    "new\nline\r\n",
    "ünï©ødé 表 🚀",
    "back\\slash\\",
    "\\'; DROP SCHEMA s CASCADE; --",
    "``",
    "'",
    "${env:SECRET}",
    "tab\there",
]
MARKER = re.compile(r"zz(\d{3})zz")


def build(name: Callable[[], str]) -> Project:
    """Every user-written string of a governed model comes from `name()`, in a fixed order."""
    parent_key, child_key = name(), name()
    # tables are rendered sorted by name: the prefixes keep the parent first with any names
    parent = Table(
        name="p" + name(),
        comment=name(),
        owner=name(),
        tags={name(): name()},
        properties={name(): name()},
        cluster_by=[parent_key],
        columns=[
            Column(
                name=parent_key, type="BIGINT", nullable=False, identity=Identity(start=1), comment=name()
            ),
            Column(
                name=name(),
                type="STRING",
                comment=name(),
                tags={name(): name()},
                mask=Mask(function=name(), strategy="partial", exempt_groups=["a" + name(), "b" + name()]),
                allowed_values=[name(), name()],
            ),
        ],
        primary_key=PrimaryKey(name=name(), columns=[parent_key]),
        grants=[Grant(principal=name(), privileges=["SELECT", "MODIFY"])],
    )
    child = Table(
        name="q" + name(),
        columns=[Column(name=child_key, type="BIGINT", default="0")],
        foreign_keys=[
            ForeignKey(
                name=name(),
                columns=[child_key],
                ref_schema="",
                ref_table=parent.name,
                ref_columns=[parent_key],
            )
        ],
    )
    schema = Schema(
        name=name(), comment=name(), owner=name(), tags={name(): name()}, tables=[parent, child],
        grants=[Grant(principal=name(), privileges=["USE_SCHEMA"])],
    )  # fmt: skip
    child.foreign_keys[0].ref_schema = schema.name
    catalog = Catalog(
        name=name(), comment=name(), owner=name(), tags={name(): name()}, schemas=[schema],
        grants=[Grant(principal=name(), privileges=["USE_CATALOG"])],
    )  # fmt: skip
    return Project(
        name="p",
        catalogs=[catalog],
        environments=[Environment(name="dev")],
        deployment=Deployment(grants_in="sql", tables_in="sql", masks_schema=name()),
    )


def counter(make: Callable[[int], str]) -> Callable[[], str]:
    count = iter(range(1000))
    return lambda: make(next(count))


def hostile(index: int) -> str:
    return f"{HOSTILE[index % len(HOSTILE)]}{index}"  # unique, so every name stays distinct


def render_one(project: Project) -> str:
    files = render_sql(project, "dev")
    assert len(files) == 1
    return next(iter(files.values()))


def test_hostile_names_do_not_change_the_statements() -> None:
    benign_text = render_one(build(counter(lambda i: f"zz{i:03d}zz")))
    hostile_text = render_one(build(counter(hostile)))

    benign_statements = sqlglot.parse(benign_text, read="databricks")
    hostile_statements = sqlglot.parse(hostile_text, read="databricks")
    assert len(benign_statements) == len(hostile_statements) > 20
    assert [type(s).__name__ for s in hostile_statements] == [type(s).__name__ for s in benign_statements]

    benign_tokens = sqlglot.tokenize(benign_text, read="databricks")
    hostile_tokens = sqlglot.tokenize(hostile_text, read="databricks")
    assert [t.token_type for t in hostile_tokens] == [t.token_type for t in benign_tokens]
    checked = 0
    for benign, bad in zip(benign_tokens, hostile_tokens, strict=True):
        if benign.token_type in (TokenType.IDENTIFIER, TokenType.STRING):
            expected = MARKER.sub(lambda m: hostile(int(m.group(1))), benign.text)
            assert bad.text == expected
            checked += expected != benign.text
        else:
            assert bad.text == benign.text
    assert checked > 60  # every kind of user text was exercised


def test_the_hostile_markers_cover_every_user_string() -> None:
    """Guards the test above: each name was used, and no marker leaked into a non-quoted token."""
    used: list[int] = []
    text = render_one(build(counter(lambda i: used.append(i) or f"zz{i:03d}zz")))
    seen = {int(m.group(1)) for m in MARKER.finditer(text)}
    assert seen == set(used)
    for token in sqlglot.tokenize(text, read="databricks"):
        if MARKER.search(token.text):
            assert token.token_type in (TokenType.IDENTIFIER, TokenType.STRING)


def test_backslash_and_quote_follow_databricks_escaping() -> None:
    # Databricks treats a backslash as an escape in string literals; sqlglot reads it the same way.
    text = render_one(build(counter(lambda i: "a\\'b" if i == 3 else f"n{i}")))
    assert "COMMENT 'a\\\\\\'b'" in text  # a \\ \' b
    literal = sqlglot.parse_one("SELECT 'a\\\\\\'b'", read="databricks").expressions[0]
    assert literal.this == "a\\'b"
