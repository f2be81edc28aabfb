"""Renderers of the governed model: Databricks SQL, Terraform (cdktn), Markdown docs.

All are deterministic (the same model gives byte-identical text) and pure, apart from cdktn's
synthesis, which writes to a temporary directory that is removed afterwards. model.json, the SQL and
the docs keep each table's rendered text in memory and reuse it while the table is unchanged in
content (see `accelerator.render.cache`, which explains the keys); its `clear()` forgets it all.
"""

from accelerator.render.markdown import render_docs
from accelerator.render.model_json import render_model_json
from accelerator.render.sql import render_sql
from accelerator.render.terraform import render_terraform

__all__ = ["render_docs", "render_model_json", "render_sql", "render_terraform"]
