"""Schema evolution, pure: the typed diff of two models, the risk of each change, its SQL, its replay.

- `diff(previous, current, renames=...)`: typed changes (`changes.py`), by object path then kind;
- each change's `code` and `risk` (`codes.py`, explained in `CHANGES.md`);
- `migration_sql(changes, environment)`: the Databricks SQL statements, one environment;
- `apply_changes(project, changes)`: the model the changes lead to (replaying migrations);
- `renames_from_ops(ops)`: the declared renames of a conversation's typed operations.
- `gates.py`: destructive changes gated unless the policy allows them or an approval covers them;
- `terraform_plan.py`: a `terraform show -json` plan's `databricks_*` changes, data losses flagged.
"""

from accelerator.plan.apply import ChangeNotApplicable, apply_changes
from accelerator.plan.changes import Change
from accelerator.plan.codes import CODES, ChangeCode, Risk
from accelerator.plan.diff import diff
from accelerator.plan.migration_sql import migration_sql
from accelerator.plan.paths import ObjectPath
from accelerator.plan.renames import Rename, renames_from_ops

__all__ = [
    "CODES",
    "Change",
    "ChangeCode",
    "ChangeNotApplicable",
    "ObjectPath",
    "Rename",
    "Risk",
    "apply_changes",
    "diff",
    "migration_sql",
    "renames_from_ops",
]
