"""One SQL file being read: its text, positions, dialect, declared enums, findings, and types.

Every reader of the SQL DDL parser shares one `DdlSource`: it turns character offsets into spans,
identifiers into name spans (without their quotes), and source types into Databricks types.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from sqlglot import exp

from accelerator.erd.base import LineIndex
from accelerator.erd.sql_tokens import Statement
from accelerator.erd.types import MappedType, map_type
from accelerator.errors import ModelError, UnknownTypeError
from accelerator.model import Finding, Severity, Span

Item = tuple[int, int]  # token indexes [first, last) of one element of a statement


@dataclass
class DdlSource:
    """One SQL file being read: text, positions, dialect, the enums declared so far, findings."""

    text: str
    file: str
    dialect: str
    lines: LineIndex
    enums: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    type_cache: dict[str, MappedType] = field(default_factory=dict)
    literal_defaults: dict[tuple[str, bool], str | None] = field(default_factory=dict)

    def span(self, start: int, end: int) -> Span:
        # LineIndex.span with bisect: a file has tens of thousands of spans
        starts = self.lines.starts
        line = bisect_right(starts, start)
        end_line = bisect_right(starts, end, lo=line - 1)
        return Span(
            file=self.file,
            line=line,
            column=start - starts[line - 1] + 1,
            end_line=end_line,
            end_column=end - starts[end_line - 1] + 1,
        )

    def item_span(self, statement: Statement, item: Item) -> Span:
        first, last = item
        return self.span(statement.tokens[first].start, statement.tokens[last - 1].end + 1)

    def name_span(self, identifier: exp.Expr | None) -> Span | None:
        """The span of a name as written, without its quotes (`"Order"` -> `Order`)."""
        if not isinstance(identifier, exp.Identifier) or "start" not in identifier.meta:
            return None
        start, end = identifier.meta["start"], identifier.meta["end"] + 1
        if identifier.args.get("quoted"):
            start, end = start + 1, end - 1
        return self.span(start, end)

    def note(
        self, rule: str, severity: Severity, message: str, span: Span | None, obj: str | None = None
    ) -> None:
        self.findings.append(Finding(rule=rule, severity=severity, message=message, span=span, object=obj))

    def model_error(self, message: str, span: Span | None, hint: str) -> ModelError:
        line, column = (span.line, span.column) if span else (1, 1)
        return ModelError(message, file=self.file, line=line, column=column, hint=hint, source=self.text)

    def map_type(self, raw: str, datatype: exp.DataType | None, span: Span) -> MappedType:
        """Map the type as written; if the type tables cannot read it (`[int]`, `STRUCT(a INT)`),
        map sqlglot's reading of it instead, and report the user's spelling if both fail."""
        cached = self.type_cache.get(raw)
        if cached is not None:
            return cached
        try:
            mapped = map_type(raw, family=self.dialect, enums=self.enums, span=span, source=self.text)
        except UnknownTypeError as unknown:
            rendered = render_type(datatype, self.dialect) if datatype is not None else raw
            if rendered.lower() == raw.lower():
                raise
            try:
                mapped = map_type(
                    rendered, family=self.dialect, enums=self.enums, span=span, source=self.text
                )
            except UnknownTypeError:
                raise unknown from None
        self.type_cache[raw] = mapped
        return mapped


def render_type(datatype: exp.DataType, dialect: str) -> str:
    """sqlglot's type in the type tables' notation: nested types with `<>`, leaves in `dialect`."""
    children = datatype.expressions
    if datatype.is_type(exp.DataType.Type.ARRAY) and children:
        return f"array<{_render_child(children[0], dialect)}>"
    if datatype.is_type(exp.DataType.Type.MAP) and len(children) == 2:
        return f"map<{_render_child(children[0], dialect)}, {_render_child(children[1], dialect)}>"
    if datatype.is_type(exp.DataType.Type.STRUCT) and children:
        fields = ", ".join(f"{child.name}: {_render_child(child, dialect)}" for child in children)
        return f"struct<{fields}>"
    return datatype.sql(dialect=dialect)


def _render_child(node: exp.Expr, dialect: str) -> str:
    kind = node.args.get("kind") if isinstance(node, exp.ColumnDef) else node
    return render_type(kind, dialect) if isinstance(kind, exp.DataType) else node.sql(dialect=dialect)
