"""Render SQL for 1,000 tables x 20 columns and print the time (best of 5, templates already compiled)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accelerator.model import Catalog, Column, Mask, PrimaryKey, Project, Schema, Table
from accelerator.render import render_sql


def large_project(tables: int = 1000, columns: int = 20) -> Project:
    def table(index: int) -> Table:
        return Table(
            name=f"table_{index:04d}",
            comment=f"Table number {index}",
            tags={"tier": "silver"},
            columns=[
                Column(
                    name=f"column_{c:02d}",
                    type="STRING" if c % 2 else "BIGINT",
                    nullable=c != 0,
                    comment=f"Column {c} of table {index}",
                    mask=Mask(function="mask_text", strategy="redact", exempt_groups=["readers"])
                    if c == 3
                    else None,
                )
                for c in range(columns)
            ],
            primary_key=PrimaryKey(columns=["column_00"]),
        )

    schemas = [
        Schema(name=f"schema_{s}", tables=[table(s * 100 + i) for i in range(100)])
        for s in range(tables // 100)
    ]
    return Project(name="bench", catalogs=[Catalog(name="bench", schemas=schemas)])


def main() -> None:
    project = large_project()
    render_sql(project, "dev")  # compile the templates once
    wall, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        files = render_sql(project, "dev")
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    size = sum(len(text) for text in files.values())
    print(
        f"render_sql: 1,000 tables x 20 columns in {min(wall) * 1000:.0f} ms wall, "
        f"{min(cpu) * 1000:.0f} ms CPU (best of 5), {size:,} characters"
    )


if __name__ == "__main__":
    main()
