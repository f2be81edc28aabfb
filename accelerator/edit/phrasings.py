"""Other ways people write the commands: each is a grammar rule aliased to a command's own rule
(`commands.lark`: `make_not_null: ... -> set_not_null`), so the operation that reads that rule
reads the phrasing too. They are not listed in `help` (the canonical form is), but every example is
tested like a form's.

Also here: the words of a message that are not part of a command (`please`, `can you`, a trailing
`?` or `thanks`), and the keywords that start a command (where two commands joined by "and" split).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accelerator.edit.operation import CommandForm


@dataclass(frozen=True)
class Phrasing:
    """A form that writes another rule's command (`means`: the rule its tree is, a form's rule)."""

    form: CommandForm
    means: str


PHRASINGS: tuple[Phrasing, ...] = (
    Phrasing(
        CommandForm("make_not_null", "make", "make T.c not null", "make sales.orders.order_date not null",
                    "add NOT NULL"),
        "set_not_null",
    ),
    Phrasing(
        CommandForm("set_column_not_null", "set", "set [column] T.c not null",
                    "set column sales.orders.order_date not null", "add NOT NULL"),
        "set_not_null",
    ),
    Phrasing(
        CommandForm("make_nullable", "make", "make T.c nullable|optional", "make sales.orders.status nullable",
                    "drop NOT NULL"),
        "drop_not_null",
    ),
    Phrasing(
        CommandForm("mark_as", "mark", "mark T.c as CLASS", "mark crm.addresses.city as pii.address", "classify a column"),
        "classify",
    ),
)  # fmt: skip

# Politeness and chatter around a command: removed before parsing (the command's columns are kept).
_LEADING = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|now|then|also|and|bot)\b[,!]?\s+|"
    r"(?:please|pls|plz|kindly)\b[,]?\s+|"
    r"(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?|"
    r"i\s+(?:want|would\s+like|need)\s+(?:you\s+)?to\s+|"
    r"let's\s+|lets\s+|go\s+ahead\s+and\s+)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank\s+you|thx|for\s+me)\b)*[\s?!.]*$", re.IGNORECASE
)


def trim_chatter(text: str) -> tuple[int, str]:
    """`text` without leading politeness and trailing `please`/`thanks`/`?`: (offset of the rest, rest)."""
    leading = _LEADING.match(text)
    start = leading.end() if leading else 0
    rest = text[start:]
    trailing = _TRAILING.search(rest)
    end = trailing.start() if trailing else len(rest)
    return start, rest[:end] if rest[:end].strip() else rest
