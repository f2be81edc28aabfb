"""A catalog's managed location and isolation mode in the whole-model SQL and in Terraform's
`databricks_catalog`, only where the environment declares them."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from accelerator.model import Environment, Project
from accelerator.render import render_sql, render_terraform

from .render_fixtures import governed_project

ROOT_TEMPLATE = "abfss://uc@acme.dfs.core.windows.net/{env}/{domain}"


def located_project() -> Project:
    project = governed_project()
    project.environments = [
        Environment(name="dev"),
        Environment(name="prod", storage_root=ROOT_TEMPLATE, isolation_mode="ISOLATED"),
    ]
    return project


def test_the_sql_creates_a_catalog_at_its_managed_location() -> None:
    project = located_project()
    prod = render_sql(project, "prod")["prod_retail.sql"].splitlines()
    assert prod[2] == (
        "CREATE CATALOG IF NOT EXISTS `prod_retail` MANAGED LOCATION "
        "'abfss://uc@acme.dfs.core.windows.net/prod/retail' COMMENT 'Sample domain';"
    )
    dev = render_sql(project, "dev")["dev_retail.sql"]
    assert "MANAGED LOCATION" not in dev
    assert dev == render_sql(governed_project(), "dev")["dev_retail.sql"]  # undeclared: unchanged


def test_a_quote_in_a_model_location_stays_inside_the_literal() -> None:
    """The policy refuses such a location; a model built otherwise is still quoted."""
    project = governed_project()
    project.environments = [Environment(name="dev", storage_root="s3://b/it's")]
    line = render_sql(project, "dev")["dev_retail.sql"].splitlines()[2]
    assert "MANAGED LOCATION 's3://b/it\\'s'" in line


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, Any]]:
    if shutil.which("node") is None:
        pytest.skip("cdktn needs Node.js")
    files = render_terraform(located_project(), ["dev", "prod"])
    found = {}
    for env in ("dev", "prod"):
        document = json.loads(files[f"{env}/cdk.tf.json"])
        (catalog,) = document["resource"]["databricks_catalog"].values()
        found[env] = catalog
    return found


def test_terraform_declares_the_location_and_isolation_where_declared(
    catalogs: dict[str, dict[str, Any]],
) -> None:
    assert catalogs["prod"]["storage_root"] == "abfss://uc@acme.dfs.core.windows.net/prod/retail"
    assert catalogs["prod"]["isolation_mode"] == "ISOLATED"
    assert "storage_root" not in catalogs["dev"] and "isolation_mode" not in catalogs["dev"]


def test_a_template_character_in_a_location_is_not_a_terraform_reference() -> None:
    if shutil.which("node") is None:
        pytest.skip("cdktn needs Node.js")
    project = governed_project()
    root = "s3://b/${{var.x}}/{domain}"  # {{ }}: a literal brace in a template
    project.environments = [Environment(name="dev", storage_root=root)]
    document = json.loads(render_terraform(project, ["dev"])["dev/cdk.tf.json"])
    (catalog,) = document["resource"]["databricks_catalog"].values()
    assert catalog["storage_root"] == "s3://b/$${var.x}/retail"
