"""The stable codes of schema changes and their risk (explained in `CHANGES.md`, next to this file).

A code never changes meaning once released: gates, approvals (`/uc allow DS103 on ...`) and PR
summaries refer to it. Prefixes: AD added, DS dropped, BC renamed (backward-incompatible for
readers), TY type, MF may fail on existing data, NL/DF/CM/TG/CL/MK/CK/KY/FK/CB/PR/GR/OW column or
object settings, GV governance weakened, EN/DP/TF environments and deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Risk = Literal["safe", "attention", "destructive"]


@dataclass(frozen=True)
class ChangeCode:
    code: str
    risk: Risk
    title: str  # one line, as the PR summary shows it


def _codes(*entries: tuple[str, Risk, str]) -> dict[str, ChangeCode]:
    return {code: ChangeCode(code, risk, title) for code, risk, title in entries}


CODES: dict[str, ChangeCode] = _codes(
    ("AD101", "safe", "catalog added"),
    ("AD102", "safe", "schema added"),
    ("AD103", "safe", "table added"),
    ("AD104", "safe", "nullable column (or NOT NULL with a default) added"),
    ("MF103", "destructive", "NOT NULL column added without a default"),
    ("DS100", "destructive", "catalog dropped"),
    ("DS101", "destructive", "schema dropped"),
    ("DS102", "destructive", "table dropped"),
    ("DS103", "destructive", "column dropped"),
    ("BC101", "attention", "table renamed"),
    ("BC102", "attention", "column renamed"),
    ("TY001", "safe", "column type widened"),
    ("TY101", "destructive", "column type narrowed"),
    ("TY102", "destructive", "column type changed to an incompatible type"),
    ("MF104", "attention", "NOT NULL set on an existing column"),
    ("NL001", "safe", "NOT NULL dropped"),
    ("DF001", "safe", "column default changed"),
    ("ID101", "destructive", "identity of an existing column changed"),
    ("PO001", "safe", "column order changed"),
    ("CM001", "safe", "comment changed"),
    ("TG001", "safe", "tag set"),
    ("TG002", "safe", "tag removed"),
    ("GV101", "destructive", "tag removed from a classified column"),
    ("CL001", "safe", "column classified"),
    ("GV102", "destructive", "classification removed from a column"),
    ("MK001", "safe", "column mask set"),
    ("MK002", "attention", "mask removed from an unclassified column"),
    ("GV103", "destructive", "mask removed from a classified column"),
    ("CK001", "attention", "allowed values (CHECK constraint) set or changed"),
    ("CK002", "safe", "allowed values (CHECK constraint) removed"),
    ("CK003", "attention", "CHECK constraint added or changed"),
    ("CK004", "safe", "CHECK constraint dropped"),
    ("KY001", "attention", "primary key changed"),
    ("KY002", "safe", "unique keys changed"),
    ("FK001", "safe", "foreign key added"),
    ("FK002", "safe", "foreign key dropped"),
    ("CB001", "safe", "clustering changed"),
    ("PR001", "safe", "table property set"),
    ("PR002", "safe", "table property removed"),
    ("GR001", "safe", "privileges granted"),
    ("GR101", "attention", "privileges revoked"),
    ("OW001", "safe", "owner changed"),
    ("OW002", "attention", "owner no longer declared"),
    ("EN001", "safe", "environment added"),
    ("EN101", "attention", "environment removed"),
    ("TF101", "destructive", "catalog naming changed: Terraform replaces the catalogs"),
    ("TF102", "destructive", "catalog managed location changed: Terraform replaces the catalogs"),
    ("TF103", "attention", "catalog isolation mode changed"),
    ("DP101", "attention", "deployment ownership changed"),
)
