"""Prints how long govern() takes on 1,000 tables x 20 columns with the retail policy.

Run: .venv/bin/python tests/policy/bench_govern.py   (speed is printed, never asserted)
"""

from __future__ import annotations

import time
from pathlib import Path

from accelerator.model import Catalog, Column, ForeignKey, PrimaryKey, Project, Schema, Table
from accelerator.policy import Policy, apply_fixes, govern, parse_policy

ROOT = Path(__file__).resolve().parents[2]
COLUMN_NAMES = [
    "id", "customer_id", "email", "phone", "full_name", "birth_date", "street_address", "postal_code",
    "ip_address", "unit_price", "total_amount", "status", "created_at", "updated_at", "OrderDate",
    "quantity", "notes", "country_code", "discount_fee", "balance",
]  # fmt: skip


def _type(position: int, clean: bool) -> str:
    if position in (9, 19):  # unit_price, balance
        return "DECIMAL(18,2)" if clean else "DOUBLE"
    if position in (12, 13):  # created_at, updated_at
        return "TIMESTAMP" if clean else "STRING"
    return "BIGINT" if position < 2 else "STRING"


def synthetic_project(tables: int = 1000, columns: int = 20, *, clean: bool = False) -> Project:
    """`clean`: comments everywhere and money as DECIMAL, so only a few findings remain; otherwise
    about 14 findings per table (a stress test of reporting)."""
    schemas = []
    for s in range(10):
        built = []
        for t in range(tables // 10):
            cols = [
                Column(
                    name=COLUMN_NAMES[c].lower() if clean else COLUMN_NAMES[c],
                    type=_type(c, clean),
                    comment="described" if clean else None,
                )
                for c in range(columns)
            ]
            fks = (
                [ForeignKey(columns=["customer_id"], ref_schema=f"s{s}", ref_table="t0", ref_columns=["id"])]
                if t
                else []
            )
            comment = "described" if clean else None
            table = Table(
                name=f"t{t}",
                columns=cols,
                primary_key=PrimaryKey(columns=["id"]),
                foreign_keys=fks,
                comment=comment,
            )
            built.append(table)
        schemas.append(Schema(name=f"s{s}", tables=built))
    return Project(name="bench", catalogs=[Catalog(name="bench", schemas=schemas)])


def measure(project: Project, policy: Policy, label: str) -> None:
    govern(project, policy)  # warm up (compiles the policy's regexes once)
    wall, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        governed = govern(project, policy)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    start_cpu = time.process_time()
    apply_fixes(governed.project, governed.findings)
    fix_cpu = time.process_time() - start_cpu
    print(
        f"govern, 1000 tables x 20 columns, {label}: {len(governed.findings)} findings; "
        f"CPU best {min(cpu) * 1000:.0f} ms (wall best {min(wall) * 1000:.0f} ms); "
        f"apply_fixes CPU {fix_cpu * 1000:.0f} ms"
    )


def main() -> None:
    policy = parse_policy((ROOT / "examples/retail/policies/governance.yaml").read_text(), "governance.yaml")
    measure(synthetic_project(clean=True), policy, "clean model")
    measure(synthetic_project(), policy, "stress (many findings)")


if __name__ == "__main__":
    main()
