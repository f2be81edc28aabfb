"""Collects findings, applying the policy's severities (a rule switched off reports nothing)."""

from __future__ import annotations

from accelerator.model.copying import copied
from accelerator.model.elements import Located, Span
from accelerator.model.findings import Finding, Fix
from accelerator.policy.policy import Policy

_TEMPLATE = Finding(rule="", severity="info", message="")


class Reporter:
    def __init__(self, policy: Policy) -> None:
        self.severities = policy.severities
        self.findings: list[Finding] = []

    def enabled(self, rule: str) -> bool:
        return self.severities.get(rule) is not None

    def report(
        self,
        rule: str,
        message: str,
        *,
        span: Span | None,
        object: str | None,
        fix: Fix | None = None,
    ) -> None:
        severity = self.severities.get(rule)
        if severity is None:
            return
        # Built without validation: the values are correct by construction, and validating each
        # finding costs more than making it (figures: README, performance).
        self.findings.append(
            copied(
                _TEMPLATE, rule=rule, severity=severity, message=message, span=span, object=object, fix=fix
            )
        )


def name_location(element: Located) -> Span | None:
    return element.name_span or element.span
