"""The retail example: the DBML, Mermaid and SQL versions describe the same model."""

from pathlib import Path

import pytest

from accelerator.erd import parse_erd
from accelerator.model import canonical_json
from accelerator.model.build import build_project

ERD = Path(__file__).resolve().parent.parent / "examples" / "retail" / "erd"


def model_json(name: str) -> str:
    path = ERD / name
    parsed = parse_erd(path.read_text(), f"erd/{name}")
    assert not [f for f in parsed.findings if f.severity == "error"], parsed.findings
    return canonical_json(build_project("retail", [("retail", parsed)]))


@pytest.mark.parametrize("other", ["retail.mmd", "retail.sql"])
def test_formats_produce_equal_models(other: str) -> None:
    assert model_json(other) == model_json("retail.dbml")


def test_example_model_shape() -> None:
    parsed = parse_erd((ERD / "retail.dbml").read_text(), "erd/retail.dbml")
    project = build_project("retail", [("retail", parsed)])
    tables = {f"{s.name}.{t.name}": t for _, s, t in project.iter_tables()}
    assert sorted(tables) == [
        "crm.addresses",
        "crm.customers",
        "sales.order_items",
        "sales.orders",
        "sales.products",
    ]
    items = tables["sales.order_items"]
    assert items.primary_key is not None and items.primary_key.columns == ["order_id", "line_number"]
    assert sorted((fk.ref_schema, fk.ref_table) for fk in items.foreign_keys) == [
        ("sales", "orders"),
        ("sales", "products"),
    ]


def test_an_integer_beyond_64_bits_still_writes_the_canonical_json() -> None:
    ddl = "CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY (START WITH 18446744073709551616) PRIMARY KEY);"
    text = canonical_json(build_project("x", [("x", parse_erd(ddl, "x.sql"))]))
    assert '"start": 18446744073709551616' in text
