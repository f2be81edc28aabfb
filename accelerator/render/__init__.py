"""Renderers of the governed model: Databricks SQL, Terraform (cdktn), Markdown docs.

All are deterministic (the same model gives byte-identical text) and pure, apart from cdktn's
synthesis, which writes to a temporary directory that is removed afterwards. The SQL and the docs
keep each table's rendered text in memory and reuse it while the table is unchanged in content (see
`accelerator.model.canonical`, which explains the keys); its `clear_caches()` forgets it all.
"""

from accelerator.render.markdown import render_docs
from accelerator.render.sql import render_sql
from accelerator.render.terraform import render_terraform

__all__ = ["render_docs", "render_sql", "render_terraform"]
