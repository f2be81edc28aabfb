"""Land a typed edit in the source files as a minimal textual patch, and prove it means the edit.

`plan_patch` turns an edit into `TextEdit`s of the ERD file that declares the table (DBML, Mermaid,
Markdown or SQL, through the format's `ErdPatcher`) or of the policy YAML: the edit's `writes` says
which, its `plan_erd` / `plan_policy` which primitive. `patch_sources` applies them and re-parses
the patched ERD file: its tables must equal those of `apply_edit(project, op)`, compared as
canonical JSON without spans and without what the policy adds, else `PatchVerificationError` (with a short diff) and the caller keeps the old text.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from accelerator.edit.effects import apply_edit
from accelerator.edit.operation import EditBase, resolve
from accelerator.edit.policy_patch import PolicyDocument
from accelerator.erd import FORMATS, ParsedErd, detect_format, parse_erd
from accelerator.erd.patch_inputs import TableTarget
from accelerator.erd.text_edits import TextEdit, apply_text_edits
from accelerator.errors import EditConflictError, PatchVerificationError, UnsupportedEditError
from accelerator.model import Catalog, Project, Schema, Table
from accelerator.model.canonical import canonical_dict

__all__ = [
    "PatchVerificationError",
    "TextEdit",
    "UnsupportedEditError",
    "apply_text_edits",
    "patch_sources",
    "plan_patch",
]

# What the policy adds to the model; an ERD file neither holds nor changes these.
_POLICY_TABLE_FIELDS = ("tags", "owner", "grants", "properties", "cluster_by")
_POLICY_COLUMN_FIELDS = ("tags", "classification", "mask")


def _target(project: Project, op: EditBase) -> tuple[TableTarget, EditBase]:
    """The model table the edit changes, and the edit with the model's spelling of names."""
    resolved = resolve(op, project)
    catalog = project.catalog(resolved.catalog)
    schema = catalog.schema(resolved.schema) if catalog and resolved.schema else None
    table = schema.table(resolved.table) if schema and resolved.table else None
    if schema is None or table is None:
        raise EditConflictError(f"{op.__class__.__name__} names no table of the model")
    return TableTarget(schema=schema.name, table=table), resolved.op


def _file_of(table: Table) -> str:
    span = table.name_span or table.span
    if span is None:
        raise UnsupportedEditError(
            f"table {table.name} has no source location, so its ERD file cannot be patched",
            hint="parse the project from its ERD files (spans are kept by every parser)",
        )
    return span.file


def plan_patch(
    op: EditBase,
    project: Project,
    sources: dict[str, str],
    *,
    policy_file: str | None,
    formats: dict[str, str],
    dialects: dict[str, str],
) -> list[TextEdit]:
    """The text edits that make the sources say `op`; raise a typed error when they cannot."""
    if op.writes == "policy":
        if policy_file is None or policy_file not in sources:
            raise UnsupportedEditError(
                f"{op.op} edits the governance policy, and the project has no policy file",
                hint="add `policy: policies/governance.yaml` to accelerator.yaml",
            )
        return op.plan_policy(PolicyDocument(policy_file, sources[policy_file]))
    target, resolved_op = _target(project, op)
    file = _file_of(target.table)
    if file not in sources:
        raise UnsupportedEditError(f"no source text for {file}, which declares {target.qualified}")
    kind = formats.get(file) or detect_format(file)
    patcher = FORMATS[kind].patcher(file, sources[file], dialects.get(file, "postgres"))
    return resolved_op.plan_erd(patcher, target)


def patch_sources(
    op: EditBase,
    project: Project,
    sources: dict[str, str],
    *,
    policy_file: str | None = None,
    formats: dict[str, str] | None = None,
    dialects: dict[str, str] | None = None,
    default_schemas: dict[str, str] | None = None,
    erd_model: Project | None = None,
    parsed: dict[str, ParsedErd] | None = None,
) -> dict[str, str]:
    """The texts of the files `op` changes, patched and verified; the input is never modified.

    `erd_model` is `project` before the policy (`Governed.model`): given, the check compares plain
    JSON of the tables instead of their canonical form without the policy's fields (cheaper).
    `parsed` receives the re-parse of each patched ERD file, for governance to take over."""
    formats, dialects = formats or {}, dialects or {}
    edits = plan_patch(op, project, sources, policy_file=policy_file, formats=formats, dialects=dialects)
    patched = apply_text_edits(sources, edits)
    changed = {
        file: patched[file] for file in {edit.file for edit in edits} if patched[file] != sources[file]
    }
    if op.writes == "erd":
        expected = apply_edit(erd_model or project, op)
        for file, text in changed.items():
            kind = formats.get(file) or detect_format(file)
            schema = (default_schemas or {}).get(file, "default")
            verified = _verify(
                file,
                text,
                expected,
                kind,
                dialects.get(file, "postgres"),
                schema,
                plain=erd_model is not None,
            )
            if parsed is not None:
                parsed[file] = verified
    return changed


def erd_tables(project: Project, file: str) -> dict[str, Any]:
    """Canonical form of the tables declared in `file`, without what the policy adds."""
    catalogs = []
    for catalog in project.catalogs:
        schemas = []
        for schema in catalog.schemas:
            tables = [t for t in schema.tables if (t.name_span or t.span) and _file_of(t) == file]
            if tables:
                schemas.append(Schema(name=schema.name, tables=tables))
        if schemas:
            catalogs.append(Catalog(name="catalog", schemas=schemas))
    data = canonical_dict(Project(name="erd", catalogs=catalogs))
    for table in (t for c in data["catalogs"] for s in c["schemas"] for t in s["tables"]):
        for name in _POLICY_TABLE_FIELDS:
            del table[name]
        for column in table["columns"]:
            for name in _POLICY_COLUMN_FIELDS:
                del column[name]
    return data


# `erd_tables` without the policy's fields, as pydantic's exclude: one table's JSON in one Rust call.
_ERD_JSON_EXCLUDE: Any = {
    **{name: True for name in _POLICY_TABLE_FIELDS},
    "columns": {"__all__": set(_POLICY_COLUMN_FIELDS)},
}


def _same_erd_tables(expected: Project, actual: Project, file: str, *, plain: bool) -> bool:
    """`erd_tables(expected, file) == erd_tables(actual, file)`, table by table: equal models (spans
    too) or equal JSON first, the canonical comparison (which sorts keys) when they differ. `plain`: the
    expected model has no policy fields either, so the JSON of whole tables is compared."""
    exclude = None if plain else _ERD_JSON_EXCLUDE

    def tables(project: Project) -> list[tuple[str, str, Table]]:
        return sorted(
            ((schema.name, table.name, table) for catalog in project.catalogs for schema in catalog.schemas
             for table in schema.tables if (table.name_span or table.span) and _file_of(table) == file),
            key=lambda item: (item[0], item[1]),
        )  # fmt: skip

    def canonical(schema: str, table: Table) -> dict[str, Any]:
        return erd_tables(
            Project(name="erd", catalogs=[Catalog(name="c", schemas=[Schema(name=schema, tables=[table])])]),
            file,
        )

    want, got = tables(expected), tables(actual)
    if [item[:2] for item in want] != [item[:2] for item in got]:
        return False
    return all(
        mine == theirs  # every field and span equal (a table the edit did not move): implies the rest
        or mine.model_dump_json(exclude=exclude) == theirs.model_dump_json(exclude=exclude)
        or canonical(schema, mine) == canonical(schema, theirs)
        for (schema, _, mine), (_, _, theirs) in zip(want, got, strict=True)
    )


def _verify(
    file: str, text: str, expected: Project, kind: str, dialect: str, default_schema: str, *, plain: bool
) -> ParsedErd:
    parsed = parse_erd(text, file, format=kind, dialect=dialect, default_schema=default_schema)
    actual = Project(name="erd", catalogs=[Catalog(name="catalog", schemas=parsed.schemas)])
    if not _same_erd_tables(expected, actual, file, plain=plain):
        want, got = erd_tables(expected, file), erd_tables(actual, file)
        want_lines, got_lines = (json.dumps(d, indent=2, sort_keys=True).splitlines() for d in (want, got))
        diff = difflib.unified_diff(
            want_lines, got_lines, "intended model", f"{file} patched", n=1, lineterm=""
        )
        raise PatchVerificationError(
            f"the patched {file} does not re-parse to the intended model:\n" + "\n".join(list(diff)[:40]),
            hint=f"the {kind} file was left unchanged; edit it by hand, or keep this table in another ERD format",
        )
    return parsed
