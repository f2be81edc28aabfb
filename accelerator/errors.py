"""Errors a user can cause. Each carries where it happened and what to do about it.

The CLI prints them with `format()` and exits with code 2; nothing here ever reaches the user as a
traceback.
"""

from __future__ import annotations

from pathlib import Path


class AcceleratorError(Exception):
    """Base class of every error the user can cause (bad input, bad usage, missing tool)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SourceError(AcceleratorError):
    """An error located in an input file: `file:line:column: message`, with the offending line."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int,
        column: int,
        hint: str | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.column = column
        self.source = source

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def format(self) -> str:
        text = f"{self.location}: error: {self.message}"
        snippet = _source_line(self.source, self.line)
        if snippet is not None:
            caret = " " * (max(self.column, 1) - 1) + "^"
            text += f"\n  {self.line:>4} | {snippet}\n       | {caret}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def read_source(path: Path, file: str) -> str:
    """A user's file as `Path.read_text` gives it; bytes that are not UTF-8 are a located error
    (`file`, the name shown, at the first such byte), not a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        before = error.object[: error.start].decode("utf-8", "replace")
        raise SourceError(
            f"byte 0x{error.object[error.start]:02x} is not UTF-8 text",
            file=file,
            line=before.count("\n") + 1,
            column=len(before) - (before.rfind("\n") + 1) + 1,
            hint="save the file as UTF-8",
        ) from None


class ErdSyntaxError(SourceError):
    """An ERD file (DBML, Mermaid, SQL DDL) that does not parse."""


class UnknownTypeError(SourceError):
    """A column type that no type-mapping table knows."""


class ModelError(SourceError):
    """A parsed ERD that is not a valid model: duplicate names, dangling references."""


class PolicyError(SourceError):
    """A governance policy or config file that is not valid YAML or breaks its schema."""


class RenderError(AcceleratorError):
    """A model or setting that cannot be rendered safely (e.g. an unknown privilege, a SQL default
    that is not a single expression, an unknown Terraform backend), when no source location is known."""


class CommandSyntaxError(SourceError):
    """A line of a PR comment that is not a command: where, what was expected, the closest forms."""

    def __init__(
        self,
        message: str,
        *,
        line: int,
        column: int,
        expected: list[str] | None = None,
        suggestions: list[str] | None = None,
        hint: str | None = None,
        source: str | None = None,
        file: str = "comment",
    ) -> None:
        super().__init__(message, file=file, line=line, column=column, hint=hint, source=source)
        self.expected = expected or []
        self.suggestions = suggestions or []  # command forms, e.g. "rename column T.c to NAME"


class EditError(AcceleratorError):
    """An edit (from a command or an LLM tool call) that does not fit the current model."""


class UnknownObjectError(EditError):
    """An edit names a table, column, schema or catalog the model does not have."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        name: str,
        suggestions: list[str] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        self.name = name
        self.suggestions = suggestions or []


class AmbiguousObjectError(EditError):
    """An edit names an object that several model objects match (e.g. `orders` in two schemas)."""

    def __init__(self, message: str, *, candidates: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.candidates = candidates


class EditConflictError(EditError):
    """An edit that cannot apply as asked: the name is taken, nothing would change, a key needs it."""


class UnsupportedEditError(EditError):
    """An edit the target file's format cannot express (e.g. NOT NULL in a Mermaid erDiagram)."""


class PatchVerificationError(EditError):
    """A patched source that does not re-parse to the intended model; the original text is kept."""


class ToolMissingError(AcceleratorError):
    """An external program (e.g. Node.js for cdktn) that is needed but not installed."""


class DatabaseConfigError(AcceleratorError):
    """A memory database setting that cannot work: a malformed Lakebase endpoint, an unreachable server."""


class ConversationNotFoundError(AcceleratorError):
    """A thread id that names no stored conversation."""


def _source_line(source: str | None, line: int) -> str | None:
    if source is None or line < 1:
        return None
    lines = source.splitlines()
    if line > len(lines):
        return None
    return lines[line - 1].expandtabs(4)
