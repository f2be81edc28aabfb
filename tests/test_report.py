import json

from accelerator.model import Finding, Fix, Span
from accelerator.report import findings_github, findings_json, findings_sarif

SPAN = Span(file="erd/a b.dbml", line=3, column=5, end_line=3, end_column=9)
FINDINGS = [
    Finding(
        rule="naming.table.case",
        severity="error",
        message="bad, name: 100%\nsecond line",
        span=SPAN,
        fix=Fix(description="rename to `orders`", replacement="orders"),
    ),
    Finding(rule="metadata.comment", severity="warn", message="no comment"),
    Finding(rule="info.rule", severity="info", message="fyi", span=SPAN),
]


def test_github_annotations_escape_data_and_properties() -> None:
    lines = findings_github(FINDINGS).splitlines()
    assert lines[0] == (
        "::error file=erd/a b.dbml,line=3,col=5,endLine=3,endColumn=9,title=naming.table.case::"
        "bad, name: 100%25%0Asecond line (fix: rename to `orders`)"
    )
    assert lines[1] == "::warning title=metadata.comment::no comment"
    assert lines[2].startswith("::notice file=erd/a b.dbml,line=3")


def test_sarif_shape() -> None:
    document = json.loads(findings_sarif(FINDINGS))
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "info.rule",
        "metadata.comment",
        "naming.table.case",
    ]
    first = run["results"][0]
    assert first["level"] == "error" and first["ruleId"] == "naming.table.case"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (3, 5)
    assert "locations" not in run["results"][1]
    assert run["results"][2]["level"] == "note"


def test_json_findings() -> None:
    data = json.loads(findings_json(FINDINGS))["findings"]
    assert data[0] | {} == {
        "rule": "naming.table.case",
        "severity": "error",
        "message": "bad, name: 100%\nsecond line",
        "file": "erd/a b.dbml",
        "line": 3,
        "column": 5,
        "object": None,
        "fix": "rename to `orders`",
    }
    assert data[1]["file"] is None
