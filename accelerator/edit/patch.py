"""Land a typed edit in the source files as a minimal textual patch, and prove it means the edit.

`plan_patch` turns an edit into `TextEdit`s of the ERD file that declares the table (DBML, Mermaid,
Markdown or SQL, through the format's `ErdPatcher`) or of the policy YAML: the edit's `writes` says
which, its `plan_erd` / `plan_policy` which primitive. `patch_sources` applies them and re-parses
the patched ERD file: its tables must equal those of `apply_edit(project, op)`, compared as
canonical JSON without spans and without what the policy adds, else `PatchVerificationError` (naming what differs) and the caller keeps the old text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain, compress, repeat
from operator import and_, attrgetter, eq, is_not, itemgetter, ne, not_
from types import UnionType
from typing import Any, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel

from accelerator.edit.effects import apply_edit
from accelerator.edit.model_difference import describe_difference
from accelerator.edit.operation import EditBase, resolve
from accelerator.edit.policy_patch import PolicyDocument
from accelerator.erd import FORMATS, ParsedErd, detect_format, parse_erd
from accelerator.erd.patch_inputs import TableTarget
from accelerator.erd.text_edits import TextEdit, apply_text_edits
from accelerator.errors import EditConflictError, PatchVerificationError, UnsupportedEditError
from accelerator.model import Catalog, Column, Project, Schema, Table
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
    """`erd_tables(expected, file) == erd_tables(actual, file)`, for every table of `file`: first all
    of them at once by their fields (`_differing`), then each table that may differ by its JSON and,
    when that differs, by the canonical comparison (which sorts keys). `plain`: the expected model has
    no policy fields either, so whole tables are compared."""
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
        mine.model_dump_json(exclude=exclude) == theirs.model_dump_json(exclude=exclude)
        or canonical(schema, mine) == canonical(schema, theirs)
        for (schema, _, mine), (_, _, theirs) in (
            (want[i], got[i]) for i in sorted(_differing([t for *_, t in want], [t for *_, t in got], plain))
        )
    )


class _Compared(NamedTuple):
    """What the check compares of a model class: every field but its spans (and, against a model with
    the policy applied, the policy's fields), so models equal in these have equal JSON."""

    values: Callable[[dict[str, Any]], object]  # the plain fields' values, as one comparable value
    models: tuple[str, ...]  # a model (or None)
    model_lists: tuple[str, ...]  # a list of models


@cache
def _compared(kind: type[BaseModel], plain: bool) -> _Compared:
    ignored = {"span", "name_span"}  # the JSON leaves spans out; a table that moved is still equal
    if not plain:
        ignored.update(
            _POLICY_TABLE_FIELDS if kind is Table else _POLICY_COLUMN_FIELDS if kind is Column else ()
        )
    values: list[str] = []
    models: list[str] = []
    model_lists: list[str] = []
    for name, field in kind.model_fields.items():
        if name in ignored:
            continue
        annotation = field.annotation
        options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
        kinds = [option for option in options if option is not type(None)]
        if len(kinds) == 1 and _is_model(kinds[0]):
            models.append(name)
        elif get_origin(annotation) is list and _is_model(get_args(annotation)[0]):
            model_lists.append(name)
        else:  # compared with ==: a model inside some other container is then compared with its spans
            values.append(name)
    getter = itemgetter(*values) if values else (lambda _: ())
    return _Compared(getter, tuple(models), tuple(model_lists))


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


_fields_of = attrgetter("__dict__")  # a model's field values by name (faster than vars())


def _differing(mine: Sequence[BaseModel], theirs: Sequence[BaseModel], plain: bool) -> set[int]:
    """The positions at which `mine` and `theirs` (as long) may hold models that differ in what
    `_compared` names; at every other position the two are equal in it.

    A class at a time over the whole list, nested lists flattened, mostly in C loops: a model's
    `__eq__` is a Python call per column, and fails on every table that a patch moved a line."""
    # The same object is equal (a re-parse hands out the columns of blocks that did not move again).
    positions = list(compress(range(len(mine)), map(is_not, mine, theirs)))
    if not positions:
        return set()
    if len(positions) < len(mine):
        mine, theirs = [mine[i] for i in positions], [theirs[i] for i in positions]
    kinds = {*map(type, mine), *map(type, theirs)}
    if len(kinds) != 1:
        return set(positions)
    compared = _compared(kinds.pop(), plain)
    ones, others = list(map(_fields_of, mine)), list(map(_fields_of, theirs))
    if not compared.model_lists:
        # Equal field dicts (spans too, nested models by their __eq__) are equal; the rest are looked into.
        unequal = list(compress(range(len(ones)), map(ne, ones, others)))
        if not unequal:
            return set()
        ones, others = [ones[i] for i in unequal], [others[i] for i in unequal]
        positions = [positions[i] for i in unequal]
    return {positions[i] for i in _differing_fields(compared, ones, others, plain)}


def _differing_fields(
    compared: _Compared, ones: list[dict[str, Any]], others: list[dict[str, Any]], plain: bool
) -> set[int]:
    """`_differing` of models given by their field dicts."""
    differing: set[int] = set()
    values, other_values = list(map(compared.values, ones)), list(map(compared.values, others))
    if values != other_values:
        differing.update(compress(range(len(values)), map(ne, values, other_values)))
    for name in compared.models:
        get = itemgetter(name)
        models, other_models = list(map(get, ones)), list(map(get, others))
        present = list(map(is_not, models, repeat(None)))
        present_too = list(map(is_not, other_models, repeat(None)))
        if present != present_too:
            differing.update(compress(range(len(present)), map(ne, present, present_too)))
            present = list(map(and_, present, present_too))
        if any(present):
            positions = list(compress(range(len(present)), present))
            inner = _differing(list(compress(models, present)), list(compress(other_models, present)), plain)
            differing.update(positions[i] for i in inner)
    for name in compared.model_lists:
        get = itemgetter(name)
        lists, other_lists = list(map(get, ones)), list(map(get, others))
        lengths = list(map(len, lists))
        owners: Sequence[int] = range(len(lists))
        if lengths != list(map(len, other_lists)):
            same_length = list(map(eq, lengths, map(len, other_lists)))
            differing.update(compress(owners, map(not_, same_length)))
            owners = list(compress(owners, same_length))
            lists, other_lists = [lists[i] for i in owners], [other_lists[i] for i in owners]
            lengths = [lengths[i] for i in owners]
        inner = _differing(list(chain.from_iterable(lists)), list(chain.from_iterable(other_lists)), plain)
        if inner:
            owner_of = list(chain.from_iterable(map(repeat, owners, lengths)))
            differing.update(owner_of[i] for i in inner)
    return differing


def _verify(
    file: str, text: str, expected: Project, kind: str, dialect: str, default_schema: str, *, plain: bool
) -> ParsedErd:
    parsed = parse_erd(text, file, format=kind, dialect=dialect, default_schema=default_schema)
    actual = Project(name="erd", catalogs=[Catalog(name="catalog", schemas=parsed.schemas)])
    if not _same_erd_tables(expected, actual, file, plain=plain):
        difference = describe_difference(erd_tables(expected, file), erd_tables(actual, file))
        raise PatchVerificationError(
            f"the patched {file} does not re-parse to the intended model: {difference}",
            hint=f"the {kind} file was left unchanged; edit it by hand, or keep this table in another ERD format",
        )
    return parsed
