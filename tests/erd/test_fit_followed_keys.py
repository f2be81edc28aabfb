"""The Databricks fit makes a foreign key follow its key only when that key's type changed. It knew
the changed keys by id(): a column it replaced could be freed and its id given to a later copy (a
fitted default's), which then passed for a changed key (review of stop 8: 6 parses in 10)."""

from __future__ import annotations

from accelerator.erd import parse_erd
from accelerator.erd.dbml.syntax import separate_scans

ERD = """Table s.x {
  k number [pk, ref: > s.z.id]
  c date [default: '2020-01-01']
}
Table s.z {
  id int [pk, increment]
}
Table s.w {
  id int [pk]
  x int [ref: > s.x.c]
}
"""


def test_a_foreign_key_follows_only_a_key_whose_type_changed() -> None:
    for copy in range(30):  # a fresh scan each time: the ids the fit sees differ from parse to parse
        with separate_scans():
            parsed = parse_erd(ERD + "\n" * copy, f"m{copy}.dbml")
        columns = {
            f"{schema.name}.{table.name}.{column.name}": column.type
            for schema in parsed.schemas
            for table in schema.tables
            for column in table.columns
        }
        followed = sorted(f.object or "" for f in parsed.findings if f.rule == "types.foreign_key.follows")
        assert columns["s.w.x"] == "INT", copy
        assert columns["s.z.id"] == "BIGINT" and columns["s.x.k"] == "BIGINT", copy
        assert followed == ["s.x.k"], (copy, followed)
