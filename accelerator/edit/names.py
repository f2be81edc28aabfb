"""Find model objects by the names a user writes: which catalog, schema, table and column they mean.

Names are matched case-insensitively, like Unity Catalog's. A short name is fine when it is
unique (`customers`); when two schemas have it, the user is asked to qualify it. A name that is
not found is an `UnknownObjectError` naming the closest match, so a typo costs one reply.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Literal, NoReturn, TypeVar

from accelerator.errors import AmbiguousObjectError, UnknownObjectError
from accelerator.model.elements import Catalog, Column, Project, Schema, Table

ObjectKind = Literal["catalog", "schema", "table", "column"]
TableRef = tuple[Catalog, Schema, Table]
T = TypeVar("T")


class ModelNames:
    """Finds model objects by the names a user writes."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.several_catalogs = len(project.catalogs) > 1

    def qualified_table(self, ref: TableRef) -> str:
        catalog, schema, table = ref
        return (
            f"{catalog.name}.{schema.name}.{table.name}"
            if self.several_catalogs
            else f"{schema.name}.{table.name}"
        )

    def qualified_schema(self, catalog: Catalog, schema: Schema) -> str:
        return f"{catalog.name}.{schema.name}" if self.several_catalogs else schema.name

    def table(self, name: str) -> TableRef:
        parts = name.lower().split(".")
        refs = self.project.iter_tables()
        found = [ref for ref in refs if _suffix_matches([o.name for o in ref], parts)]
        if len(found) == 1:
            return found[0]
        if found:
            names = [self.qualified_table(ref) for ref in found]
            raise AmbiguousObjectError(
                f"table `{name}` is ambiguous: there is {_join(names)}",
                candidates=names,
                hint=f"qualify it, e.g. `{names[0]}`",
            )
        hint = self._other_kind_hint(name, "table")
        by_written_form = {".".join(o.name for o in ref[3 - len(parts) :]): ref for ref in refs}
        known = [self.qualified_table(ref) for ref in refs]
        _not_found("table", name, by_written_form, self.qualified_table, known, hint)

    def column(self, ref: TableRef, name: str) -> Column:
        table = ref[2]
        column = table.column(name)
        if column is not None:
            return column
        where = self.qualified_table(ref)
        close = difflib.get_close_matches(name.lower(), [c.name.lower() for c in table.columns], n=1)
        suggestion = next((c.name for c in table.columns if close and c.name.lower() == close[0]), None)
        message = f"column `{name}` not found in {where}"
        message += f"; did you mean `{suggestion}`?" if suggestion else ""
        raise UnknownObjectError(
            message,
            kind="column",
            name=name,
            suggestions=[suggestion] if suggestion else [],
            hint=f"columns of {where}: {', '.join(c.name for c in table.columns) or 'none'}",
        )

    def schema(self, name: str) -> tuple[Catalog, Schema]:
        parts = name.lower().split(".")
        pairs = [(c, s) for c in self.project.catalogs for s in c.schemas]
        found = [(c, s) for c, s in pairs if _suffix_matches([c.name, s.name], parts)]
        if len(found) == 1:
            return found[0]
        if found:
            names = [self.qualified_schema(c, s) for c, s in found]
            raise AmbiguousObjectError(
                f"schema `{name}` is ambiguous: there is {_join(names)}",
                candidates=names,
                hint=f"qualify it, e.g. `{names[0]}`",
            )
        by_written_form = {".".join(o.name for o in pair[2 - len(parts) :]): pair for pair in pairs}
        known = [self.qualified_schema(c, s) for c, s in pairs]
        hint = self._other_kind_hint(name, "schema")
        _not_found("schema", name, by_written_form, lambda p: self.qualified_schema(*p), known, hint)

    def catalog(self, name: str) -> Catalog:
        catalog = self.project.catalog(name)
        if catalog is not None:
            return catalog
        for environment in self.project.environments:  # a physical name such as `prod_retail`
            for candidate in self.project.catalogs:
                if environment.catalog_name(candidate).lower() == name.lower():
                    raise UnknownObjectError(
                        f"catalog `{name}` not found; did you mean `{candidate.name}`?",
                        kind="catalog",
                        name=name,
                        suggestions=[candidate.name],
                        hint=f"`{name}` is `{candidate.name}` in {environment.name}: name the catalog "
                        f"`{candidate.name}` and add `in {environment.name}`",
                    )
        by_name = {c.name: c for c in self.project.catalogs}
        _not_found("catalog", name, by_name, lambda c: c.name, list(by_name), None)

    def environment(self, name: str | None) -> str | None:
        if name is None or self.project.environment(name) is not None:
            return name
        names = [e.name for e in self.project.environments]
        close = difflib.get_close_matches(name, names, n=1)
        raise UnknownObjectError(
            f"environment `{name}` not found" + (f"; did you mean `{close[0]}`?" if close else ""),
            kind="environment",
            name=name,
            suggestions=close,
            hint=f"environments: {', '.join(names)}",
        )

    def kinds_named(self, name: str) -> list[ObjectKind]:
        """Which kinds of securable `name` matches (used to infer what `set owner of X` means)."""
        kinds: list[ObjectKind] = []
        parts = name.lower().split(".")
        if len(parts) == 1 and self.project.catalog(name) is not None:
            kinds.append("catalog")
        pairs = [(c, s) for c in self.project.catalogs for s in c.schemas]
        if len(parts) <= 2 and any(_suffix_matches([c.name, s.name], parts) for c, s in pairs):
            kinds.append("schema")
        if any(_suffix_matches([o.name for o in ref], parts) for ref in self.project.iter_tables()):
            kinds.append("table")
        return kinds

    def table_or_column(self, table: str, column: str | None) -> tuple[TableRef, Column | None]:
        """A comment or tag target. Without an explicit column, `a.b` is a table if there is one, else
        the column `b` of table `a` (the parser cannot tell them apart; the model can)."""
        if column is not None:
            ref = self.table(table)
            return ref, self.column(ref, column)
        parts = table.split(".")
        try:
            return self.table(table), None
        except UnknownObjectError as not_a_table:
            if len(parts) == 1:
                raise
            try:
                ref = self.table(".".join(parts[:-1]))
            except UnknownObjectError:
                raise not_a_table from None
            return ref, self.column(ref, parts[-1])

    def securable_kind(self, securable: str) -> ObjectKind:
        """What `set owner of X` means when it does not say: the one kind of securable named X."""
        kinds = self.kinds_named(securable)
        if len(kinds) == 1:
            return kinds[0]
        if kinds:
            raise AmbiguousObjectError(
                f"`{securable}` is both a {' and a '.join(kinds)}",
                candidates=[f"{kind} {securable}" for kind in kinds],
                hint=f"say which, e.g. `set owner of {kinds[0]} {securable} to ...`",
            )
        return "table"  # not found: the table lookup reports the closest names

    def _other_kind_hint(self, name: str, kind: ObjectKind) -> str | None:
        others = [other for other in self.kinds_named(name) if other != kind]
        return f"`{name}` is a {others[0]}, not a {kind}" if others else None


def _suffix_matches(names: list[str], parts: list[str]) -> bool:
    return len(parts) <= len(names) and [n.lower() for n in names[len(names) - len(parts) :]] == parts


def _join(names: list[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _not_found(
    kind: ObjectKind,
    name: str,
    by_written_form: dict[str, T],
    qualify: Callable[[T], str],
    known: list[str],
    hint: str | None,
) -> NoReturn:
    """Raise `UnknownObjectError` with the closest name written the same way (`custmers` is
    compared with table names, `crm.custmers` with `schema.table` names)."""
    lowered = {written.lower(): value for written, value in by_written_form.items()}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    suggestions = [qualify(lowered[match]) for match in close]
    message = f"{kind} `{name}` not found"
    if suggestions:
        message += f"; did you mean `{suggestions[0]}`?"
    listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    raise UnknownObjectError(
        message,
        kind=kind,
        name=name,
        suggestions=suggestions,
        hint=hint or (f"{kind}s: {listing}" if known else f"the model has no {kind}s"),
    )
