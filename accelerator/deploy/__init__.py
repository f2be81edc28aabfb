"""Deploying the generated output to a Databricks workspace: `apply` and `drift`.

- `runner.py`: the one seam to Databricks, `StatementRunner.execute(sql) -> Rows` (or
  `StatementFailed`); `DatabricksRunner` is the Statement Execution API of databricks-sdk.
- `migrations.py`: an environment's migrations verified against migrations.sum, split into
  statements located at file:line:col.
- `history.py`: `<catalog>._accelerator.schema_history` (Flyway-like) and `schema_lock`.
- `apply.py`: the pending migrations run statement by statement, resumable, refusing tampering.
- `terraform.py`: `terraform init` / `apply` first, through an injectable process runner.
- `drift.py`: information_schema against the model, as findings.

No file is read or written here: the terminal channel (`channels/cli/deploy.py`) reads the
generated files and passes their texts.
"""
