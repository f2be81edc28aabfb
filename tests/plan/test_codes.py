"""Every change code is documented in CHANGES.md with its risk, and the type-widening rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelerator.plan.codes import CODES
from accelerator.plan.type_widening import normalized_type, type_change_kind

DOC = Path(__file__).resolve().parents[2] / "accelerator" / "plan" / "CHANGES.md"


def test_changes_md_documents_every_code_with_its_risk() -> None:
    documented = dict(re.findall(r"^\| ([A-Z]{2}\d{3}) \| (\w+) \|", DOC.read_text(), re.M))
    assert documented == {code: entry.risk for code, entry in CODES.items()}


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("TINYINT", "SMALLINT", "widening"),
        ("SMALLINT", "INT", "widening"),
        ("INT", "BIGINT", "widening"),
        ("BYTE", "LONG", "widening"),
        ("INT", "DOUBLE", "widening"),
        ("BIGINT", "DOUBLE", "incompatible"),
        ("INT", "DECIMAL(10,0)", "widening"),
        ("INT", "DECIMAL(10,2)", "narrowing"),
        ("BIGINT", "DECIMAL(20,0)", "widening"),
        ("BIGINT", "DECIMAL(19,0)", "narrowing"),
        ("FLOAT", "DOUBLE", "widening"),
        ("DOUBLE", "FLOAT", "narrowing"),
        ("DECIMAL(10,1)", "DECIMAL(12,3)", "widening"),
        ("DECIMAL(10,1)", "DECIMAL(11,3)", "narrowing"),
        ("DECIMAL(12,2)", "DECIMAL(10,2)", "narrowing"),
        ("DECIMAL", "DECIMAL(10,0)", "same"),
        ("DATE", "TIMESTAMP_NTZ", "widening"),
        ("DATE", "TIMESTAMP", "incompatible"),
        ("TIMESTAMP", "DATE", "narrowing"),
        ("BIGINT", "INT", "narrowing"),
        ("VARCHAR(20)", "VARCHAR(40)", "widening"),
        ("VARCHAR(40)", "STRING", "widening"),
        ("STRING", "VARCHAR(40)", "narrowing"),
        ("STRING", "INT", "incompatible"),
        ("INT", "STRING", "incompatible"),
        ("ARRAY<INT>", "ARRAY<BIGINT>", "incompatible"),
    ],
)
def test_delta_type_widening_rules(old: str, new: str, kind: str) -> None:
    assert type_change_kind(old, new) == kind


def test_normalized_types() -> None:
    assert normalized_type("decimal( 10 , 2 )") == "DECIMAL(10,2)"
    assert normalized_type("long") == "BIGINT"
