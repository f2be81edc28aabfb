"""Databricks SQL for one environment: one file per catalog, `<physical catalog>.sql`.

Layout of a file (every statement is idempotent, so a file can be applied again):

1. `CREATE CATALOG IF NOT EXISTS` (managed location when the environment declares one, comment),
   its owner and tags;
2. per schema (sorted by name): `CREATE SCHEMA IF NOT EXISTS` (comment), owner, tags; plus the
   `deployment.masks_schema` when the model does not declare it;
3. the column mask functions (`CREATE OR REPLACE FUNCTION`);
4. when `deployment.tables_in == "sql"`: per table `CREATE TABLE IF NOT EXISTS` (columns, PK,
   comment, CLUSTER BY, TBLPROPERTIES);
5. per table the governance Terraform's `databricks_sql_table` cannot express: CHECK constraints
   for allowed values, owner (SQL tables only), tags, column tags and column masks;
   with `tables_in == "terraform"` also the primary key, which foreign keys need;
6. foreign keys, once every table exists (drop-if-exists then add, to stay re-runnable);
7. when `deployment.grants_in` is `sql` or `both`: the grants of this environment on the catalog,
   the schemas and the tables.

File names are slugs of the physical catalog name (`naming.slug`), so a hostile name cannot escape
the directory.

A re-render reuses each unchanged table's statements (its part of sections 4 to 7): the macros
`table_statements`, `table_foreign_keys` and `grants` render them once into a `TableSql`, a
`sql_context.SQL_TABLES` piece kept under the table's content and its `sql_context.TablePlace` (the
physical catalog, the schema, the environment, the deployment settings and the macros: a template
edited on disk is reloaded by jinja as a new object, which gets a renderer of its own). A foreign key
renders from its own names, not from the table it references. The rest of the file (catalog,
schemas, mask functions, the layout) is rendered every time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from accelerator.errors import RenderError
from accelerator.model.elements import Project
from accelerator.model.mask_sql import mask_function_sql
from accelerator.model.sql_quoting import quote_identifier, quote_literal
from accelerator.render.cache import render_pass
from accelerator.render.environments import environment_named
from accelerator.render.naming import file_stem
from accelerator.render.sql_context import TableContext, TableRenderer, catalog_context
from accelerator.templates import TEMPLATES_DIR

CATALOG_TEMPLATE = "sql/catalog.sql.j2"
MACROS_TEMPLATE = "sql/macros.sql.j2"


def _identifier_list(names: list[str]) -> str:
    return ", ".join(quote_identifier(name) for name in names)


def _literal_list(values: list[str]) -> str:
    return ", ".join(quote_literal(value) for value in values)


@lru_cache(maxsize=1)
def sql_templates() -> jinja2.Environment:
    """Compiled once per process: loading and compiling the templates dominates a small render."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # SQL, not HTML: quoting is done by the ident/literal filters
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["ident"] = quote_identifier
    environment.filters["literal"] = quote_literal
    environment.filters["ident_list"] = _identifier_list
    environment.filters["literal_list"] = _literal_list
    environment.globals["mask_function_sql"] = mask_function_sql  # one definition, migrations' too
    return environment


def render_sql(project: Project, env: str) -> dict[str, str]:
    """`{"<physical catalog>.sql": text}` for environment `env`, sorted by file name."""
    environment = environment_named(project, env)
    templates = sql_templates()
    template = templates.get_template(CATALOG_TEMPLATE)
    macros = templates.get_template(MACROS_TEMPLATE)
    render_table = _table_renderer(macros)
    files: dict[str, str] = {}
    with render_pass():
        for catalog in project.catalogs:
            context = catalog_context(catalog, environment, project.deployment, render_table)
            path = f"{file_stem(context.name)}.sql"
            if path in files:
                raise RenderError(
                    f"two catalogs map to the same SQL file {path!r} in environment {env!r}",
                    hint="check the policy's catalog naming template: each domain needs its own catalog",
                )
            files[path] = template.render(catalog=context)
    return dict(sorted(files.items()))


@lru_cache(maxsize=8)
def _table_renderer(template: jinja2.Template) -> TableRenderer:
    """One renderer per macros template object: it is part of the key of the pieces it renders."""
    macros: Any = template.module  # the macros are attributes jinja makes at load time

    def render(table: TableContext) -> tuple[str, str, str]:
        return (
            str(macros.table_statements(table)),
            str(macros.table_foreign_keys(table)),
            str(macros.grants("TABLE", table.path, table.grants)),
        )

    return render
