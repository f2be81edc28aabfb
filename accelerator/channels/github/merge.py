"""A three-way merge of lines, for a source both the conversation and a human changed since the
commit the conversation last saw (a push landing while a turn was being committed): the human's
changes are applied to the conversation's text where they touch other lines; where both changed the
same lines, there is no merge (None) and the caller keeps the human's text."""

from __future__ import annotations

from difflib import SequenceMatcher

Change = tuple[int, int, list[str]]  # base lines [start, stop) replaced by these lines


def _changes(base: list[str], other: list[str]) -> list[Change]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [(i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _overlap(first: Change, second: Change) -> bool:
    (a1, a2, _), (b1, b2, _) = first, second
    if a1 == a2 or b1 == b2:  # an insertion conflicts with a change at or around its point
        return a1 <= b2 and b1 <= a2
    return a1 < b2 and b1 < a2


def merge3(base: str, ours: str, theirs: str) -> str | None:
    if ours in (base, theirs):
        return theirs
    if theirs == base:
        return ours
    base_lines = base.splitlines(keepends=True)
    mine = _changes(base_lines, ours.splitlines(keepends=True))
    other = _changes(base_lines, theirs.splitlines(keepends=True))
    if any(_overlap(a, b) for a in mine for b in other):
        return None
    merged: list[str] = []
    position = 0
    for start, stop, lines in sorted(mine + other, key=lambda change: (change[0], change[1])):
        merged.extend(base_lines[position:start])
        merged.extend(lines)
        position = stop
    merged.extend(base_lines[position:])
    return "".join(merged)
