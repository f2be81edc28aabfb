"""End to end through the CLI: exit codes, output formats, files written, located errors."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import sqlglot
import typer
from typer.testing import CliRunner

from accelerator.cli import app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "retail"
runner = CliRunner()


@pytest.fixture()
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "retail"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("generated"))
    monkeypatch.chdir(target)
    return target


def test_check_example_has_no_errors(example: Path) -> None:
    result = runner.invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    assert findings, "the example policy should produce at least one warning"
    assert {f["severity"] for f in findings} <= {"warn", "info"}


def test_generate_writes_every_artifact_and_is_deterministic(example: Path) -> None:
    args = ["generate", "--format", "json", "--out", "out"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["tables"] == 5 and data["columns"] == 28
    assert data["environments"] == ["dev", "staging", "prod"]
    files = set(data["files"])
    assert "model.json" in files
    for env in ("dev", "staging", "prod"):
        assert f"terraform/{env}/cdk.tf.json" in files
        assert any(f.startswith(f"sql/{env}/") and f.endswith(".sql") for f in files)
    assert any(f.startswith("docs/") and f.endswith(".md") for f in files)
    assert_sql_parses(example / "out")
    assert_terraform_structure(example / "out" / "terraform" / "prod" / "cdk.tf.json")
    snapshot = {p: (example / "out" / p).read_bytes() for p in files}
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert {p: (example / "out" / p).read_bytes() for p in files} == snapshot


def assert_sql_parses(out: Path) -> None:
    for path in sorted(out.glob("sql/*/*.sql")):
        statements = [s for s in sqlglot.parse(path.read_text(), read="databricks") if s is not None]
        assert len(statements) > 20, path


def assert_terraform_structure(path: Path) -> None:
    document = json.loads(path.read_text())
    assert document["provider"]["databricks"] == [{}]
    assert document["terraform"]["backend"] == {"local": {"path": "terraform.prod.tfstate"}}
    resources = document["resource"]
    [(catalog_id, catalog)] = resources["databricks_catalog"].items()
    assert catalog["name"] == "prod_retail"
    schemas = resources["databricks_schema"]
    assert sorted(s["name"] for s in schemas.values()) == ["crm", "sales"]
    assert {s["catalog_name"] for s in schemas.values()} == {f"${{databricks_catalog.{catalog_id}.name}}"}
    assert "databricks_sql_table" not in resources  # tables stay in SQL migrations by default
    grants = resources["databricks_grants"]
    by_target = {g.get("catalog") or g.get("schema") or g.get("table"): g for g in grants.values()}
    catalog_grants = by_target[f"${{databricks_catalog.{catalog_id}.name}}"]["grant"]
    assert {"principal": "analysts", "privileges": ["USE_CATALOG"]} in catalog_grants
    references = re.findall(r"\$\{(databricks_\w+)\.(\w+)\.", path.read_text())
    assert references and all(name in resources[kind] for kind, name in references)


def test_generate_one_env_without_terraform_text_output(example: Path) -> None:
    result = runner.invoke(app, ["generate", "--env", "prod", "--no-terraform", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert "5 tables, 28 columns" in result.stdout
    assert not (example / "o" / "terraform").exists()
    assert list((example / "o" / "sql" / "prod").glob("*.sql"))
    assert not (example / "o" / "sql" / "dev").exists()


def test_unknown_environment_is_a_usage_error(example: Path) -> None:
    result = runner.invoke(app, ["generate", "--env", "qa", "--no-terraform"])
    assert result.exit_code == 2
    assert "environment 'qa'" in result.stderr and "known environments" in result.stderr


@pytest.mark.parametrize("erd", ["erd/retail.mmd", "erd/retail.sql"])
def test_other_formats_via_erd_option(example: Path, erd: str) -> None:
    result = runner.invoke(app, ["check", "--erd", erd, "--format", "json"])
    assert result.exit_code == 0, result.output


def test_github_and_sarif_formats(example: Path) -> None:
    github = runner.invoke(app, ["check", "--format", "github"])
    assert github.exit_code == 0
    assert all(line.startswith(("::warning", "::notice")) for line in github.stdout.splitlines())
    sarif = runner.invoke(app, ["check", "--format", "sarif"])
    assert json.loads(sarif.stdout)["version"] == "2.1.0"


def test_syntax_error_is_located_exit_2(example: Path) -> None:
    bad = example / "erd" / "bad.dbml"
    bad.write_text("Table sales.x {\n  id bigint [pk\n}\n")
    result = runner.invoke(app, ["check", "--erd", "erd/bad.dbml"])
    assert result.exit_code == 2
    assert re.search(r"erd/bad\.dbml:[23]:\d+: error: expected", result.stderr), result.stderr
    assert "Traceback" not in result.output


def test_unknown_type_is_located_exit_2(example: Path) -> None:
    bad = example / "erd" / "bad.sql"
    bad.write_text("CREATE TABLE s.t (\n  id bigint PRIMARY KEY,\n  x frobnicator\n);\n")
    result = runner.invoke(app, ["generate", "--erd", "erd/bad.sql", "--no-terraform"])
    assert result.exit_code == 2
    assert "erd/bad.sql:3:" in result.stderr and "frobnicator" in result.stderr


def test_a_file_that_is_not_utf8_is_located_exit_2(example: Path) -> None:
    (example / "erd" / "latin1.dbml").write_bytes("Table s.x {\n  id int // café\n}\n".encode("latin-1"))
    (example / "latin1.yaml").write_bytes(b"rules: {}\n# \xff\n")
    (example / "other").mkdir()
    (example / "other" / "accelerator.yaml").write_bytes(b"project: caf\xe9\n")
    erd = runner.invoke(app, ["check", "--erd", "erd/latin1.dbml"])
    policy = runner.invoke(app, ["check", "--policy", "latin1.yaml"])
    config = runner.invoke(app, ["check", "--config", "other/accelerator.yaml"])
    assert (erd.exit_code, policy.exit_code, config.exit_code) == (2, 2, 2)
    assert "erd/latin1.dbml:2:16: error: byte 0xe9 is not UTF-8 text" in erd.stderr
    assert "latin1.yaml:2:3: error: byte 0xff is not UTF-8 text" in policy.stderr
    assert "accelerator.yaml:1:13: error: byte 0xe9" in config.stderr
    assert "Traceback" not in erd.output + policy.output + config.output


def test_error_findings_exit_1_and_files_still_written(example: Path) -> None:
    bad = example / "erd" / "nopk.dbml"
    bad.write_text("Table sales.No_Key {\n  value int\n}\n")
    result = runner.invoke(app, ["generate", "--erd", "erd/nopk.dbml", "--no-terraform", "--out", "o"])
    assert result.exit_code == 1, result.output
    assert (example / "o" / "model.json").is_file()


def test_missing_files_are_usage_errors(example: Path) -> None:
    assert runner.invoke(app, ["check", "--erd", "erd/none.dbml"]).exit_code == 2
    assert runner.invoke(app, ["check", "--policy", "nope.yaml"]).exit_code == 2
    assert runner.invoke(app, ["check", "--config", "nope.yaml"]).exit_code == 2
    assert runner.invoke(app, ["check", "--format", "xml"]).exit_code == 2


def test_init_scaffolds_a_project_that_generates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "shop"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "accelerator.yaml").is_file() and (target / "policies" / "governance.yaml").is_file()
    assert "then run `accelerator generate`" in result.stdout
    assert runner.invoke(app, ["init", str(target)]).exit_code == 2  # refuses to overwrite
    monkeypatch.chdir(target)
    generated = runner.invoke(app, ["generate", "--no-terraform", "--format", "json"])
    assert generated.exit_code in (0, 1), generated.output
    assert json.loads(generated.stdout)["tables"] == 2


def test_the_program_assembles_every_command() -> None:
    program = typer.main.get_command(app)
    with typer.Context(program) as context:
        assert program.list_commands(context) == [
            "init", "check", "generate", "plan", "allow", "chat", "propose", "sessions", "memory", "sandbox",
            "infra", "serve", "bot", "apply", "history", "drift",
        ]  # fmt: skip
    memory = runner.invoke(app, ["memory", "--help"])
    assert memory.exit_code == 0 and all(c in memory.stdout for c in ("migrate", "doctor", "show", "prune"))
    assert runner.invoke(app, []).exit_code == 2  # no command: the help, as a usage error
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


def test_the_wheel_ships_every_package_and_the_script() -> None:
    repository = Path(__file__).resolve().parent.parent
    project = tomllib.loads((repository / "pyproject.toml").read_text())
    packages = {
        ".".join(p.parent.relative_to(repository).parts)
        for p in (repository / "accelerator").rglob("__init__.py")
    }
    assert packages <= set(project["tool"]["setuptools"]["packages"])
    assert project["project"]["scripts"] == {"accelerator": "accelerator.cli:main"}


def test_a_link_planted_in_the_output_is_refused_and_nothing_is_written(
    example: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.sql"
    victim.write_text("kept\n")
    assert runner.invoke(app, ["generate", "--no-terraform", "--format", "json"]).exit_code == 0
    [migration] = sorted((example / "generated" / "sql" / "prod").glob("*.sql"))
    migration.unlink()
    migration.symlink_to(victim)
    model = example / "generated" / "model.json"
    model.unlink()
    result = runner.invoke(app, ["generate", "--no-terraform"])
    assert result.exit_code == 2, result.output
    assert "accelerator.yaml:" in result.stderr and "outside the repository root" in result.stderr
    assert victim.read_text() == "kept\n" and not model.exists()
    # an output directory given on the command line is the user's choice, even outside the root
    elsewhere = tmp_path / "elsewhere"
    assert runner.invoke(app, ["generate", "--no-terraform", "--out", str(elsewhere)]).exit_code == 0
    assert (elsewhere / "model.json").is_file()
