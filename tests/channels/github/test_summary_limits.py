"""What the bot writes stays one valid GitHub comment whatever the user or the sources hold: under
65,536 characters, and text shown as code cannot close its block early or become a mention."""

from __future__ import annotations

import re

from accelerator.agent.limits import MAX_ECHO_CHARS, MAX_REPLY_CHARS
from accelerator.channels.github.summary import (
    MAX_BODY_CHARS,
    SummaryInputs,
    code,
    fence,
    reply_body,
    reply_marker,
    summary_body,
)

SOURCE_LINE = "Note: 'see ```sql DROP TABLE x``` below'\n```\n@alice <img src=x onerror=alert(1)>"


def fenced_block(body: str) -> tuple[str, str]:
    """The first fenced block of a body: its opening fence and its text (closed by the same fence)."""
    found = re.search(r"^(`{3,})text\n(.*?)\n\1$", body, re.DOTALL | re.MULTILINE)
    assert found is not None, body
    return found.group(1), found.group(2)


def test_a_problem_holding_backticks_stays_inside_its_code_block() -> None:
    body = summary_body(SummaryInputs(problem=f"erd/x.dbml:3:1: {SOURCE_LINE}"))
    bar, text = fenced_block(body)
    assert len(bar) == 4 and text == f"erd/x.dbml:3:1: {SOURCE_LINE}"
    assert fence("no ticks") == "```text\nno ticks\n```"


def test_echoed_text_is_one_line_of_code_cut_to_the_echo_limit() -> None:
    shown = code("rename `a` to ``b``\n@bob")
    assert shown == "``` rename `a` to ``b`` @bob ```"
    long = code("x" * 100_000)
    assert len(long) == MAX_ECHO_CHARS + 2 and long.endswith("…`")
    assert code("") == "` `"


def test_a_reply_echoing_a_huge_command_fits_one_comment() -> None:
    text = "rename this to y " * 200_000  # 50 inline comments of 65k characters, read as one turn
    note = f"Understood as: {code(text)}"
    body = reply_body("comment:7", text, "Renamed.\n" * 10_000, "https://example.test/c/1", note)
    assert len(body) <= MAX_BODY_CHARS < MAX_REPLY_CHARS
    assert body.startswith(reply_marker("comment:7"))
    unbounded = reply_body("comment:7", "x", "ok", None, "n" * 100_000)
    assert len(unbounded) <= MAX_BODY_CHARS and "reply shortened" in unbounded
