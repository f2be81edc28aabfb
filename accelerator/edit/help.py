"""The command forms of the grammar: the help reply, and the closest forms to a line that fails.

One table serves both, so the help text and the "did you mean" hints never drift from each other;
a test parses every example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CommandForm:
    keywords: str  # the words that start the form, e.g. "rename column"
    form: str  # the form with placeholders, e.g. "rename column T.c to NAME"
    example: str
    summary: str


COMMAND_FORMS: tuple[CommandForm, ...] = (
    CommandForm(
        "rename table", "rename table T to NAME", "rename table crm.clients to customers", "rename a table"
    ),
    CommandForm(
        "rename column",
        "rename column T.c to NAME",
        "rename column crm.customers.email_addr to email",
        "rename a column (also `rename T.c to NAME`)",
    ),
    CommandForm(
        "add column",
        'add column T.c TYPE [not null] [default V] [comment "..."]',
        "add column sales.orders.channel varchar(20) not null default 'web' comment \"Sales channel\"",
        "add a column",
    ),
    CommandForm("drop column", "drop column T.c", "drop column sales.orders.ip_address", "drop a column"),
    CommandForm(
        "change type of",
        "change type of T.c to TYPE",
        "change type of sales.orders.total_amount to decimal(14,2)",
        "change a column's type",
    ),
    CommandForm(
        "set not null on", "set not null on T.c", "set not null on sales.orders.status", "add NOT NULL"
    ),
    CommandForm(
        "drop not null on", "drop not null on T.c", "drop not null on crm.customers.phone", "drop NOT NULL"
    ),
    CommandForm(
        "comment on",
        'comment on [table|column] T[.c] "..."',
        'comment on crm.customers.email "Login and contact email"',
        "set a comment (an empty one removes it)",
    ),
    CommandForm("tag", "tag T[.c] KEY=VALUE", "tag sales.orders domain=sales", "set a tag"),
    CommandForm(
        "classify", "classify T.c as CLASS", "classify crm.customers.phone as pii.phone", "classify a column"
    ),
    CommandForm(
        "grant",
        "grant PRIVILEGE[, ...] on catalog|schema|table X to PRINCIPAL [in ENV]",
        "grant select, use schema on schema sales to `analysts` in prod",
        "grant privileges (every environment unless `in ENV`)",
    ),
    CommandForm(
        "revoke",
        "revoke PRIVILEGE[, ...] on catalog|schema|table X from PRINCIPAL [in ENV]",
        "revoke select on table crm.customers from `analysts`",
        "revoke privileges",
    ),
    CommandForm(
        "set owner of",
        "set owner of [catalog|schema|table] X to PRINCIPAL",
        "set owner of schema crm to `data engineers`",
        "change an owner",
    ),
    CommandForm("undo", "undo", "undo", "undo the last turn's edits"),
    CommandForm(
        "explain", "explain [X]", "explain crm.customers.email", "explain an object or the last change"
    ),
    CommandForm("status", "status", "status", "show the workflow's state"),
    CommandForm("help", "help", "help", "show this help"),
)


def code_span(text: str) -> str:
    """`text` as inline code inside a GitHub Markdown table cell: a `|` would end the cell even in
    code, so it is escaped; text holding backquotes gets a double-backquote span."""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


HELP_TEXT = "\n".join(
    [
        "Commands (one per line, or separated by `;`; keywords are case-insensitive; "
        "quote names with backquotes; T is `table`, `schema.table` or `catalog.schema.table`):",
        "",
        "| command | what it does | example |",
        "|---|---|---|",
        *(f"| {code_span(f.form)} | {f.summary} | {code_span(f.example)} |" for f in COMMAND_FORMS),
        "",
        "All commands of one comment are one turn: if a line has an error, nothing is applied.",
    ]
)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return current[-1] if a else len(b)


def _near(word: str, keyword: str) -> int | None:
    """The distance between a word and a keyword, or None when they are too far apart to confuse."""
    distance = _distance(word, keyword)
    return distance if distance <= (1 if len(keyword) <= 4 else 2) else None


def closest_forms(statement: str, limit: int = 2) -> list[str]:
    """The command forms whose leading keywords best match the statement's first words.

    Keywords are compared word by word and fuzzily (`renam tabel` is close to `rename table`); the
    forms matching the most leading keywords win. Names after the keywords are not compared: they
    would drown the distance between keywords.
    """
    words = re.findall(r"[A-Za-z_]+", statement.lower())
    scored: list[tuple[int, int, int, str]] = []
    for index, form in enumerate(COMMAND_FORMS):
        matched, total = 0, 0
        for word, keyword in zip(words, form.keywords.split(), strict=False):
            distance = _near(word, keyword)
            if distance is None:
                break
            matched, total = matched + 1, total + distance
        if matched:
            scored.append((-matched, total, index, form.form))
    scored.sort()
    best = [entry for entry in scored if entry[:2] == scored[0][:2]] if scored else []
    return [form for *_, form in best[:limit]]
