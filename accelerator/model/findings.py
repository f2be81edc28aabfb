"""Findings: what a parser or the policy has to say about the model, pinned to a source line."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from accelerator.model.elements import Span

Severity = Literal["error", "warn", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warn": 1, "info": 2}


class Fix(BaseModel):
    """A safe, mechanical correction. `replacement` replaces the text at the finding's span
    (typically a name token) when the fix is a rename; otherwise it is a description only."""

    model_config = ConfigDict(frozen=True)

    description: str
    replacement: str | None = None


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str  # e.g. "naming.table.case"
    severity: Severity
    message: str
    span: Span | None = None
    object: str | None = None  # e.g. "retail.sales.orders.email"
    fix: Fix | None = None

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        return (
            self.file or "",
            self.line or 0,
            self.column or 0,
            SEVERITY_ORDER[self.severity],
            self.rule,
            self.message,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "object": self.object,
            "fix": self.fix.description if self.fix else None,
        }


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
