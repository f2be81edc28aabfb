"""The command forms of the grammar: the help reply, and the closest forms to a line that fails.

One table serves both, so the help text and the "did you mean" hints never drift from each other;
it is the forms of the registered operations, in the registry's order, and a test parses every
example.
"""

from __future__ import annotations

import re

from accelerator.edit.operations import COMMAND_FORMS
from accelerator.edit.phrasings import PHRASINGS

__all__ = [
    "COMMAND_FORMS",
    "COMMAND_FORMS_ALL",
    "HELP_TEXT",
    "LISTED_FORMS",
    "closest_forms",
    "code_span",
    "near",
]

# The forms `help` lists; every form and phrasing (for typo correction and the tests).
LISTED_FORMS = tuple(form for form in COMMAND_FORMS if form.listed)
COMMAND_FORMS_ALL = (*COMMAND_FORMS, *(phrasing.form for phrasing in PHRASINGS))


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
        *(f"| {code_span(f.form)} | {f.summary} | {code_span(f.example)} |" for f in LISTED_FORMS),
        "",
        "All commands of one comment are one turn: if a line has an error, nothing is applied. "
        "Also understood: "
        + "; ".join(f"`{p.form.form}`" for p in PHRASINGS)
        + "; `please`, `the`, `a new`, `remove`/`delete` for `drop`; small typos in the command words; "
        "several commands joined by `and` or `, then`.",
    ]
)


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one edit (`dorp` is 1 from `drop`)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i]
        for j in range(1, len(b) + 1):
            cost = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cost = min(cost, rows[i - 2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def near(word: str, keyword: str) -> int | None:
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
            distance = near(word, keyword)
            if distance is None:
                break
            matched, total = matched + 1, total + distance
        if matched:
            scored.append((-matched, total, index, form.form))
    scored.sort()
    best = [entry for entry in scored if entry[:2] == scored[0][:2]] if scored else []
    return [form for *_, form in best[:limit]]
