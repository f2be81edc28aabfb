"""A parsed policy: the validated document, where each of its values was written, and the compiled
forms (regexes, severities) that governance uses, built once so `govern()` stays fast."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from accelerator.model.elements import Span
from accelerator.model.findings import Severity
from accelerator.policy.identifiers import CASE_PATTERNS, RESERVED_WORDS
from accelerator.policy.rules import BUILTIN_RULES, RuleInfo
from accelerator.policy.schema import ClassificationRule, ForbiddenTypes, NameRules, PolicySpec

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Locations:
    """Spans of the YAML nodes by path (`("grants", 0, "privileges", 1)`); keys have their own."""

    values: dict[Path, Span] = field(default_factory=dict)
    keys: dict[Path, Span] = field(default_factory=dict)

    def span(self, path: Path) -> Span | None:
        """The span at `path`, or at its deepest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class CompiledNameRules:
    rules: NameRules
    case: re.Pattern[str] | None
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class CompiledTypeRule:
    rule: ForbiddenTypes
    rule_id: str
    columns: re.Pattern[str]
    types: frozenset[str]


@dataclass(frozen=True)
class CompiledClass:
    rule: ClassificationRule
    index: int
    names: frozenset[str]
    regex: re.Pattern[str] | None


@dataclass(frozen=True)
class Policy:
    spec: PolicySpec
    file: str = "<default policy>"
    source: str = ""
    locations: Locations = field(default_factory=Locations)

    @cached_property
    def rules(self) -> dict[str, RuleInfo]:
        """Every rule this policy knows: the built-in ones plus its `types.<name>` rules."""
        known = dict(BUILTIN_RULES)
        for entry in self.spec.rules.types.forbidden:
            rule_id = f"types.{entry.name}"
            known[rule_id] = RuleInfo(rule_id, "error", f"no {', '.join(entry.types)} for {entry.columns}")
        return known

    @cached_property
    def severities(self) -> dict[str, Severity | None]:
        """Effective severity per rule id; None means switched off."""
        return {
            rule_id: resolve_severity(rule_id, info.severity, self.spec.severity)
            for rule_id, info in self.rules.items()
        }

    def severity(self, rule_id: str) -> Severity | None:
        return self.severities.get(rule_id)

    @cached_property
    def naming(self) -> dict[str, CompiledNameRules]:
        naming = self.spec.rules.naming
        by_kind = {
            "catalog": naming.catalog,
            "schema": naming.schema_,
            "table": naming.table,
            "column": naming.column,
        }
        return {
            kind: CompiledNameRules(
                rules,
                CASE_PATTERNS[rules.case] if rules.case else None,
                re.compile(rules.pattern) if rules.pattern else None,
            )
            for kind, rules in by_kind.items()
        }

    @cached_property
    def reserved_words(self) -> frozenset[str]:
        words = self.spec.rules.naming.reserved_words
        return RESERVED_WORDS if words is None else frozenset(word.lower() for word in words)

    @cached_property
    def type_rules(self) -> list[CompiledTypeRule]:
        return [
            CompiledTypeRule(
                entry, f"types.{entry.name}", re.compile(entry.columns, re.IGNORECASE), frozenset(entry.types)
            )
            for entry in self.spec.rules.types.forbidden
        ]

    @cached_property
    def classes(self) -> list[CompiledClass]:
        return [
            CompiledClass(
                rule,
                index,
                frozenset(name.lower() for name in rule.match.names),
                re.compile(rule.match.regex, re.IGNORECASE) if rule.match.regex else None,
            )
            for index, rule in enumerate(self.spec.classification)
        ]

    @cached_property
    def classes_by_name(self) -> dict[str, CompiledClass]:
        return {compiled.rule.name: compiled for compiled in reversed(self.classes)}


def resolve_severity(rule_id: str, default: Severity, overrides: Mapping[str, str]) -> Severity | None:
    """The most specific override of `rule_id` (exact id, then the longest `prefix.*`), else `default`."""
    if rule_id in overrides:
        chosen = overrides[rule_id]
    else:
        parts = rule_id.split(".")
        chosen = default
        for end in range(len(parts) - 1, -1, -1):
            pattern = ".".join([*parts[:end], "*"])
            if pattern in overrides:
                chosen = overrides[pattern]
                break
    return None if chosen == "off" else chosen  # type: ignore[return-value]
