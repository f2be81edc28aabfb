"""Findings as text for terminals, JSON, SARIF 2.1.0 (code scanning) and GitHub workflow annotations."""

from __future__ import annotations

import json
from typing import Any

from accelerator import __version__
from accelerator.model import Finding

SARIF_LEVELS = {"error": "error", "warn": "warning", "info": "note"}
GITHUB_COMMANDS = {"error": "error", "warn": "warning", "info": "notice"}


def findings_json(findings: list[Finding]) -> str:
    return json.dumps({"findings": [f.to_json() for f in findings]}, indent=2, ensure_ascii=False)


def findings_sarif(findings: list[Finding]) -> str:
    rules = sorted({f.rule for f in findings})
    results: list[dict[str, Any]] = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": SARIF_LEVELS[finding.severity],
            "message": {"text": _with_fix(finding)},
        }
        if finding.span is not None:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.span.file},
                        "region": {
                            "startLine": finding.span.line,
                            "startColumn": finding.span.column,
                            "endLine": finding.span.end_line,
                            "endColumn": finding.span.end_column,
                        },
                    }
                }
            ]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "accelerator",
                        "version": __version__,
                        "rules": [{"id": rule, "name": rule} for rule in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def findings_github(findings: list[Finding]) -> str:
    """One `::error file=..,line=..,col=..,title=..::message` line per finding."""
    lines = []
    for finding in findings:
        props = []
        if finding.span is not None:
            props += [
                f"file={_escape_property(finding.span.file)}",
                f"line={finding.span.line}",
                f"col={finding.span.column}",
                f"endLine={finding.span.end_line}",
                f"endColumn={finding.span.end_column}",
            ]
        props.append(f"title={_escape_property(finding.rule)}")
        lines.append(
            f"::{GITHUB_COMMANDS[finding.severity]} {','.join(props)}::{_escape_data(_with_fix(finding))}"
        )
    return "\n".join(lines)


def location(finding: Finding) -> str:
    if finding.span is None:
        return "-"
    return f"{finding.span.file}:{finding.span.line}:{finding.span.column}"


def _with_fix(finding: Finding) -> str:
    return f"{finding.message} (fix: {finding.fix.description})" if finding.fix else finding.message


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
