"""A catalog's managed location and isolation mode per environment: declared in the policy's
`environments`, carried by the model, diffed (TF102 destructive, TF103 attention), replayed, and
written by the migrations (`CREATE CATALOG ... MANAGED LOCATION`) when SQL creates catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelerator.errors import PolicyError
from accelerator.generate import ErdInput, PolicyInput, govern_inputs
from accelerator.model import canonical_dict
from accelerator.model.copying import deep_copied
from accelerator.model.elements import Catalog, Environment, Project, Schema
from accelerator.plan import apply_changes, diff, migration_sql
from accelerator.plan import changes as c
from accelerator.plan.migrations import changes_in
from accelerator.policy.loader import parse_policy
from accelerator.render.model_json import render_model_json
from tests.plan.sql_check import assert_valid

ROOT = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"
LOCATED = """environments:
  dev:
    catalog: '{env}_{domain}'
  staging: {}
  prod:
    catalog: '{env}_{domain}'
    storage_root: 's3://acme-uc-prod/{domain}'
    isolation_mode: ISOLATED
"""
# Databricks' CREATE CATALOG, which sqlglot reads only as a command: the form is checked instead.
CREATE_CATALOG = re.compile(r"CREATE CATALOG `[a-z_]+`( MANAGED LOCATION '[^'\\]+')?( COMMENT '[^'\\]*')?")


def governed(environments: str) -> Project:
    policy = (ROOT / POLICY).read_text(encoding="utf-8")
    start = policy.index("environments:")
    end = policy.index("\ngrants:", start)
    text = policy[:start] + environments + policy[end:]
    erd = ErdInput(ERD, (ROOT / ERD).read_text(encoding="utf-8"), "retail")
    return govern_inputs("retail", [erd], PolicyInput(POLICY, text)).project


def shop(prod: Environment) -> Project:
    return Project(
        name="shop",
        catalogs=[Catalog(name="shop", comment="Shop", schemas=[Schema(name="sales")])],
        environments=[Environment(name="dev"), prod],
    )


def test_the_policy_declares_a_location_per_environment() -> None:
    project = governed(LOCATED)
    dev, _staging, prod = project.environments
    assert (dev.storage_root, dev.isolation_mode) == (None, None)
    assert (prod.storage_root, prod.isolation_mode) == ("s3://acme-uc-prod/{domain}", "ISOLATED")
    assert prod.catalog_storage_root("retail") == "s3://acme-uc-prod/retail"
    assert dev.catalog_storage_root("retail") is None


def test_model_json_names_a_location_only_where_declared() -> None:
    located = governed(LOCATED)
    plain = governed(
        LOCATED.replace("    storage_root: 's3://acme-uc-prod/{domain}'\n", "").replace(
            "    isolation_mode: ISOLATED\n", ""
        )
    )
    environments = canonical_dict(located)["environments"]
    assert environments[2]["storage_root"] == "s3://acme-uc-prod/{domain}"
    assert "storage_root" not in environments[0] and "isolation_mode" not in environments[0]
    assert "storage_root" not in render_model_json(plain)  # a model without one is unchanged


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'/mnt/data/{domain}'", "is not a cloud storage location"),
        ('"s3://bucket/x\'; DROP CATALOG y; --"', "is not a cloud storage location"),
        ("'s3://bucket/{schema}'", "unknown placeholder {schema}"),
    ],
)
def test_a_bad_location_is_refused_at_its_line(value: str, message: str) -> None:
    text = f"environments:\n  prod:\n    storage_root: {value}\n"
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "policies/governance.yaml")
    assert message in str(raised.value)
    assert "policies/governance.yaml:3" in str(raised.value)


def test_an_isolation_mode_is_open_or_isolated() -> None:
    with pytest.raises(PolicyError, match="OPEN"):
        parse_policy("environments:\n  prod:\n    isolation_mode: private\n", "p.yaml")


def test_a_new_catalog_is_created_at_its_location_when_sql_creates_catalogs() -> None:
    prod = Environment(name="prod", storage_root="abfss://uc@acme.dfs.core.windows.net/{env}/{domain}")
    project = shop(prod)
    changes = diff(Project(name="shop", environments=project.environments), project)
    statements = migration_sql(changes, prod)
    assert statements[0] == (
        "CREATE CATALOG `prod_shop` MANAGED LOCATION 'abfss://uc@acme.dfs.core.windows.net/prod/shop' "
        "COMMENT 'Shop'"
    )
    assert CREATE_CATALOG.fullmatch(statements[0])
    for statement in statements[1:]:
        assert_valid(statement)
    assert migration_sql(changes, prod, terraform=True) == []  # Terraform's storage_root creates it
    assert migration_sql(changes, Environment(name="dev"))[0] == "CREATE CATALOG `dev_shop` COMMENT 'Shop'"


@pytest.mark.parametrize(
    ("before", "after", "code", "risk"),
    [
        ({}, {"storage_root": "s3://b/{domain}"}, "TF102", "destructive"),
        ({"storage_root": "s3://b/{domain}"}, {"storage_root": "s3://c/{domain}"}, "TF102", "destructive"),
        ({"storage_root": "s3://b/{domain}"}, {}, "TF102", "destructive"),
        ({}, {"isolation_mode": "ISOLATED"}, "TF103", "attention"),
        ({"isolation_mode": "ISOLATED"}, {"isolation_mode": "OPEN"}, "TF103", "attention"),
    ],
)
def test_a_changed_location_or_isolation_is_flagged_and_replayed(
    before: dict[str, str], after: dict[str, str], code: str, risk: str
) -> None:
    previous = shop(Environment(name="prod", **before))  # type: ignore[arg-type]
    current = deep_copied(previous)
    current.environments[1] = Environment(name="prod", **after)  # type: ignore[arg-type]
    (change,) = diff(previous, current)
    assert (change.code, change.risk) == (code, risk)
    assert isinstance(change, (c.SetCatalogStorage, c.SetCatalogIsolation))
    assert change.name == "prod" and change.describe().startswith(change.title + ": prod ")
    assert canonical_dict(apply_changes(previous, [change])) == canonical_dict(current)
    assert migration_sql([change], current.environments[1]) == []  # SQL cannot move a catalog


def test_an_added_environment_keeps_its_location() -> None:
    previous = Project(name="shop", environments=[Environment(name="dev")])
    current = deep_copied(previous)
    current.environments.append(
        Environment(name="prod", storage_root="gs://b/{domain}", isolation_mode="OPEN")
    )
    (change,) = diff(previous, current)
    assert change.code == "EN001"
    assert canonical_dict(apply_changes(previous, [change])) == canonical_dict(current)


def test_naming_and_location_changed_together_are_two_changes() -> None:
    previous = shop(Environment(name="prod"))
    current = deep_copied(previous)
    current.environments[1] = Environment(
        name="prod", catalog_template="{domain}_{env}", storage_root="r2://b/x"
    )
    assert [change.code for change in diff(previous, current)] == ["TF101", "TF102"]


def test_an_environments_catalog_settings_are_in_its_own_migrations_only() -> None:
    previous = shop(Environment(name="prod"))
    current = deep_copied(previous)
    current.environments[1] = Environment(
        name="prod", catalog_template="{domain}_{env}", storage_root="r2://b/x", isolation_mode="ISOLATED"
    )
    changes = diff(previous, current)
    assert [change.code for change in changes_in(changes, "prod")] == ["TF101", "TF102", "TF103"]
    assert changes_in(changes, "dev") == []  # prod's catalogs are not dev's to gate
