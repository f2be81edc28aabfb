"""The policy's `objects`: an owner and tags decided for one catalog, schema, table or column.

An entry wins over the `*_defaults` and over the ERD's own owner and tags (it is the later, explicit
decision: `set owner of` and `tag` write it). A key that names no object of the model, names several
kinds of object at once, or gives a column an owner is `policy.object`, at the entry.
"""

from __future__ import annotations

import difflib

from accelerator.model.copying import copied
from accelerator.model.elements import Catalog, Column, Project, Schema, Table
from accelerator.policy.policy import Policy
from accelerator.policy.reporting import Reporter
from accelerator.policy.schema import ObjectSettings

Target = Catalog | Schema | Table | Column


def apply_object_settings(project: Project, policy: Policy, reporter: Reporter) -> None:
    for key, settings in policy.spec.objects.items():
        span = policy.locations.keys.get(("objects", key)) or policy.locations.span(("objects", key))
        kinds = _matches(project, tuple(part.strip().lower() for part in key.split(".")))
        found = [(kind, targets) for kind, targets in kinds.items() if targets]
        if not found:
            close = difflib.get_close_matches(key.lower(), _names(project), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else "; rename or remove the entry"
            reporter.report(
                "policy.object",
                f"objects names {key}, which is not a catalog, schema, table or column of the model{hint}",
                span=span,
                object=key,
            )
            continue
        if len(found) > 1:
            reporter.report(
                "policy.object",
                f"objects names {key}, which is both a {found[0][0]} and a {found[1][0]}; "
                "qualify it with its catalog",
                span=span,
                object=key,
            )
            continue
        kind, targets = found[0]
        if kind == "column" and settings.owner is not None:
            reporter.report(
                "policy.object",
                f"objects gives the column {key} an owner; only catalogs, schemas and tables have one",
                span=policy.locations.span(("objects", key, "owner")) or span,
                object=key,
            )
        for target in targets:
            _apply(target, settings)


def _apply(target: Target, settings: ObjectSettings) -> None:
    if settings.owner is not None and not isinstance(target, Column):
        target.owner = settings.owner
    if settings.tags:
        target.tags = {**target.tags, **settings.tags}


def _matches(project: Project, parts: tuple[str, ...]) -> dict[str, list[Target]]:
    """The objects `parts` can name, by kind: a key may leave out the catalog."""
    found: dict[str, list[Target]] = {"catalog": [], "schema": [], "table": [], "column": []}
    for catalog in project.catalogs:
        c = catalog.name.lower()
        if parts == (c,):
            found["catalog"].append(catalog)
        for schema in catalog.schemas:
            s = schema.name.lower()
            if parts in ((s,), (c, s)):
                found["schema"].append(schema)
            for table in schema.tables:
                t = table.name.lower()
                if parts in ((s, t), (c, s, t)):
                    found["table"].append(table)
                for position, column in enumerate(table.columns):
                    if parts in ((s, t, column.name.lower()), (c, s, t, column.name.lower())):
                        # governance's copy owns the table's list, not its columns (a parse shares them)
                        table.columns[position] = column = copied(column)
                        found["column"].append(column)
    return found


def _names(project: Project) -> list[str]:
    names = [catalog.name for catalog in project.catalogs]
    for _, schema, table in project.iter_tables():
        names += [schema.name, f"{schema.name}.{table.name}"]
        names += [f"{schema.name}.{table.name}.{column.name}" for column in table.columns]
    return names
