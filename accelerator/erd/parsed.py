"""What every ERD parser returns, and helpers they share for positions."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from accelerator.model import Finding, Schema, Span


@dataclass
class ParsedErd:
    """The schemas one ERD file declares (all in one catalog), plus parser findings."""

    file: str
    source: str
    schemas: list[Schema] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class LineIndex:
    """Turns character offsets into 1-based (line, column) pairs and spans."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def span(self, start: int, end: int) -> Span:
        starts = self.starts
        line = bisect.bisect_right(starts, start)  # 1-based
        line_start = starts[line - 1]
        if line == len(starts) or end < starts[line]:  # the usual span, on one line: one bisect
            return Span(self.file, line, start - line_start + 1, line, end - line_start + 1)
        end_line, end_column = self.position(end)
        return Span(self.file, line, start - line_start + 1, end_line, end_column)
