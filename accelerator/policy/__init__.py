"""Governance policy: parse the YAML policy, apply it to a model, report findings, apply fixes.

The policy format and every rule id are documented in `POLICY.md` next to this file; the built-in
default is `default.yaml`.
"""

from pathlib import Path

from accelerator.policy.fixes import apply_fixes
from accelerator.policy.govern import GovernanceResult, govern
from accelerator.policy.loader import default_policy, parse_policy
from accelerator.policy.policy import Policy

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "default.yaml"

__all__ = [
    "DEFAULT_POLICY_PATH",
    "GovernanceResult",
    "Policy",
    "apply_fixes",
    "default_policy",
    "govern",
    "parse_policy",
]
