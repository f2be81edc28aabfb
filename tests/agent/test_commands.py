"""PR comment -> typed commands: every form, spelling variants, several per comment, and errors."""

from __future__ import annotations

import pytest

from accelerator.edit import ParsedCommand, parse_commands
from accelerator.edit.column_edits import ChangeType, SetComment, SetNotNull
from accelerator.edit.conversation_commands import Explain, Help, Status, Undo
from accelerator.edit.governance_edits import Classify, SetTag
from accelerator.edit.grant_edits import Grant, Revoke, SetOwner
from accelerator.edit.help import COMMAND_FORMS, HELP_TEXT, LISTED_FORMS, code_span
from accelerator.edit.table_edits import AddColumn, DropColumn, RenameColumn, RenameTable

FORMS: list[tuple[str, ParsedCommand]] = [
    ("rename table crm.clients to customers", RenameTable(table="crm.clients", new_name="customers")),
    ("rename table clients to customers", RenameTable(table="clients", new_name="customers")),
    (
        "rename column crm.customers.email_addr to email",
        RenameColumn(table="crm.customers", column="email_addr", new_name="email"),
    ),
    (
        "rename customers.email_addr to email",
        RenameColumn(table="customers", column="email_addr", new_name="email"),
    ),
    ("add column sales.orders.note string", AddColumn(table="sales.orders", column="note", type="STRING")),
    (
        "add column orders.channel varchar(20) not null default 'web' comment \"Sales channel\"",
        AddColumn(
            table="orders",
            column="channel",
            type="STRING",
            not_null=True,
            default="'web'",
            comment="Sales channel",
            source_type="varchar(20)",  # kept for the ERD to write as typed
        ),
    ),
    (
        'add column orders.amount decimal(10,2) default 0 comment "EUR" not null',
        AddColumn(
            table="orders", column="amount", type="DECIMAL(10,2)", not_null=True, default="0", comment="EUR"
        ),
    ),
    (
        "add column orders.seen_at timestamp with time zone default current_timestamp()",
        AddColumn(
            table="orders",
            column="seen_at",
            type="TIMESTAMP",
            default="current_timestamp()",
            source_type="timestamp with time zone",
        ),
    ),
    (
        'add column orders.source string default "it\'s"',
        AddColumn(table="orders", column="source", type="STRING", default="'it\\'s'"),
    ),
    ("add column orders.tags array<string>", AddColumn(table="orders", column="tags", type="ARRAY<STRING>")),
    (
        "add column orders.attrs map<string, array<int>>",
        AddColumn(table="orders", column="attrs", type="MAP<STRING, ARRAY<INT>>"),
    ),
    (
        "add column orders.ratio real",
        AddColumn(table="orders", column="ratio", type="FLOAT", source_type="real"),
    ),
    ("drop column sales.orders.ip_address", DropColumn(table="sales.orders", column="ip_address")),
    (
        "change type of sales.orders.total_amount to decimal(14,2)",
        ChangeType(table="sales.orders", column="total_amount", type="DECIMAL(14,2)"),
    ),
    (
        "change type of orders.point to struct<x:double, y: double>",
        ChangeType(table="orders", column="point", type="STRUCT<x: DOUBLE, y: DOUBLE>"),
    ),
    ("set not null on orders.status", SetNotNull(table="orders", column="status", not_null=True)),
    ("drop not null on orders.status", SetNotNull(table="orders", column="status", not_null=False)),
    ('comment on crm.customers "People"', SetComment(table="crm.customers", comment="People")),
    ('comment on table customers "People"', SetComment(table="customers", comment="People", table_only=True)),
    (
        'comment on column customers.email "Login; contact"',
        SetComment(table="customers", column="email", comment="Login; contact"),
    ),
    ("comment on customers ''", SetComment(table="customers", comment="")),
    (
        'comment on retail.crm.customers.phone "x"',
        SetComment(table="retail.crm.customers", column="phone", comment="x"),
    ),
    ('comment on orders "say \\"hi\\""', SetComment(table="orders", comment='say "hi"')),
    ("tag sales.orders domain=sales", SetTag(table="sales.orders", key="domain", value="sales")),
    (
        'tag column orders.status kind="enum value"',
        SetTag(table="orders", column="status", key="kind", value="enum value"),
    ),
    ("tag orders retention=30d", SetTag(table="orders", key="retention", value="30d")),
    (
        "classify crm.customers.phone as pii.phone",
        Classify(table="crm.customers", column="phone", classification="pii.phone"),
    ),
    ("classify customers.phone as PII", Classify(table="customers", column="phone", classification="pii")),
    (
        "grant select on schema sales to analysts",
        Grant(privileges=["SELECT"], securable_kind="schema", securable="sales", principal="analysts"),
    ),
    (
        "grant SELECT, USE SCHEMA, use_schema on schema retail.sales to `data engineers` in prod",
        Grant(
            privileges=["SELECT", "USE_SCHEMA"],
            securable_kind="schema",
            securable="retail.sales",
            principal="data engineers",
            environment="prod",
        ),
    ),
    (
        "grant all privileges on catalog retail to 'platform admins'",
        Grant(
            privileges=["ALL_PRIVILEGES"],
            securable_kind="catalog",
            securable="retail",
            principal="platform admins",
        ),
    ),
    (
        'grant modify on table sales.orders to "etl@example.com" in dev',
        Grant(
            privileges=["MODIFY"],
            securable_kind="table",
            securable="sales.orders",
            principal="etl@example.com",
            environment="dev",
        ),
    ),
    (
        "revoke select on table crm.customers from analysts",
        Revoke(
            privileges=["SELECT"], securable_kind="table", securable="crm.customers", principal="analysts"
        ),
    ),
    (
        "revoke use schema, select on schema sales from alice@example.com in prod",
        Revoke(
            privileges=["USE_SCHEMA", "SELECT"],
            securable_kind="schema",
            securable="sales",
            principal="alice@example.com",
            environment="prod",
        ),
    ),
    (
        "set owner of schema crm to `data engineers`",
        SetOwner(securable_kind="schema", securable="crm", principal="data engineers"),
    ),
    ("set owner of sales.orders to analysts", SetOwner(securable="sales.orders", principal="analysts")),
    (
        "set owner of catalog retail to admins",
        SetOwner(securable_kind="catalog", securable="retail", principal="admins"),
    ),
    ("undo", Undo()),
    ("explain", Explain()),
    ("explain crm.customers.email", Explain(target="crm.customers.email")),
    ("status", Status()),
    ("help", Help()),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[text for text, _ in FORMS])
def test_every_form_parses_to_its_op(text: str, expected: ParsedCommand) -> None:
    parsed = parse_commands(text)
    assert parsed.errors == []
    assert parsed.commands == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RENAME TABLE Clients TO Customers", RenameTable(table="Clients", new_name="Customers")),
        ("Drop Not Null On orders.status", SetNotNull(table="orders", column="status", not_null=False)),
        (
            "GRANT Select ON SCHEMA sales TO analysts IN prod",
            Grant(
                privileges=["SELECT"],
                securable_kind="schema",
                securable="sales",
                principal="analysts",
                environment="prod",
            ),
        ),
        ("UNDO", Undo()),
        ("Status", Status()),
    ],
)
def test_keywords_are_case_insensitive_and_names_keep_their_case(text: str, expected: ParsedCommand) -> None:
    assert parse_commands(text).commands == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a Markdown code span around the whole dotted name, as reviewers write it
        (
            "rename `customers.email_addr` to `email`",
            RenameColumn(table="customers", column="email_addr", new_name="email"),
        ),
        (
            "rename `crm`.`customers`.`email` to `e-mail`",
            RenameColumn(table="crm.customers", column="email", new_name="e-mail"),
        ),
        ("drop column `my table`.`select`", DropColumn(table="my table", column="select")),
        ("drop column orders.`a``b`", DropColumn(table="orders", column="a`b")),
        # keywords are names where the grammar expects a name
        (
            "rename column orders.status to comment",
            RenameColumn(table="orders", column="status", new_name="comment"),
        ),
        ("set not null on t.to", SetNotNull(table="t", column="to", not_null=True)),
        ("explain status", Explain(target="status")),
        # a principal that starts like a keyword
        (
            "grant select on table online.x to inventory in prod",
            Grant(
                privileges=["SELECT"],
                securable_kind="table",
                securable="online.x",
                principal="inventory",
                environment="prod",
            ),
        ),
    ],
)
def test_backquoted_names_and_keywords_used_as_names(text: str, expected: ParsedCommand) -> None:
    parsed = parse_commands(text)
    assert parsed.errors == []
    assert parsed.commands == [expected]


def test_several_commands_in_one_comment_keep_their_order() -> None:
    text = (
        "@accelerator rename customers.email_addr to email; classify customers.email as pii.email\n"
        "\n"
        "grant select on schema sales to analysts ;  undo\n"
        "status"
    )
    parsed = parse_commands(text)
    assert parsed.ok
    assert [command.op for command in parsed.commands] == [
        "rename_column",
        "classify",
        "grant",
        "undo",
        "status",
    ]


def test_semicolons_inside_quotes_do_not_split() -> None:
    parsed = parse_commands("comment on orders 'a; b'; tag orders k=\"x;y\"")
    assert parsed.commands == [
        SetComment(table="orders", comment="a; b"),
        SetTag(table="orders", key="k", value="x;y"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "@accelerator undo",
        "/accelerator undo",
        "@Accelerator: undo",
        "@accelerator[bot] undo",
        "@accelerator, undo",
        "- undo",
        "1. undo",
        "@accelerator\n- undo",
        "undo.",
        "   undo   ",
    ],
)
def test_mentions_bullets_and_trailing_periods_are_stripped(text: str) -> None:
    parsed = parse_commands(text)
    assert parsed.errors == []
    assert parsed.commands == [Undo()]


def test_other_bot_names_can_be_stripped() -> None:
    assert parse_commands("@uc-bot status", bot_names=["uc-bot"]).commands == [Status()]
    # a mention of someone else is not a command
    assert not parse_commands("@alice status").ok


def test_quoted_lines_and_fenced_code_are_ignored() -> None:
    text = "\n".join(
        [
            "> rename table a to b",
            "> > drop column x.y",
            "```sql",
            "drop column orders.status",
            "```",
            "~~~~",
            "```",
            "undo",
            "~~~~",
            "status",
        ]
    )
    parsed = parse_commands(text)
    assert parsed.errors == []
    assert parsed.commands == [Status()]


def test_an_empty_comment_has_no_commands_and_no_errors() -> None:
    parsed = parse_commands("\n  \n@accelerator\n> quoted only\n")
    assert parsed.commands == [] and parsed.errors == [] and parsed.ok


# -- errors ---------------------------------------------------------------------------------------


def test_a_bad_line_is_reported_with_position_expected_and_closest_form() -> None:
    text = "undo\n  rename column customers.email email\nstatus"
    parsed = parse_commands(text)
    assert parsed.commands == [Undo(), Status()]  # the good lines are still understood
    assert not parsed.ok
    (error,) = parsed.errors
    assert (error.line, error.column) == (2, 33)
    assert error.expected == ["`to`"]
    assert error.suggestions == ["rename column T.c to NAME"]
    assert error.hint == "did you mean `rename column T.c to NAME`?"
    formatted = error.format()
    assert "comment:2:33: error: expected `to`, but found `email`" in formatted
    assert "rename column customers.email email" in formatted  # the offending line is shown


@pytest.mark.parametrize(
    ("text", "column", "suggestion"),
    [
        ("set owner sales to x", 11, "set owner of [catalog|schema|table] X to PRINCIPAL"),
        ("renam tabel a b", 1, "rename table T to NAME"),  # the keywords are near, the rest is wrong
        ("rename column customers.email email", 31, "rename column T.c to NAME"),
    ],
)
def test_misspelled_commands_suggest_the_closest_form(text: str, column: int, suggestion: str) -> None:
    (error,) = parse_commands(text).errors
    assert error.column == column
    assert error.suggestions[0] == suggestion


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("renam tabel a to b", "rename table a → b"),
        ("grnt select on schema sales to x", "grant SELECT on schema sales to `x` in every environment"),
        ("stats", "show the status"),
        ("drop not nul on orders.status", "drop NOT NULL on orders.status"),
        ("dorp colum sales.orders.x", "drop column sales.orders.x"),
    ],
)
def test_near_misses_of_keywords_are_read_as_the_keywords(text: str, meant: str) -> None:
    """A typo in a command's leading keywords is corrected when every keyword is near and the
    corrected statement parses; the reply describes what was understood."""
    parsed = parse_commands(text)
    assert parsed.ok and [command.describe() for command in parsed.commands] == [meant]


def test_an_unknown_word_with_no_close_form_points_to_help() -> None:
    (error,) = parse_commands("please do the thing").errors
    assert error.message == "`do` is not a command"  # `please` is chatter, left out
    assert error.column == len("please ") + 1
    assert error.suggestions == []
    assert error.hint == "write `help` for the list of commands"
    assert "`rename`" in error.expected and "`grant`" in error.expected


def test_an_incomplete_command_points_at_its_end() -> None:
    (error,) = parse_commands("x; add column orders.note").errors[1:]
    assert error.column == len("x; add column orders.note") + 1
    assert "but the command ends" in error.message
    assert error.suggestions == ['add column T.c TYPE [not null] [default V] [comment "..."]']


def test_the_position_counts_the_stripped_mention_and_earlier_statements() -> None:
    (error,) = parse_commands("@accelerator undo; grant select on sales to x").errors
    assert (error.line, error.column) == (1, 36)  # at `sales`: the securable kind is missing
    assert error.expected == ["`catalog`", "`schema`", "`table`"]


def test_an_unexpected_character_is_located() -> None:
    (error,) = parse_commands("rename table a! to b").errors
    assert error.column == 15
    assert "found `!`" in error.message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("add column orders.x foo(3)", 21, "unknown type 'foo(3)'"),
        ("add column orders.x serial", 21, "makes an identity column"),
        ("change type of orders.x to decimal(50,2)", 28, "out of range"),
        ("drop column orders", 13, "expected a column as TABLE.COLUMN"),
        ("rename column a.b.c.d.e to x", 15, "expected a column as TABLE.COLUMN"),
        ("rename table a.b.c.d to x", 14, "too many parts for a table"),
        ("grant select on catalog a.b to x", 25, "too many parts for a catalog"),
        ("grant selct on schema sales to x", 7, "unknown privilege 'selct'"),
        ("grant select, use catalog on table orders to x", 7, "USE_CATALOG cannot be granted on a table"),
        ("classify orders.x as 'pii'", 22, None),
        ("classify orders.x as pii-email", 25, None),
    ],
)
def test_invalid_values_are_located_errors(text: str, column: int, message: str | None) -> None:
    (error,) = parse_commands(text).errors
    assert error.column == column
    if message is not None:
        assert message in error.message
    assert error.hint


def test_unknown_type_suggests_a_close_type() -> None:
    (error,) = parse_commands("add column orders.x strng").errors
    assert error.hint is not None and error.hint.startswith("did you mean `string`?")
    assert len(error.hint) < 250  # short enough for a PR reply


def test_invalid_new_name_is_reported() -> None:
    (error,) = parse_commands("rename table orders to `a/b`").errors
    assert "not a valid name" in error.message
    assert error.hint == "the form is `rename table T to NAME`"


OP_OF_FORM = {
    "rename table": "rename_table",
    "rename column": "rename_column",
    "add column": "add_column",
    "drop column": "drop_column",
    "change type of": "change_type",
    "set not null on": "set_not_null",
    "drop not null on": "set_not_null",
    "comment on": "set_comment",
    "tag": "set_tag",
    "classify": "classify",
    "grant": "grant",
    "revoke": "revoke",
    "set owner of": "set_owner",
    "add foreign key": "add_foreign_key",
    "drop foreign key": "drop_foreign_key",
    "move table": "move_table",
    "undo": "undo",
    "redo": "redo",
    "propose": "propose",
    "confirm": "confirm",
    "allow": "allow",
    "list tables": "list_tables",
    "show": "show_table",
    "what tables have pii": "classified_columns",
    "who can": "who_can",
    "explain": "explain",
    "status": "status",
    "help": "help",
}


def test_every_help_example_parses_to_the_form_it_illustrates() -> None:
    assert sorted(OP_OF_FORM) == sorted(form.keywords for form in COMMAND_FORMS)
    for form in COMMAND_FORMS:
        parsed = parse_commands(form.example)
        assert parsed.errors == [], form.example
        assert [command.op for command in parsed.commands] == [OP_OF_FORM[form.keywords]]
        listed = code_span(form.form) in HELP_TEXT and code_span(form.example) in HELP_TEXT
        assert listed == (form in LISTED_FORMS), form.form


@pytest.mark.parametrize(
    "text",
    [
        "undo/~>",
        "rename `unterminated",
        'comment on t "open',
        "```",
        "`",
        "é",
        ";;;",
        "grant , on",
        "tag t k=",
        "\\",
    ],
)
def test_odd_input_gives_errors_never_exceptions(text: str) -> None:
    parsed = parse_commands(text)
    for error in parsed.errors:
        assert error.line >= 1 and error.column >= 1
        assert error.format().startswith("comment:")


def test_windows_line_endings_are_lines() -> None:
    parsed = parse_commands("@accelerator undo\r\n> quoted\r\nstatus\r\n")
    assert parsed.commands == [Undo(), Status()]
