"""The terminal reads the ERDs and the policy through ProjectConfig (one home for the globbing and
the inside-the-repository checks), with errors located at the accelerator.yaml line that named them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator import config as config_module
from accelerator.channels.cli import inputs
from accelerator.channels.cli.inputs import collect_erds, collect_policy
from accelerator.cli import app
from accelerator.config import ConfigPathError, ProjectConfig, expand_glob, glob_matches, load_config
from accelerator.errors import AcceleratorError


def project(root: Path, config: str, files: dict[str, str]) -> ProjectConfig:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "accelerator.yaml").write_text(config, encoding="utf-8")
    return load_config(root / "accelerator.yaml")


def test_collect_erds_reads_what_erd_files_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project(
        tmp_path,
        "project: shop\nerd:\n  - {path: 'erd/**/*.dbml', catalog: sales, schema: s}\n  - erd/x.sql\n",
        {
            "erd/a.dbml": "Table a { id int }\n",
            "erd/deep/b.dbml": "Table b { id int }\n",
            "erd/x.sql": "CREATE TABLE x (id INT);\n",
        },
    )
    asked: list[int] = []
    original = ProjectConfig.erd_files

    def recorded(self: ProjectConfig, index: int) -> list[Path]:
        asked.append(index)
        return original(self, index)

    monkeypatch.setattr(ProjectConfig, "erd_files", recorded)
    monkeypatch.chdir(tmp_path)
    found = collect_erds(config, None, None)
    assert asked == [0, 1]
    assert [(item.file, item.catalog, item.default_schema) for item in found] == [
        ("erd/a.dbml", "sales", "s"),
        ("erd/deep/b.dbml", "sales", "s"),
        ("erd/x.sql", "shop", "default"),
    ]


def test_inputs_has_no_globbing_of_its_own() -> None:
    tree = ast.parse(Path(inputs.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"glob", "fnmatch"}


@pytest.mark.parametrize(
    ("config", "line", "column", "expected"),
    [
        ("project: x\nerd:\n  - erd/missing.dbml\n", 3, 5, "ERD file erd/missing.dbml not found"),
        ("project: x\nerd:\n  - erd/a.dbml\n  - 'erd/*.mmd'\n", 4, 5, "no ERD file matches 'erd/*.mmd'"),
        ("project: x\nerd: [erd]\n", 2, 7, "ERD file erd is not a regular file"),
        ("project: x\npolicy: policies/none.yaml\n", 2, 9, "policy file policies/none.yaml not found"),
    ],
)
def test_missing_inputs_are_located_at_their_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, line: int, column: int, expected: str
) -> None:
    loaded = project(tmp_path, config, {"erd/a.dbml": "Table a { id int }\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigPathError) as caught:
        collect_erds(loaded, None, None)
        collect_policy(loaded, None)
    assert expected in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_oversized_inputs_are_refused_before_they_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(
        tmp_path,
        "project: x\nerd: [erd/big.dbml]\npolicy: p.yaml\n",
        {"erd/big.dbml": "Table a { id int }\n" * 10, "p.yaml": "version: 1\n" * 10},
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(inputs, "MAX_ERD_BYTES", 100)
    monkeypatch.setattr(inputs, "MAX_POLICY_BYTES", 50)
    with pytest.raises(ConfigPathError) as caught:
        collect_erds(config, None, None)
    assert "erd/big.dbml is 190 bytes; at most 100 are read" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 7)
    with pytest.raises(ConfigPathError) as caught:
        collect_policy(config, None)
    assert "p.yaml is 110 bytes; at most 50" in caught.value.message and caught.value.line == 3
    with pytest.raises(AcceleratorError, match="at most 50"):
        collect_policy(config, Path("p.yaml"))  # --policy: the same limit, no config line to point at


def test_erd_flags_are_globbed_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(
        tmp_path, "project: x\n", {"models/a.dbml": "Table a { id int }\n", "models/.b.dbml": "x"}
    )
    (tmp_path / "models" / "loop").symlink_to(tmp_path, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    found = collect_erds(config, ["models/**/*.dbml"], "mysql")
    assert [(item.file, item.dialect) for item in found] == [("models/a.dbml", "mysql")]
    assert [item.file for item in collect_erds(config, [str(tmp_path / "models" / "a.dbml")], None)] == [
        "models/a.dbml"
    ]
    with pytest.raises(AcceleratorError, match=r"no ERD file matches 'nothing/\*\.dbml'"):
        collect_erds(config, ["nothing/*.dbml"], None)


def test_check_reports_a_missing_erd_at_its_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, "project: x\nerd:\n  - erd/gone.dbml\n", {})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 2, result.output
    assert "accelerator.yaml:3:5" in result.output and "erd/gone.dbml not found" in result.output
    assert "Traceback" not in result.output


PATTERNS = [
    "erd/*.dbml",
    "erd/**/*.dbml",
    "**/*.dbml",
    "erd/**",
    "**",
    "erd/*/x.sql",
    "erd/.h*/*.dbml",
    "erd/.hidden/**/*.dbml",
    "erd/[ab].dbml",
    "erd/[!a].dbml",
    "erd/?.dbml",
    "./erd/../erd/**/x.sql",
    "*/deep/**/*",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_tree_listing_matcher_agrees_with_the_filesystem_glob(tmp_path: Path, pattern: str) -> None:
    """The bot matches globs against the PR head's tree listing; the terminal against the disk: one rule."""
    files = [
        "erd/a.dbml",
        "erd/b.dbml",
        "erd/.c.dbml",
        "erd/sub/d.dbml",
        "erd/sub/x.sql",
        "erd/deep/er/e.dbml",
        "erd/deep/x.sql",
        "erd/.hidden/f.dbml",
        "erd/.hidden/in/g.dbml",
        ".github/workflows/h.dbml",
        "top.dbml",
        "accelerator.yaml",
    ]
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("x")
    on_disk = [
        path.relative_to(tmp_path).as_posix() for path in expand_glob(tmp_path, pattern) if path.is_file()
    ]
    assert glob_matches(pattern, files) == sorted(on_disk)


def test_erd_paths_in_a_listing_and_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project(tmp_path, "project: x\nerd:\n  - 'erd/**/*.dbml'\n  - ./erd/../top.sql\n", {})
    listing = ["erd/a.dbml", "erd/s/b.dbml", "erd/.git/c.dbml", "top.sql", "other.dbml"]
    assert config.erd_paths_in(0, listing) == ["erd/a.dbml", "erd/s/b.dbml"]
    assert config.erd_paths_in(1, listing) == ["top.sql"]
    monkeypatch.setattr(config_module, "MAX_ERD_FILES", 1)
    with pytest.raises(ConfigPathError) as caught:
        config.erd_paths_in(0, listing)
    assert (caught.value.line, caught.value.column) == (
        3,
        5,
    ) and "matches more than 1 files" in caught.value.message
