"""What every source patcher shares: the `TextEdit`, its errors, positions, lines and indentation.

A patch is a list of `TextEdit`s (character offsets into one file's text); nothing here re-renders a
file, so every byte an edit does not name stays as the human wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelerator.errors import PatchVerificationError, UnsupportedEditError
from accelerator.model import Span

__all__ = ["PatchVerificationError", "TextEdit", "UnsupportedEditError"]


@dataclass(frozen=True)
class TextEdit:
    """Replace `text[start:end]` of `file` by `replacement` (an insertion when start == end)."""

    file: str
    start: int
    end: int
    replacement: str


def apply_text_edits(sources: dict[str, str], edits: list[TextEdit]) -> dict[str, str]:
    """Apply non-overlapping edits; insertions at one offset keep the order they were planned in."""
    patched = dict(sources)
    by_file: dict[str, list[tuple[int, TextEdit]]] = {}
    for order, edit in enumerate(edits):
        by_file.setdefault(edit.file, []).append((order, edit))
    for file, numbered in by_file.items():
        if file not in patched:
            raise KeyError(f"no source text for {file!r}")
        text = patched[file]
        ordered = [
            edit for _, edit in sorted(numbered, key=lambda item: (item[1].start, item[1].end, item[0]))
        ]
        pieces: list[str] = []
        position = 0
        for edit in ordered:
            if edit.start < position or edit.end < edit.start or edit.end > len(text):
                raise ValueError(f"overlapping or out-of-range edit {edit!r} in {file}")
            pieces.append(text[position : edit.start])
            pieces.append(edit.replacement)
            position = edit.end
        pieces.append(text[position:])
        patched[file] = "".join(pieces)
    return patched


def offset_of(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based (line, column) position."""
    start = 0
    for _ in range(line - 1):
        found = text.find("\n", start)
        if found < 0:
            return len(text)
        start = found + 1
    return start + column - 1


def span_offsets(text: str, span: Span) -> tuple[int, int]:
    return offset_of(text, span.line, span.column), offset_of(text, span.end_line, span.end_column)


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def next_line_start(text: str, offset: int) -> int:
    """The start of the line after the one holding `offset` (the end of the text on the last line)."""
    found = text.find("\n", offset)
    return len(text) if found < 0 else found + 1


def indentation_at(text: str, offset: int) -> str:
    """The whitespace that starts the line holding `offset`."""
    start = line_start(text, offset)
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def only_blank_before(text: str, offset: int) -> bool:
    """True when nothing but spaces precede `offset` on its line."""
    return text[line_start(text, offset) : offset].strip() == ""


def insert_line_after(file: str, text: str, offset: int, line: str) -> TextEdit:
    """Insert `line` (no newline) as a new line after the line holding `offset`."""
    at = next_line_start(text, offset)
    if at == len(text) and not text.endswith("\n"):
        return TextEdit(file, at, at, "\n" + line)
    return TextEdit(file, at, at, line + "\n")


def delete_lines(file: str, text: str, start: int, end: int) -> TextEdit:
    """Delete the whole lines from the one holding `start` to the one holding `end - 1`."""
    return TextEdit(file, line_start(text, start), next_line_start(text, max(end - 1, start)), "")
