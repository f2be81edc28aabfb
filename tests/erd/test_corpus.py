"""Published DBML and Mermaid ERDs (tests/corpus/dbml/, tests/corpus/mermaid/): each reads as a person
counted it (the directory's manifest.yaml) and generates; each names its source and licence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from accelerator.erd import parse_erd
from accelerator.generate import ErdInput, PolicyInput, generate, govern_inputs

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FORMATS = ("dbml", "mermaid")


def _cases() -> list[Any]:
    cases = []
    for folder in FORMATS:
        manifest = CORPUS / folder / "manifest.yaml"
        if not manifest.exists():
            continue
        for name, entry in sorted(yaml.safe_load(manifest.read_text())["files"].items()):
            marks = [pytest.mark.xfail(reason=entry["xfail"], strict=True)] if "xfail" in entry else []
            cases.append(pytest.param(CORPUS / folder / name, entry, marks=marks, id=f"{folder}/{name}"))
    return cases


@pytest.mark.parametrize(("path", "expected"), _cases())
def test_corpus_file_reads_as_counted(path: Path, expected: dict[str, Any]) -> None:
    parsed = parse_erd(path.read_text(), path.name, default_schema=expected["default_schema"])
    # `qualified: true`: the file has tables of one name in several schemas, counted as schema.table
    found = {
        (f"{s.name}.{t.name}" if expected.get("qualified") else t.name): t
        for s in parsed.schemas
        for t in s.tables
    }
    assert sorted(found) == sorted(expected["tables"])
    for table_name, counted in expected["tables"].items():
        table = found[table_name]
        assert len(table.columns) == counted["columns"], table_name
        key = table.primary_key.columns if table.primary_key else None
        assert key == counted.get("primary_key"), table_name
        assert [[f.columns, f.ref_table] for f in table.foreign_keys] == counted.get("foreign_keys", [])
        assert [u.columns for u in table.unique_keys] == counted.get("unique", []), table_name
        for column_name, type_ in counted.get("types", {}).items():
            column = table.column(column_name)
            assert column is not None and column.type == type_, (table_name, column_name)
    assert not [f for f in parsed.findings if f.severity == "error"]


@pytest.mark.parametrize(("path", "expected"), _cases())
def test_corpus_file_generates(path: Path, expected: dict[str, Any]) -> None:
    erd = ErdInput(path.name, path.read_text(), "corpus", default_schema=expected["default_schema"])
    governed = govern_inputs("corpus", [erd], PolicyInput())
    generation = generate(governed, [governed.project.environments[0].name], terraform=False)
    assert any(name.startswith("sql/") for name in generation.files)
    assert len(list(governed.project.iter_tables())) == len(expected["tables"])


def test_corpus_files_name_their_source_and_licence() -> None:
    files = [p for folder in FORMATS for p in (CORPUS / folder).glob("*") if p.name != "manifest.yaml"]
    assert files
    for path in files:
        head = path.read_text()[:400].lower()
        assert "source:" in head and "licence:" in head, path.name


def test_a_mermaid_fk_whose_parent_is_the_only_one_left_resolves_to_it() -> None:
    """Mermaid's own docs: NAMED-DRIVER's carRegistrationNumber is CAR's registrationNumber by name,
    so driverLicence (no name rule) references the other related entity, PERSON, with an info."""
    text = """erDiagram
    CAR ||--o{ NAMED-DRIVER : allows
    CAR { string registrationNumber PK }
    PERSON ||--o{ NAMED-DRIVER : is
    PERSON { string driversLicense PK }
    NAMED-DRIVER {
        string carRegistrationNumber PK, FK
        string driverLicence PK, FK
    }
"""
    parsed = parse_erd(text, "d.mmd")
    driver = next(t for s in parsed.schemas for t in s.tables if t.name == "NAMED-DRIVER")
    assert [(f.columns, f.ref_table, f.ref_columns) for f in driver.foreign_keys] == [
        (["carRegistrationNumber"], "CAR", ["registrationNumber"]),
        (["driverLicence"], "PERSON", ["driversLicense"]),
    ]
    assert [(f.rule, f.severity, f.span.line if f.span else 0) for f in parsed.findings] == [
        ("erd.mermaid.inferred_fk", "info", 8)
    ]
    # with two parents left, it is not a guess: the attribute is unresolved
    ambiguous = text.replace("carRegistrationNumber", "carNumber")
    findings = parse_erd(ambiguous, "d.mmd").findings
    assert sorted((f.rule, f.severity) for f in findings) == [("erd.mermaid.unresolved_fk", "error")] * 2
