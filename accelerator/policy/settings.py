"""Policy settings copied onto the model: environments, deployment, and default owners, tags,
table properties and clustering. Values written in the ERD win over defaults; the policy's
`objects` entries win over both."""

from __future__ import annotations

from accelerator.model.elements import Environment, Project
from accelerator.policy.identifiers import uc_name_problem
from accelerator.policy.object_settings import apply_object_settings
from accelerator.policy.policy import Policy
from accelerator.policy.reporting import Reporter


def apply_settings(project: Project, policy: Policy, reporter: Reporter) -> None:
    spec = policy.spec
    if spec.environments is not None:
        project.environments = [
            Environment(
                name=name,
                catalog_template=env.catalog,
                storage_root=env.storage_root,
                isolation_mode=env.isolation_mode,
                span=policy.locations.keys.get(("environments", name)),
            )
            for name, env in spec.environments.items()
        ]
        _check_catalog_names(project, policy, reporter)
    if spec.deployment is not None:
        project.deployment = spec.deployment.model_copy()
    _apply_defaults(project, policy)
    apply_object_settings(project, policy, reporter)


def _check_catalog_names(project: Project, policy: Policy, reporter: Reporter) -> None:
    """The physical catalog names the templates produce must be valid Unity Catalog names too."""
    for environment in project.environments:
        for catalog in project.catalogs:
            physical = environment.catalog_name(catalog)
            problem = uc_name_problem(physical)
            if problem:
                rule, text = problem
                reporter.report(
                    rule,
                    f"catalog name {physical!r} (environment {environment.name}) {text}",
                    span=policy.locations.span(("environments", environment.name, "catalog")),
                    object=catalog.name,
                )


def _apply_defaults(project: Project, policy: Policy) -> None:
    spec = policy.spec
    catalog_defaults, schema_defaults, table_defaults = (
        spec.catalog_defaults,
        spec.schema_defaults,
        spec.table_defaults,
    )
    for catalog in project.catalogs:
        names = {"catalog": catalog.name, "schema": "", "table": ""}
        if catalog.owner is None and catalog_defaults.owner:
            catalog.owner = catalog_defaults.owner.format(**names)
        catalog.tags = {**_filled(catalog_defaults.tags, names), **catalog.tags}
        for schema in catalog.schemas:
            names["schema"] = schema.name
            if schema.owner is None and schema_defaults.owner:
                schema.owner = schema_defaults.owner.format(**names)
            schema.tags = {**_filled(schema_defaults.tags, names), **schema.tags}
            for table in schema.tables:
                names["table"] = table.name
                if table.owner is None and table_defaults.owner:
                    table.owner = table_defaults.owner.format(**names)
                table.tags = {**_filled(table_defaults.tags, names), **table.tags}
                table.properties = {**table_defaults.properties, **table.properties}
                if not table.cluster_by and not table.cluster_by_auto:
                    if table_defaults.cluster_by == "auto":
                        table.cluster_by_auto = True
                    elif table_defaults.cluster_by == "primary_key" and table.primary_key:
                        table.cluster_by = list(table.primary_key.columns)


def _filled(templates: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    return {key: value.format(**names) for key, value in templates.items()} if templates else {}
