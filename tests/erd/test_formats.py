"""Every format of the registry reads the shipped example and patches it: a new format plugs in both ways.
(Import cycles and layers of the whole package: tests/test_architecture.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.erd import EXTENSIONS, FORMATS, detect_format, parse_erd
from accelerator.erd.patch_inputs import TableTarget
from accelerator.erd.text_edits import apply_text_edits

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "retail" / "erd"


def example(name: str) -> tuple[str, str]:
    """(file name, text) of the retail example written in format `name`."""
    if name == "markdown":
        diagram = (EXAMPLE / "retail.mmd").read_text()
        return "retail.md", f"# Retail\n\nThe retail domain.\n\n```mermaid\n{diagram}```\n\nMore prose.\n"
    extension = {"dbml": ".dbml", "mermaid": ".mmd", "sql": ".sql"}[name]
    return f"retail{extension}", (EXAMPLE / f"retail{extension}").read_text()


def test_every_format_is_covered_and_named_by_its_extensions() -> None:
    assert set(FORMATS) == {"dbml", "mermaid", "markdown", "sql"}
    for name, format_ in FORMATS.items():
        assert format_.name == name and format_.extensions
        for extension in format_.extensions:
            assert EXTENSIONS[extension] == name
            assert detect_format(f"erd/x{extension.upper()}") == name


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_parses_and_patches_the_example(name: str) -> None:
    file, text = example(name)
    parsed = FORMATS[name].parse(text, file, "postgres", "default")
    assert parsed == parse_erd(text, file)  # the registry is what parse_erd dispatches through
    tables = {(schema.name, table.name): table for schema in parsed.schemas for table in schema.tables}
    assert ("crm", "customers") in tables
    customers = tables["crm", "customers"]
    assert customers.column("full_name") is not None

    patcher = FORMATS[name].patcher(file, text, "postgres")
    edits = patcher.rename_column(TableTarget("crm", customers), "full_name", "display_name")
    assert edits and {edit.file for edit in edits} == {file}
    patched = apply_text_edits({file: text}, edits)[file]
    assert patched.count("display_name") == text.count("display_name") + len(edits)
    assert patched.count("full_name") == text.count("full_name") - len(edits)
    renamed = FORMATS[name].parse(patched, file, "postgres", "default")
    after = next(t for s in renamed.schemas for t in s.tables if (s.name, t.name) == ("crm", "customers"))
    assert [c.name for c in after.columns] == [
        "display_name" if c.name == "full_name" else c.name for c in customers.columns
    ]
