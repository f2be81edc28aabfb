"""The catalog of governance rules: stable ids, default severities, and what each checks.

A policy's `severity:` map overrides these per rule id or per prefix (`naming.column.*: off`);
the most specific entry wins. `types.<name>` rules come from the policy's own `rules.types.forbidden`.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelerator.model.findings import Severity

KINDS = ("catalog", "schema", "table", "column")
NAMING_CHECKS = ("case", "pattern", "prefix", "suffix", "reserved", "max_length")


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: Severity
    description: str
    fixable: bool = False


def _naming_rules() -> list[RuleInfo]:
    describe = {
        "case": ("warn", "the name follows the configured case style", True),
        "pattern": ("error", "the name matches the configured regular expression", False),
        "prefix": ("warn", "the name starts with the configured prefix", True),
        "suffix": ("warn", "the name ends with the configured suffix", True),
        "reserved": ("warn", "the name is not an SQL reserved word", False),
        "max_length": ("error", "the name is at most max_length characters", False),
    }
    rules = []
    for kind in KINDS:
        for check in NAMING_CHECKS:
            severity, text, fixable = describe[check]
            rules.append(RuleInfo(f"naming.{kind}.{check}", severity, f"{kind}: {text}", fixable))  # type: ignore[arg-type]
    return rules


BUILTIN_RULES: dict[str, RuleInfo] = {
    rule.id: rule
    for rule in [
        RuleInfo("uc.name.length", "error", "Unity Catalog names are at most 255 characters"),
        RuleInfo(
            "uc.name.characters",
            "error",
            "Unity Catalog names contain no '.', space, '/' or control character",
        ),
        RuleInfo("uc.name.lowercase", "warn", "Unity Catalog stores names in lower case", True),
        *_naming_rules(),
        RuleInfo("metadata.table.comment", "warn", "every table has a comment"),
        RuleInfo("metadata.table.owner", "warn", "every table has an owner (after table_defaults)"),
        RuleInfo("metadata.schema.owner", "info", "every schema has an owner (after schema_defaults)"),
        RuleInfo("metadata.catalog.tags", "error", "catalogs carry rules.metadata.required_tags.catalog"),
        RuleInfo("metadata.schema.tags", "error", "schemas carry rules.metadata.required_tags.schema"),
        RuleInfo("metadata.table.tags", "error", "tables carry rules.metadata.required_tags.table"),
        RuleInfo("keys.primary_key", "error", "every table has a primary key"),
        RuleInfo(
            "keys.foreign_key.target",
            "error",
            "a foreign key references the primary key or a unique key of its target",
        ),
        RuleInfo("keys.foreign_key.types", "error", "a foreign key column's type matches the referenced one"),
        RuleInfo("classification.comment", "warn", "a classified column has a comment"),
        RuleInfo("classification.column", "error", "a classified_columns entry names a column that exists"),
        RuleInfo("policy.object", "error", "an objects entry names one catalog, schema, table or column"),
        RuleInfo(
            "governance.weakened",
            "warn",
            "a change does not remove a column's mask or class tags, nor give a broad principal new privileges "
            "(error in rules.governance.confirm_weakening's environments)",
        ),
        RuleInfo("grants.privilege", "error", "a privilege exists and applies to the securable"),
        RuleInfo("grants.target", "error", "a grant names a catalog, schema or table that exists"),
        RuleInfo(
            "grants.implied_use",
            "error",
            "a privilege comes with the USE CATALOG / USE SCHEMA it needs (when rules.grants.implied_use is error)",
        ),
        RuleInfo(
            "grants.broad_principal",
            "warn",
            "a broad principal (account users, users, ...) gets no powerful privilege or ownership",
        ),
        RuleInfo(
            "grants.restricted_privilege",
            "error",
            "a broad principal gets no privilege the policy restricts in that environment",
        ),
    ]
}
