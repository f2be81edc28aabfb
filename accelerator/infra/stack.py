"""The bot's own deployment as one cdktn stack: Lakebase memory, the Databricks App, the identities.

Resources (Terraform names `databricks_*`):

- memory, Lakebase Autoscaling (default): `postgres_project` (no native password login) ->
  `postgres_branch` (protected, no expiry) -> `postgres_endpoint` (the read-write primary, its
  compute units) -> `postgres_database` -> `postgres_catalog` (the database in Unity Catalog);
  Lakebase Provisioned: `database_instance` (no native password login) ->
  `database_database_catalog` (creates the database and registers it);
- the GitHub App's private key: `secret_scope` + `secret` whose value is the write-only
  `string_value_wo`, fed by an ephemeral, sensitive variable: it is never in the plan or the state;
- the bot: `app` running `accelerator serve --pull` (app.yaml), with the memory database as a
  resource (CAN_CONNECT_AND_CREATE: the App sets PGHOST, PGUSER, PGDATABASE, PGPORT, PGSSLMODE) and
  the secret as a resource (READ); the App's own service principal is the bot's identity, and on
  Autoscaling its Postgres role is declared (`postgres_role`, SERVICE_PRINCIPAL, LAKEBASE_OAUTH_V1);
- CI: `service_principal` + one `service_principal_federation_policy` per protected GitHub
  environment (account-level provider), membership of the catalogs' owner group
  (`group_member`) and/or MANAGE on each managed catalog (`grant`), and CAN_USE on the SQL
  warehouse (`permissions`).

Lakebase runs one operation at a time per branch, so the endpoint, the database and the role are
chained by references or `depends_on`. Every user value was validated by `config.py` (no `$`, `%`,
`{`, `}`), so it cannot become a cdktn token or a Terraform template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from accelerator.infra.app_files import MEMORY_RESOURCE, SECRET_RESOURCE
from accelerator.infra.config import InfraConfig
from accelerator.infra.github import GITHUB_APP_EVENTS, GITHUB_APP_PERMISSIONS, OIDC_ISSUER
from accelerator.render.terraform import synth_stacks

STACK_ID = "accelerator_bot"
TERRAFORM_VERSION = ">=1.11.0"
PRIVATE_KEY_VARIABLE = "github_app_private_key"


def synthesize_infra(config: InfraConfig) -> str:
    """The stack's Terraform JSON (`cdk.tf.json`), keys sorted."""

    def build(modules: Mapping[str, Any], stack: Any, stack_id: str) -> None:
        _BotStack(modules["cdktn"], stack, config).build()

    # the private key's write-only argument and ephemeral variable need Terraform 1.11
    texts = synth_stacks(
        [(STACK_ID, "bot")],
        build,
        backend=config.state,
        context={"targetVersions": {"terraform": TERRAFORM_VERSION}},
        required_version=TERRAFORM_VERSION,
    )
    document = json.loads(texts[STACK_ID])
    # cdktn has no `ephemeral` argument yet (Terraform 1.10+): the key never reaches plan or state
    document["variable"][PRIVATE_KEY_VARIABLE]["ephemeral"] = True
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


class _BotStack:
    def __init__(self, cdktn: Any, stack: Any, config: InfraConfig) -> None:
        from cdktn_provider_databricks import provider

        self.cdktn = cdktn
        self.stack = stack
        self.config = config
        # credentials come from the environment (unified auth); hosts from infra.yaml
        self.workspace = provider.DatabricksProvider(stack, "databricks", host=config.workspace.host)
        self.account = provider.DatabricksProvider(
            stack,
            "databricks_account",
            alias="account",
            host=config.workspace.account_host,
            account_id=config.workspace.account_id,
        )

    def build(self) -> None:
        if self.config.memory.kind == "autoscaling":
            memory_resource, lakebase_name, after_memory = self._autoscaling()
        else:
            memory_resource, lakebase_name, after_memory = self._provisioned()
        secret_resource = self._private_key()
        bot = self._app(memory_resource, secret_resource)
        if after_memory is not None:
            after_memory(bot)
        ci = self._ci()
        self._outputs(bot, lakebase_name, ci)

    # -- memory ------------------------------------------------------------------------------------

    def _autoscaling(self) -> tuple[Any, Any, Any]:
        from cdktn_provider_databricks import (
            postgres_branch,
            postgres_catalog,
            postgres_database,
            postgres_endpoint,
            postgres_project,
            postgres_role,
        )

        memory = self.config.memory
        project = postgres_project.PostgresProject(
            self.stack,
            "memory_project",
            project_id=memory.project,
            spec=postgres_project.PostgresProjectSpec(
                display_name=f"{self.config.app.name} memory",
                pg_version=memory.pg_version,
                enable_pg_native_login=False,  # OAuth only: no Postgres password exists
                default_endpoint_settings=postgres_project.PostgresProjectSpecDefaultEndpointSettings(
                    autoscaling_limit_min_cu=memory.min_cu, autoscaling_limit_max_cu=memory.max_cu
                ),
            ),
        )
        branch = postgres_branch.PostgresBranch(
            self.stack,
            "memory_branch",
            branch_id=memory.branch,
            parent=project.name,
            replace_existing=True,  # the project's default branch may already have this id
            spec=postgres_branch.PostgresBranchSpec(no_expiry=True, is_protected=True),
        )
        endpoint = postgres_endpoint.PostgresEndpoint(
            self.stack,
            "memory_endpoint",
            endpoint_id=memory.endpoint,
            parent=branch.name,
            replace_existing=True,  # every branch has an implicit read-write endpoint
            spec=postgres_endpoint.PostgresEndpointSpec(
                endpoint_type="ENDPOINT_TYPE_READ_WRITE",
                autoscaling_limit_min_cu=memory.min_cu,
                autoscaling_limit_max_cu=memory.max_cu,
            ),
        )
        # A database has an owner; the bot's role cannot be it (the role needs the App's principal,
        # the App needs the database), so a role that cannot log in owns it.
        owner = postgres_role.PostgresRole(
            self.stack,
            "memory_owner",
            role_id=f"{memory.database.replace('_', '-')}-owner",
            parent=branch.name,
            spec=postgres_role.PostgresRoleSpec(
                postgres_role=f"{memory.database}_owner", auth_method="NO_LOGIN"
            ),
            depends_on=[endpoint],  # one Lakebase operation at a time per branch
        )
        database = postgres_database.PostgresDatabase(
            self.stack,
            "memory_database",
            database_id=memory.database.replace("_", "-"),
            parent=branch.name,
            spec=postgres_database.PostgresDatabaseSpec(postgres_database=memory.database, role=owner.name),
        )
        postgres_catalog.PostgresCatalog(
            self.stack,
            "memory_catalog",
            catalog_id=memory.catalog,
            spec=postgres_catalog.PostgresCatalogSpec(
                postgres_database=database.spec.postgres_database, branch=branch.name
            ),
        )
        from cdktn_provider_databricks import app

        resource = app.AppResources(
            name=MEMORY_RESOURCE,
            description="the conversation memory (Lakebase Autoscaling)",
            postgres=app.AppResourcesPostgres(
                branch=branch.name, database=database.name, permission="CAN_CONNECT_AND_CREATE"
            ),
        )

        def bot_role(bot: Any) -> None:
            postgres_role.PostgresRole(
                self.stack,
                "bot_role",
                role_id=bot.service_principal_client_id,
                parent=branch.name,
                replace_existing=True,  # the App's resource may have created it already
                spec=postgres_role.PostgresRoleSpec(
                    identity_type="SERVICE_PRINCIPAL",
                    postgres_role=bot.service_principal_client_id,
                    auth_method="LAKEBASE_OAUTH_V1",
                ),
                depends_on=[database],
            )

        return resource, endpoint.name, bot_role

    def _provisioned(self) -> tuple[Any, Any, None]:
        from cdktn_provider_databricks import app, database_database_catalog, database_instance

        memory = self.config.memory
        instance = database_instance.DatabaseInstance(
            self.stack,
            "memory_instance",
            name=memory.instance,
            capacity=memory.capacity,
            enable_pg_native_login=False,  # OAuth only: no Postgres password exists
        )
        catalog = database_database_catalog.DatabaseDatabaseCatalog(
            self.stack,
            "memory_catalog",
            name=memory.catalog,
            database_instance_name=instance.name,
            database_name=memory.database,
            create_database_if_not_exists=True,
        )
        resource = app.AppResources(
            name=MEMORY_RESOURCE,
            description="the conversation memory (Lakebase Provisioned)",
            database=app.AppResourcesDatabase(
                instance_name=instance.name,
                database_name=catalog.database_name,
                permission="CAN_CONNECT_AND_CREATE",
            ),
        )
        # Provisioned has no role resource: the App's database resource creates the principal's
        # OAuth role on the instance.
        return resource, instance.name, None

    # -- the App -----------------------------------------------------------------------------------

    def _private_key(self) -> Any:
        from cdktn_provider_databricks import app, secret, secret_scope

        secrets = self.config.secrets
        key = self.cdktn.TerraformVariable(
            self.stack,
            PRIVATE_KEY_VARIABLE,
            type="string",
            sensitive=True,
            nullable=False,
            description="the GitHub App's private key (PEM); export TF_VAR_github_app_private_key",
        )
        version = self.cdktn.TerraformVariable(
            self.stack,
            "github_app_private_key_version",
            type="number",
            default=1,
            description="raise it to write a new private key into the secret",
        )
        scope = secret_scope.SecretScope(self.stack, "github", name=secrets.scope)
        stored = secret.Secret(
            self.stack,
            "github_private_key",
            scope=scope.name,
            key=secrets.private_key,
            string_value_wo=key.string_value,
            string_value_wo_version=version.number_value,
        )
        return app.AppResources(
            name=SECRET_RESOURCE,
            description="the GitHub App's private key",
            secret=app.AppResourcesSecret(scope=scope.name, key=stored.key, permission="READ"),
        )

    def _app(self, memory_resource: Any, secret_resource: Any) -> Any:
        from cdktn_provider_databricks import app

        settings = self.config.app
        return app.App(
            self.stack,
            "bot",
            name=settings.name,
            description=settings.description,
            resources=[memory_resource, secret_resource],
        )

    # -- CI ----------------------------------------------------------------------------------------

    def _ci(self) -> Any:
        from cdktn_provider_databricks import (
            data_databricks_group,
            grant,
            group_member,
            permissions,
            service_principal,
            service_principal_federation_policy,
        )

        config = self.config
        ci = service_principal.ServicePrincipal(self.stack, "ci", display_name=config.ci.name)
        for index, (environment, subject) in enumerate(config.subjects):
            service_principal_federation_policy.ServicePrincipalFederationPolicy(
                self.stack,
                f"ci_federation_{index}",
                provider=self.account,
                service_principal_id=self.cdktn.Token.as_number(ci.id),
                description=f"GitHub Actions of {config.github.repository}, environment {environment}",
                oidc_policy=service_principal_federation_policy.ServicePrincipalFederationPolicyOidcPolicy(
                    issuer=OIDC_ISSUER, subject=subject, audiences=[config.audience]
                ),
            )
        if config.ci.owner_group is not None:
            owners = data_databricks_group.DataDatabricksGroup(
                self.stack, "catalog_owners", display_name=config.ci.owner_group
            )
            group_member.GroupMember(self.stack, "ci_in_catalog_owners", group_id=owners.id, member_id=ci.id)
        for index, catalog in enumerate(config.ci.manage_catalogs):
            grant.Grant(
                self.stack,
                f"ci_manage_{index}",
                catalog=catalog,
                principal=ci.application_id,
                privileges=["ALL_PRIVILEGES", "MANAGE"],
            )
        access = [
            permissions.PermissionsAccessControl(
                service_principal_name=ci.application_id, permission_level="CAN_USE"
            ),
            *(
                permissions.PermissionsAccessControl(group_name=extra.group, permission_level=extra.level)
                for extra in config.ci.warehouse_access
            ),
        ]
        permissions.Permissions(
            self.stack, "ci_warehouse", sql_endpoint_id=config.ci.warehouse_id, access_control=access
        )
        return ci

    # -- outputs -----------------------------------------------------------------------------------

    def _outputs(self, bot: Any, lakebase_name: Any, ci: Any) -> None:
        output = self.cdktn.TerraformOutput
        config = self.config
        output(self.stack, "app_url", value=bot.url, description="the bot's Databricks App")
        output(
            self.stack,
            "lakebase_endpoint",
            value=lakebase_name,
            description="the memory: a Lakebase Autoscaling endpoint name, or the Provisioned instance",
        )
        output(self.stack, "bot_client_id", value=bot.service_principal_client_id)
        output(self.stack, "ci_client_id", value=ci.application_id)
        output(
            self.stack,
            "github_repository_variables",
            value={
                "DATABRICKS_HOST": config.workspace.host.rstrip("/"),
                "DATABRICKS_CLIENT_ID": ci.application_id,
                "DATABRICKS_WAREHOUSE_ID": config.ci.warehouse_id,
                "DATABRICKS_TOKEN_AUDIENCE": config.audience,
            },
            description=f"Settings > Secrets and variables > Actions > Variables of {config.github.repository}",
        )
        output(
            self.stack,
            "github_app_settings",
            value={
                "permissions": dict(GITHUB_APP_PERMISSIONS),
                "events": list(GITHUB_APP_EVENTS),
                "webhook_url": f"{self.cdktn.Fn.trimsuffix(bot.url, '/')}/webhook",
            },
            description="the GitHub App's settings (its webhook stays active: the bot reads the deliveries)",
        )
