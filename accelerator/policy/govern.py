"""Governance: apply a policy to a project (settings, classification, grants) and judge it.

Pure: the input project is not changed; the governed copy and the sorted findings are returned.
Governing an already governed project yields the same project again.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelerator.model.copying import copy_project
from accelerator.model.elements import Project
from accelerator.model.findings import Finding, sorted_findings
from accelerator.policy.broad_grants import check_broad_grants
from accelerator.policy.classification import classify
from accelerator.policy.column_types import check_types
from accelerator.policy.grants import attach_grants
from accelerator.policy.keys import check_keys
from accelerator.policy.metadata import check_metadata
from accelerator.policy.naming import check_names
from accelerator.policy.policy import Policy
from accelerator.policy.reporting import Reporter
from accelerator.policy.settings import apply_settings
from accelerator.policy.use_privileges import check_use_privileges


@dataclass(frozen=True)
class GovernanceResult:
    """A governed copy of a project and what the policy found in it."""

    project: Project
    findings: list[Finding]


def govern(project: Project, policy: Policy) -> GovernanceResult:
    governed = copy_project(project)
    reporter = Reporter(policy)
    apply_settings(governed, policy, reporter)
    classify(governed, policy, reporter)
    attach_grants(governed, policy, reporter)
    check_use_privileges(governed, policy, reporter)
    check_broad_grants(governed, policy, reporter)
    check_names(governed, policy, reporter)
    check_metadata(governed, policy, reporter)
    check_keys(governed, policy, reporter)
    check_types(governed, policy, reporter)
    return GovernanceResult(project=governed, findings=sorted_findings(reporter.findings))
