"""infra/infra.yaml: the example loads with its defaults; every bad setting is a located error
(file:line:column, exit 2 from `accelerator infra synth`), never a traceback; sizes and YAML bombs
are bounded; `--no-terraform` writes the App's files without Node."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from accelerator.cli import app
from accelerator.errors import PolicyError
from accelerator.infra import load_infra_config
from accelerator.infra.app_files import app_files
from accelerator.infra.config import MAX_INFRA_BYTES

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = """\
workspace:
  host: https://dbc-1.cloud.databricks.com
  account_id: 0d2a3c4e-1f5b-4a6c-9d7e-8f9a0b1c2d3e
github:
  repository: acme/models
  environments: [prod]
  app_id: 7
ci:
  warehouse_id: abc123
  owner_group: owners
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "infra.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_and_the_defaults(tmp_path: Path) -> None:
    example = load_infra_config(ROOT / "infra" / "infra.yaml")
    assert example.memory.kind == "autoscaling" and example.github.environments == ["dev", "prod"]
    config = load_infra_config(write(tmp_path, MINIMAL))
    assert (config.memory.kind, config.memory.project, config.memory.branch) == (
        "autoscaling",
        "accelerator-bot",
        "production",
    )
    assert (config.memory.database, config.memory.catalog) == ("accelerator", "accelerator_memory")
    assert config.audience == "0d2a3c4e-1f5b-4a6c-9d7e-8f9a0b1c2d3e"  # the account id
    assert config.subjects == [("prod", "repo:acme/models:environment:prod")]
    assert config.workspace.account_host == "https://accounts.cloud.databricks.com"


def test_app_yaml_runs_the_pull_mode_bot_with_its_environment(tmp_path: Path) -> None:
    config = load_infra_config(write(tmp_path, MINIMAL + "app: {pull_interval: 2m, workers: 2}\n"))
    files = app_files(config)
    document = yaml.safe_load(files["app.yaml"])
    assert document["command"] == [
        "accelerator", "serve", "--pull", "--interval", "2m",
        "--host", "0.0.0.0", "--port", "8000", "--workers", "2",
    ]  # fmt: skip
    assert document["env"] == [
        {"name": "GITHUB_APP_ID", "value": "7"},
        {"name": "GITHUB_APP_PRIVATE_KEY", "valueFrom": "github-app-private-key"},
        {"name": "GITHUB_API_URL", "value": "https://api.github.com"},
    ]
    assert files["requirements.txt"] == "databricks-uc-accelerator\n"


def test_synth_without_terraform_writes_the_app_and_github_settings(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["infra", "synth", "--config", str(config), "--out", str(out), "--no-terraform"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "GITHUB.md",
        "app/app.yaml",
        "app/requirements.txt",
    ]
    github = (out / "GITHUB.md").read_text(encoding="utf-8")
    assert "- Pull requests: write" in github and "`pull_request_review_comment`" in github
    assert "| `DATABRICKS_WAREHOUSE_ID` | `abc123` |" in github
    assert "`prod`: `repo:acme/models:environment:prod`" in github


BAD = [
    # (what replaces MINIMAL's text, the message, line, column)
    (("  app_id: 7\n", "  app_id: 7\n  colour: blue\n"), "github.colour: unknown key", 8, 3),
    (("acme/models", "acme/../x y"), "OWNER/REPO as GitHub spells them", 5, 15),
    (("[prod]", "[prod, prod]"), "environment 'prod' is listed twice", 5, 3),
    (("[prod]", "[]"), "github.environments: List should have at least 1 item", 6, 17),
    (("[prod]", '["prod:*"]'), "a GitHub environment name", 6, 18),
    (("0d2a3c4e-1f5b-4a6c-9d7e-8f9a0b1c2d3e", "my-account"), "the Databricks account id", 3, 15),
    (("https://dbc-1.cloud.databricks.com", "http://dbc-1/x?y"), "the workspace URL", 2, 9),
    (("  app_id: 7\n", "  app_id: 7\n  api_url: https://user:pw@ghe.example\n"), "an https:// URL", 8, 12),
    (("  owner_group: owners\n", ""), "give ci.owner_group or ci.manage_catalogs", 8, 1),
    (("  owner_group: owners\n", "  manage_catalogs: [a, a]\n"), "a catalog is listed twice", 10, 3),
    (("  owner_group: owners\n", "  owner_group: '${var.x}'\n"), "a name of 1 to 128 letters", 10, 16),
]


@pytest.mark.parametrize(("replace", "message", "line", "column"), BAD)
def test_bad_settings_are_located(
    tmp_path: Path, replace: tuple[str, str], message: str, line: int, column: int
) -> None:
    assert replace[0] in MINIMAL
    path = write(tmp_path, MINIMAL.replace(replace[0], replace[1], 1))
    with pytest.raises(PolicyError) as caught:
        load_infra_config(path)
    assert message in caught.value.message
    assert (caught.value.file, caught.value.line, caught.value.column) == (str(path), line, column)


BAD_SECTIONS = [
    (
        "memory: {kind: autoscaling, capacity: CU_2}",
        "memory.capacity is a setting of Lakebase Provisioned",
        12,
        29,
    ),
    ("memory: {kind: provisioned, max_cu: 4}", "memory.max_cu is a setting of Lakebase Autoscaling", 12, 29),
    ("memory: {min_cu: 4, max_cu: 2}", "memory.min_cu (4.0) is above memory.max_cu (2.0)", 12, 18),
    ("memory: {min_cu: 0.5, max_cu: 32}", "at most 16 compute units", 12, 31),
    ("memory: {max_cu: 1.3}", "compute units come in steps of 0.5", 12, 18),
    ("memory: {database: 'Bad-Name'}", "a Postgres database name", 12, 20),
    ("memory: {catalog: 'x;drop'}", "a Unity Catalog name", 12, 19),
    ("memory: {project: Project_1}", "an id of 1 to 63 lower-case letters", 12, 19),
    ("app: {name: Accelerator_Bot}", "a Databricks App name", 12, 13),
    ("app: {description: 'hi ${var.x}'}", "one line of plain text", 12, 20),
    ("app: {requirement: '--index-url https://evil.example x'}", "one pip requirement", 12, 20),
    ("app: {pull_interval: 0s}", "a duration such as 30s", 12, 22),
    ("secrets: {scope: 'a b'}", "1 to 128 letters", 12, 18),
    ("state: {s3: {key: '${path.module}'}}", "no Terraform template", 12, 19),
    ("state: {ftp: {path: x}}", "unknown Terraform backend 'ftp'", 12, 9),
    ("state: {local: {path: a}, s3: {key: b}}", "give exactly one Terraform backend", 12, 1),
]


@pytest.mark.parametrize(("section", "message", "line", "column"), BAD_SECTIONS)
def test_bad_sections_are_located(tmp_path: Path, section: str, message: str, line: int, column: int) -> None:
    path = write(tmp_path, MINIMAL + "\n" + section + "\n")
    with pytest.raises(PolicyError) as caught:
        load_infra_config(path)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_the_cli_exits_2_with_a_located_message(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("acme/models", "acme/models x", 1))
    result = CliRunner().invoke(app, ["infra", "synth", "--config", str(path), "--no-terraform"])
    assert result.exit_code == 2
    assert f"{path}:5:15: error: github.repository:" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(app, ["infra", "synth", "--config", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "cannot be read" in missing.output
    assert not (tmp_path / "app").exists()  # nothing written on an error


def test_sizes_and_yaml_bombs_are_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "# " + "x" * MAX_INFRA_BYTES + "\n")
    with pytest.raises(PolicyError, match=r"infra\.yaml may be at most"):
        load_infra_config(path)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    with pytest.raises(PolicyError, match="alias"):
        load_infra_config(write(tmp_path, bomb))
    with pytest.raises(PolicyError, match="expected a mapping at the top"):
        load_infra_config(write(tmp_path, "- a list\n"))
    many = MINIMAL.replace("[prod]", "[" + ", ".join(f"e{i}" for i in range(21)) + "]")
    with pytest.raises(PolicyError, match="at most 20 items"):
        load_infra_config(write(tmp_path, many))
