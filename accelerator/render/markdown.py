"""Markdown docs: per catalog (domain) a data dictionary, a Mermaid diagram and the findings.

`{"<catalog>.md": text}`. A finding belongs to the catalog its `object` starts with
(`retail.sales.orders.email` -> `retail`); a finding without an object, or with one that names no
catalog, concerns the whole project and is listed in every catalog's document.

A table's section is a `cache.DOCS_TABLES` piece, made from the table and its schema's name: it shows
no source location (only the findings do, and they are not cached), and its foreign keys name their
targets as written. The diagram is made of pieces per table too (see `mermaid`).
"""

from __future__ import annotations

import re

from accelerator.model.elements import Catalog, Column, Grant, Mask, Project, Schema, Table
from accelerator.model.findings import Finding, sorted_findings
from accelerator.render.cache import DOCS_TABLES, render_pass
from accelerator.render.mermaid import keys_by_column, render_er_diagram
from accelerator.render.naming import file_stem
from accelerator.render.sql_context import sorted_by_name

_BACKTICKS = re.compile(r"`+")


def render_docs(project: Project, findings: list[Finding]) -> dict[str, str]:
    catalogs = sorted(project.catalogs, key=lambda c: (c.name.lower(), c.name))
    known = {catalog.name.lower() for catalog in catalogs}
    documents: dict[str, str] = {}
    with render_pass():  # the section and the diagram entity of a table share its content key
        for catalog in catalogs:
            own = [
                f
                for f in sorted_findings(findings)
                if _finding_catalog(f, known) in (None, catalog.name.lower())
            ]
            documents[f"{file_stem(catalog.name)}.md"] = _catalog_document(project, catalog, own)
    return dict(sorted(documents.items()))


def _finding_catalog(finding: Finding, known: set[str]) -> str | None:
    if not finding.object:
        return None
    first = finding.object.split(".", 1)[0].lower()
    return first if first in known else None


def code(text: str) -> str:
    """An inline code span that survives backticks and line breaks in `text` (CommonMark rules)."""
    flat = " ".join(text.splitlines())
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0) if "`" in flat else 0
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else flat
    return f"{fence}{padded}{fence}"


def cell_code(text: str) -> str:
    """A code span inside a table cell: GFM splits cells on `|` even inside code, unless escaped."""
    return code(text).replace("|", "\\|")


def cell(text: str | None) -> str:
    """Text for a table cell: HTML and pipes escaped, line breaks as `<br>`."""
    if not text:
        return ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return "<br>".join(escaped.splitlines())


def paragraph(text: str) -> str:
    """Free text outside tables: HTML escaped, each line kept."""
    return "  \n".join(
        line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in text.splitlines()
    )


def _catalog_document(project: Project, catalog: Catalog, findings: list[Finding]) -> str:
    lines = [f"# Data dictionary: {code(catalog.name)}", ""]
    if catalog.comment:
        lines += [paragraph(catalog.comment), ""]
    physical = ", ".join(
        f"{cell(env.name)}: {cell_code(env.catalog_name(catalog))}" for env in project.environments
    )
    lines += _facts(
        [
            ("Catalog per environment", physical),
            *_governance_facts(catalog.owner, catalog.tags, catalog.grants),
        ]
    )
    lines += ["## Diagram", "", "```mermaid", render_er_diagram(catalog).rstrip("\n"), "```", ""]
    for schema in sorted_by_name(catalog.schemas):
        lines += _schema_section(schema)
    lines += _findings_section(findings)
    return "\n".join(lines).rstrip("\n") + "\n"


def _facts(facts: list[tuple[str, str]]) -> list[str]:
    facts = [(name, value) for name, value in facts if value]
    if not facts:
        return []
    return ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in facts), ""]


def _governance_facts(owner: str | None, tags: dict[str, str], grants: list[Grant]) -> list[tuple[str, str]]:
    return [("Owner", cell_code(owner) if owner else ""), ("Tags", _tags(tags)), ("Grants", _grants(grants))]


def _tags(tags: dict[str, str]) -> str:
    return ", ".join(f"{cell_code(key)} = {cell_code(value)}" for key, value in sorted(tags.items()))


def _grants(grants: list[Grant]) -> str:
    entries = []
    for grant in sorted(grants, key=lambda g: (g.principal, g.privileges, g.environments)):
        where = f" ({cell(', '.join(grant.environments))})" if grant.environments else ""
        entries.append(f"{cell_code(grant.principal)}: {cell(', '.join(grant.privileges))}{where}")
    return "; ".join(entries)


def _schema_section(schema: Schema) -> list[str]:
    lines = [f"## Schema {code(schema.name)}", ""]
    if schema.comment:
        lines += [paragraph(schema.comment), ""]
    lines += _facts(_governance_facts(schema.owner, schema.tags, schema.grants))
    lines.extend(
        [DOCS_TABLES.piece(_table_section, schema.name, table) for table in sorted_by_name(schema.tables)]
    )
    return lines


def _table_section(schema: str, table: Table) -> str:
    """The section's lines, joined."""
    lines = [f"### Table {code(f'{schema}.{table.name}')}", ""]
    if table.comment:
        lines += [paragraph(table.comment), ""]
    lines += _facts(_governance_facts(table.owner, table.tags, table.grants))
    lines += [
        "| Column | Type | Nullable | Key | Classification | Mask | Comment |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        _column_row(column, keys) for column, keys in zip(table.columns, keys_by_column(table), strict=True)
    ]
    for fk in table.foreign_keys:
        target = f"{fk.ref_schema}.{fk.ref_table}({', '.join(fk.ref_columns)})"
        lines.append("")
        lines.append(f"- FK {code(', '.join(fk.columns))} references {code(target)}")
    return "\n".join([*lines, ""])


def _column_row(column: Column, keys: list[str]) -> str:
    cells = [
        cell_code(column.name),
        cell(column.type),
        "yes" if column.nullable else "no",
        ", ".join(keys),
        cell(column.classification),
        _mask(column.mask),
        cell(column.comment),
    ]
    return "| " + " | ".join(cells) + " |"


def _mask(mask: Mask | None) -> str:
    if mask is None:
        return ""
    exempt = f"; exempt: {', '.join(mask.exempt_groups)}" if mask.exempt_groups else ""
    return cell(f"{mask.function} ({mask.strategy}{exempt})")


def _findings_section(findings: list[Finding]) -> list[str]:
    lines = ["## Findings", ""]
    if not findings:
        return [*lines, "No findings."]
    lines += ["| Severity | Rule | Location | Message |", "|---|---|---|---|"]
    for finding in findings:
        location = str(finding.span) if finding.span else (finding.object or "")
        lines.append(
            f"| {finding.severity} | {cell(finding.rule)} | {cell(location)} | {cell(finding.message)} |"
        )
    return lines
