"""The canonical model every parser produces and every renderer reads (pure, no I/O)."""

from accelerator.model.canonical import canonical_dict, canonical_json
from accelerator.model.elements import (
    Catalog,
    Column,
    Deployment,
    Environment,
    ForeignKey,
    Grant,
    Identity,
    Located,
    Mask,
    PrimaryKey,
    Project,
    Schema,
    Span,
    Table,
    UniqueKey,
)
from accelerator.model.findings import Finding, Fix, Severity, has_errors, sorted_findings

__all__ = [
    "Catalog",
    "Column",
    "Deployment",
    "Environment",
    "Finding",
    "Fix",
    "ForeignKey",
    "Grant",
    "Identity",
    "Located",
    "Mask",
    "PrimaryKey",
    "Project",
    "Schema",
    "Severity",
    "Span",
    "Table",
    "UniqueKey",
    "canonical_dict",
    "canonical_json",
    "has_errors",
    "sorted_findings",
]
