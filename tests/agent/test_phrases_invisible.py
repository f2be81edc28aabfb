"""Names cannot hold control or invisible characters (Trojan Source: a right-to-left override
makes `admins` display as something else); the refusal says which character, and where."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accelerator.edit import parse_commands
from accelerator.edit.grant_edits import Grant
from accelerator.edit.table_edits import AddColumn, RenameColumn


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("rename column crm.customers.email to `e\u202email`", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("rename column crm.customers.email to e\u202email", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("rename column crm.customers.email to em\x00ail", "U+0000"),
        ("grant select on table crm.customers to `ana\u200blysts`", "U+200B ZERO WIDTH SPACE"),
        ("add column crm.customers.`x\u2066y` string", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ('comment on crm.customers "evil \u2028 text"', "U+2028 LINE SEPARATOR"),
        ("drop column crm.customers.\ufeffphone", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ],
)
def test_control_and_invisible_characters_are_refused_with_a_located_message(text: str, named: str) -> None:
    parsed = parse_commands(text)
    assert not parsed.commands
    (error,) = parsed.errors
    assert named in error.message and "invisible or control character" in error.message
    assert error.column == 1 + next(
        i for i, c in enumerate(text) if c in "\u202e\x00\u200b\u2066\u2028\ufeff"
    )
    # the reply quotes the line with the character replaced, so it cannot reorder the reply
    assert "\ufffd" in error.format() and not any(c in error.format() for c in "\u202e\u200b\u2066\ufeff")


def test_a_tab_between_words_is_fine() -> None:
    assert parse_commands("drop column\tsales.orders.ip_address").ok


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (RenameColumn, {"table": "crm.customers", "column": "email", "new_name": "ad\u202emins"}),
        (RenameColumn, {"table": "crm.cust\u200comers", "column": "email", "new_name": "x"}),
        (AddColumn, {"table": "crm.customers", "column": "a\u2029b", "type": "string"}),
        (
            Grant,
            {"privileges": ["SELECT"], "securable_kind": "table", "securable": "crm.customers",
             "principal": "ana\u202elysts"},
        ),
    ],
)  # fmt: skip
def test_edits_from_any_source_refuse_invisible_characters(cls: type, fields: dict[str, object]) -> None:
    """The language model's proposals are validated by the same fields."""
    with pytest.raises(ValidationError, match="invisible or control character"):
        cls.model_validate(fields)
