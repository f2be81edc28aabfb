"""Terraform JSON per environment, synthesized with cdktn: `{"<env>/cdk.tf.json": text}`.

One stack per environment, all in one App and one synth. Each stack has the `databricks` provider
(no credentials: unified auth from the environment), its state backend (`terraform_backend.py`), a
`databricks_catalog` per catalog (with the environment's `storage_root` and `isolation_mode` when
the policy declares them), a `databricks_schema` per schema, `databricks_grants` per securable
that has grants in that environment when `deployment.grants_in` is `terraform` or `both`
(databricks_grants is authoritative, so a securable without grants gets no resource rather than an
empty one that would revoke everything), and `databricks_sql_table` per table when
`deployment.tables_in == "terraform"`.

User-written text never passes through cdktn: it would resolve `${TfToken[...]}` inside a comment
into a live reference. Resources get unguessable placeholders instead, which are replaced after
synthesis by the text with Terraform's template characters escaped (`${` -> `$${`, `%{` -> `%%{`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from accelerator.errors import RenderError, ToolMissingError
from accelerator.model.elements import Catalog, Environment, Project, Schema, Table
from accelerator.model.sql_quoting import checked_type
from accelerator.render.effective_grants import grants_for_environment
from accelerator.render.environments import environment_named
from accelerator.render.naming import resource_id, slug
from accelerator.render.sql_context import sorted_by_name
from accelerator.render.terraform_backend import add_backend

# jsii prints a large banner for Node releases it does not list as current; the end-of-life switch
# takes the major versions to silence, the others any value.
_JSII_SILENCERS = {
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": ",".join(str(major) for major in range(12, 41)),
}


def render_terraform(
    project: Project, envs: list[str], *, backend: dict[str, dict[str, object]] | None = None
) -> dict[str, str]:
    environments = [environment_named(project, env) for env in envs]
    stack_ids = [slug(environment.name) for environment in environments]
    if len(set(stack_ids)) != len(stack_ids):
        raise RenderError(
            "two environments have the same Terraform stack name: " + ", ".join(envs),
            hint="give each environment a distinct name",
        )
    texts = _UserTexts()
    by_id = dict(zip(stack_ids, environments, strict=True))

    def build(modules: Mapping[str, Any], stack: Any, stack_id: str) -> None:
        modules["provider"].DatabricksProvider(stack, "databricks")
        _EnvironmentStack(dict(modules), stack, project, by_id[stack_id], texts).build()

    raw = synth_stacks([(stack_id, by_id[stack_id].name) for stack_id in stack_ids], build, backend=backend)
    return {f"{stack_id}/cdk.tf.json": texts.finish(raw[stack_id]) for stack_id in sorted(stack_ids)}


StackBuilder = Callable[[Mapping[str, Any], Any, str], None]  # (load_cdktn's modules, the stack, its id)


def synth_stacks(
    stacks: Sequence[tuple[str, str]],
    build: StackBuilder,
    *,
    backend: dict[str, dict[str, object]] | None,
    context: dict[str, Any] | None = None,
    required_version: str | None = None,
) -> dict[str, str]:
    """cdktn's synthesis of one App: per (stack id, environment name) a TerraformStack with its
    state backend (`add_backend`), filled by `build`; each stack's cdk.tf.json text by id. `context`
    is the App's (e.g. targetVersions); `required_version` pins `terraform.required_version`."""
    modules = load_cdktn()
    cdktn = modules["cdktn"]
    with tempfile.TemporaryDirectory(prefix="accelerator-cdktn-") as outdir:
        app = cdktn.App(outdir=outdir, context=context) if context else cdktn.App(outdir=outdir)
        for stack_id, environment in stacks:
            stack = cdktn.TerraformStack(app, stack_id)
            if required_version:
                stack.add_override("terraform.required_version", required_version)
            add_backend(cdktn, stack, environment, stack_id, backend)
            build(modules, stack, stack_id)
        app.synth()
        return {
            stack_id: (Path(outdir) / "stacks" / stack_id / "cdk.tf.json").read_text(encoding="utf-8")
            for stack_id, _ in stacks
        }


def load_cdktn() -> dict[str, Any]:
    """Import cdktn (slow, and it starts Node.js) only when Terraform is rendered."""
    if shutil.which("node") is None:
        raise ToolMissingError(
            "Node.js is required to synthesize Terraform with cdktn",
            hint="install Node.js 20+ (e.g. apt-get install nodejs, or https://nodejs.org) "
            "or run `accelerator generate --no-terraform`",
        )
    for name, value in _JSII_SILENCERS.items():
        current = os.environ.get(name)
        if not current:
            os.environ[name] = value
        elif name.endswith("END_OF_LIFE_NODE_VERSION") and not current.endswith(value):
            os.environ[name] = f"{current},{value}"  # a list of majors: keep the caller's, add ours once
    import cdktn
    from cdktn_provider_databricks import catalog, grants, provider, schema, sql_table

    return {
        "cdktn": cdktn,
        "provider": provider,
        "catalog": catalog,
        "schema": schema,
        "grants": grants,
        "sql_table": sql_table,
    }


class _UserTexts:
    """Placeholders for user-written text, replaced in the synthesized JSON (see the module doc)."""

    def __init__(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._values: list[str] = []
        self._pattern = re.compile(rf"@@{self._nonce}:(\d+)@@")

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        self._values.append(text)
        return f"@@{self._nonce}:{len(self._values) - 1}@@"

    def required(self, text: str) -> str:
        placeholder = self(text)
        assert placeholder is not None
        return placeholder

    def finish(self, synthesized: str) -> str:
        document = self._substitute(json.loads(synthesized))
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def _substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._pattern.sub(lambda m: _escape_template(self._values[int(m.group(1))]), value)
        if isinstance(value, dict):  # map keys too: table properties are user-written
            return {self._substitute(key): self._substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._substitute(item) for item in value]
        return value


def _escape_template(text: str) -> str:
    """Terraform reads `${...}` and `%{...}` in any JSON string as a template; `$${` is a literal `${`."""
    return text.replace("${", "$${").replace("%{", "%%{")


class _EnvironmentStack:
    def __init__(
        self,
        modules: dict[str, Any],
        stack: Any,
        project: Project,
        environment: Environment,
        texts: _UserTexts,
    ) -> None:
        self.modules = modules
        self.stack = stack
        self.project = project
        self.environment = environment
        self.text = texts
        self.with_grants = project.deployment.grants_in in ("terraform", "both")
        self.with_tables = project.deployment.tables_in == "terraform"

    def build(self) -> None:
        for catalog in sorted(self.project.catalogs, key=lambda c: (c.name.lower(), c.name)):
            self._catalog(catalog)

    def _catalog(self, catalog: Catalog) -> None:
        physical = self.environment.catalog_name(catalog)
        resource = self.modules["catalog"].Catalog(
            self.stack,
            resource_id("catalog", catalog.name),
            name=self.text(physical),
            comment=self.text(catalog.comment),
            owner=self.text(catalog.owner),
            storage_root=self.text(self.environment.catalog_storage_root(catalog)),
            isolation_mode=self.environment.isolation_mode,
        )
        self._grants(catalog, ("catalog", catalog.name), catalog=resource.name)
        for schema in sorted_by_name(catalog.schemas):
            self._schema(catalog, schema, resource)

    def _schema(self, catalog: Catalog, schema: Schema, catalog_resource: Any) -> None:
        resource = self.modules["schema"].Schema(
            self.stack,
            resource_id("schema", catalog.name, schema.name),
            catalog_name=catalog_resource.name,
            name=self.text.required(schema.name),
            comment=self.text(schema.comment),
            owner=self.text(schema.owner),
        )
        self._grants(schema, ("schema", catalog.name, schema.name), schema=resource.id)
        for table in sorted_by_name(schema.tables):
            ids = (catalog.name, schema.name, table.name)
            if self.with_tables:
                full_name = self._table(table, ids, catalog_resource, resource).id
            else:
                full_name = f"{resource.id}.{self.text.required(table.name)}"
            self._grants(table, ("table", *ids), table=full_name)

    def _table(
        self, table: Table, ids: tuple[str, str, str], catalog_resource: Any, schema_resource: Any
    ) -> Any:
        module = self.modules["sql_table"]
        columns = [
            module.SqlTableColumn(
                name=self.text.required(column.name),
                type=checked_type(column.type, column.span),
                comment=self.text(column.comment),
                nullable=column.nullable,
                identity=None
                if column.identity is None
                else ("always" if column.identity.always else "default"),
            )
            for column in table.columns
        ]
        return module.SqlTable(
            self.stack,
            resource_id("table", *ids),
            catalog_name=catalog_resource.name,
            schema_name=schema_resource.name,
            name=self.text.required(table.name),
            table_type="MANAGED",
            data_source_format="DELTA",
            column=columns,
            comment=self.text(table.comment),
            owner=self.text(table.owner),
            properties={
                self.text.required(k): self.text.required(v) for k, v in sorted(table.properties.items())
            }
            or None,
            cluster_keys=[self.text.required(key) for key in table.cluster_by] or None,
        )

    def _grants(self, holder: Catalog | Schema | Table, ids: tuple[str, ...], **securable: str) -> None:
        if not self.with_grants:
            return
        grants = grants_for_environment(holder.grants, self.environment.name)
        if not grants:
            return
        module = self.modules["grants"]
        module.Grants(
            self.stack,
            resource_id("grants", *ids),
            grant=[
                module.GrantsGrant(principal=self.text.required(g.principal), privileges=list(g.privileges))
                for g in grants
            ],
            **securable,
        )
