"""The retail example (the DBML, Mermaid and SQL versions describe the same model) and the README's commands."""

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from accelerator.cli import app
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


# -- the README's command lines name commands and options that exist -----------------------------------

README = ERD.parents[2] / "README.md"


def readme_command_lines() -> list[str]:
    """`accelerator ...` lines of the README's code blocks and inline code."""
    text = README.read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S))
    lines: list[str] = []
    for line in blocks.splitlines():
        if line.startswith("accelerator "):
            lines.append(line.strip())
        elif lines and line.strip().startswith("[--"):  # the synopsis goes on
            lines[-1] += " " + line.strip()
    return lines + re.findall(r"`(accelerator [a-z][^`]*)`", text)


def command_options(command: Any) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)}


def test_every_readme_command_line_names_real_commands_and_options() -> None:
    program = typer.main.get_command(app)
    lines = readme_command_lines()
    named = {line.split()[1] for line in lines}
    with typer.Context(program) as context:
        assert named == set(program.list_commands(context)), named  # type: ignore[attr-defined]
    for line in lines:
        words = line.split()
        command = program.commands[words[1]]  # type: ignore[attr-defined]
        if hasattr(command, "commands"):  # a group: the subcommands the line names
            chosen = [command.commands[w] for w in words[2:] if w in command.commands]
            assert chosen, line
        else:
            chosen = [command]
        known = set().union(*(command_options(c) for c in chosen))
        for option in re.findall(r"--[a-z][a-z-]*", line):
            assert option in known, f"{option} in {line!r}"


def test_the_generate_json_summary_has_the_readme_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documented = re.search(r"`generate --format json` prints\n`(\{.*\})`", README.read_text(encoding="utf-8"))
    assert documented is not None
    keys = re.findall(r'\{?"(\w+)": ', documented.group(1))
    shutil.copytree(ERD.parent, tmp_path / "retail", ignore=shutil.ignore_patterns("generated"))
    monkeypatch.chdir(tmp_path / "retail")
    result = CliRunner().invoke(app, ["generate", "--no-terraform", "--format", "json", "--out", "o"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary) == keys
    finding_keys = re.findall(r'"(\w+)"', documented.group(1).split('"findings": [{')[1].split("}]")[0])
    assert summary["findings"] and all(list(f) == finding_keys for f in summary["findings"])


@pytest.mark.parametrize(
    "args", [["--erd", "erd/retail.mmd"], ["--erd", "erd/retail.sql", "--dialect", "postgres"]]
)
def test_the_example_config_suggestions_generate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    config = (ERD.parent / "accelerator.yaml").read_text(encoding="utf-8")
    assert "accelerator generate --erd erd/retail.mmd" in config and " ".join(args[-2:]) in config
    shutil.copytree(ERD.parent, tmp_path / "retail", ignore=shutil.ignore_patterns("generated"))
    monkeypatch.chdir(tmp_path / "retail")
    result = CliRunner().invoke(app, ["generate", *args, "--no-terraform", "--format", "json", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tables"] == 5
