"""A level of undo keeps the changed lines only: the hunk between two texts takes one back to the other."""

from __future__ import annotations

import random

from accelerator.agent.state import hunk, restored_text


def test_a_hunk_takes_any_text_back_exactly() -> None:
    pieces = ["x\n", "y\n", "z", "\n", "w\r\n", "\u2028", ""]
    rng = random.Random(8)
    for _ in range(3000):
        first = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        second = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        assert restored_text(first, hunk(first, second)) == second


def test_a_one_line_edit_keeps_one_line() -> None:
    before = "".join(f"line {n}\n" for n in range(1000))
    after = before.replace("line 500\n", "line five hundred\n")
    change = hunk(after, before)
    assert change == {"start": 500, "stop": 501, "text": "line 500\n"}
    assert restored_text(after, change) == before
