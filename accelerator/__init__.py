"""GitOps accelerator for Databricks Unity Catalog."""

__version__ = "0.1.0"
