"""A pull request's accelerator.yaml is untrusted: names are safe identifiers and every path stays
inside the repository root (the directory holding the file), with located errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator.cli import app
from accelerator.config import ConfigPathError, ProjectConfig, load_config
from accelerator.errors import AcceleratorError, PolicyError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "retail"


def write(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "accelerator.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_config(path)
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        (
            'project: retail\nenvironments: [dev, "../../../../x"]\n',
            2,
            21,
            "environments.1: an environment name",
        ),
        ("environments: [dev, 'a/b']\n", 1, 21, "may contain only ASCII letters, digits, '_' and '-'"),
        ("environments: [dev, '-rf']\n", 1, 21, "not start with '-'"),
        ("environments: [dev, 'p\u202erod']\n", 1, 21, "an environment name may contain only"),
        ("environments: [dev, '']\n", 1, 21, "must not be empty"),
        ("environments: [dev, dev]\n", 1, 15, "environment 'dev' is listed twice"),
        ("project: ../x\n", 1, 10, "project: a project name"),
        ("erd:\n  - path: a.dbml\n    catalog: ../../x\n", 3, 14, "erd.0.catalog: a catalog name"),
        ("erd:\n  - path: a.dbml\n    schema: 'a b'\n", 3, 13, "erd.0.schema: a schema name"),
        ("output: ../out\n", 1, 9, "output: the path leads outside the repository root"),
        ("output: /tmp/x\n", 1, 9, "output: the path must be relative"),
        ("output: 'C:\\\\x'\n", 1, 9, "must be relative"),
        ("output: generated/../..\n", 1, 9, "leads outside"),
        ("policy: ../../policies/p.yaml\n", 1, 9, "policy: the path leads outside"),
        ('erd: ["../../etc/*.sql"]\n', 1, 7, "erd.0.path: the path leads outside"),
        ("erd:\n  - path: /etc/passwd\n", 2, 11, "erd.0.path: the path must be relative"),
        ('erd: ["erd/\\x1b.sql", "erd/\\u202e.sql"]\n', 1, 7, "control or invisible character"),
    ],
)
def test_bad_names_and_paths_are_located_errors(
    tmp_path: Path, text: str, line: int, column: int, expected: str
) -> None:
    error = refused(write(tmp_path, text))
    assert expected in error.message
    assert (error.line, error.column) == (line, column)
    assert error.file.endswith("accelerator.yaml")


def test_paths_inside_the_root_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "erd").mkdir()
    (tmp_path / "erd" / "a.dbml").write_text("Table a { id int }\n")
    config = load_config(
        write(
            tmp_path,
            "project: my-retail_2\nerd: ['erd/**/*.dbml', {path: './erd/../erd/a.dbml', catalog: retail}]\n"
            "policy: policies/p.yaml\noutput: out/generated\nenvironments: [dev, pre-prod, prod_2]\n",
        )
    )
    root = tmp_path.resolve()
    assert config.output_dir() == root / "out" / "generated"
    assert config.policy_path() == root / "policies" / "p.yaml"
    assert config.erd_files(0) == [root / "erd" / "a.dbml"] == config.erd_files(1)
    assert config.inside_root("generated/sql/dev/V0001__x.sql") == root / "generated/sql/dev/V0001__x.sql"


def test_a_symlinked_erd_pointing_outside_is_refused_at_its_line(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.sql").write_text("CREATE TABLE s (id INT);\n")
    root = tmp_path / "repo"
    (root / "erd").mkdir(parents=True)
    (root / "erd" / "good.sql").write_text("CREATE TABLE g (id INT);\n")
    (root / "erd" / "evil.sql").symlink_to(outside / "secret.sql")
    path = write(root, "project: x\nerd:\n  - erd/good.sql\n  - erd/*.sql\n")
    with pytest.raises(ConfigPathError) as caught:
        load_config(path)
    error = caught.value
    assert (error.line, error.column) == (4, 5)
    assert "erd/evil.sql" in error.message and "(through a symbolic link)" in error.message
    assert "outside the repository root" in error.message
    assert error.hint is not None and "symbolic link" in error.hint


def test_a_symlinked_directory_on_the_way_out_is_refused_for_output_and_policy(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / "generated").symlink_to(outside, target_is_directory=True)
    (root / "policies").symlink_to(outside, target_is_directory=True)
    error = refused(write(root, "project: x\n"))  # the default output, `generated`, is a link out
    assert isinstance(error, ConfigPathError) and (error.line, error.column) == (1, 1)
    assert "generated resolves to" in error.message
    error = refused(write(root, "output: out\npolicy: policies/p.yaml\n"))
    assert isinstance(error, ConfigPathError) and (error.line, error.column) == (2, 9)


def test_inside_root_guards_files_found_later(tmp_path: Path) -> None:
    """What the channels call for each file they write under `output` (a link planted in a PR)."""
    root = tmp_path / "repo"
    (root / "generated" / "sql" / "dev").mkdir(parents=True)
    (root / "generated" / "sql" / "dev" / "V0001__init.sql").symlink_to(tmp_path / "victim")
    config = load_config(write(root, "project: x\noutput: generated\n"))
    with pytest.raises(ConfigPathError) as caught:
        config.inside_root("generated/sql/dev/V0001__init.sql", setting=("output",))
    assert (caught.value.line, caught.value.column) == (2, 9)
    with pytest.raises(ConfigPathError):
        config.inside_root(tmp_path / "elsewhere")
    # without a config file the root is the directory itself and the error still says where
    bare = ProjectConfig(root=root)
    with pytest.raises(AcceleratorError, match="outside the repository root"):
        bare.inside_root("../x")


def test_generate_refuses_an_environment_that_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "retail")
    config = tmp_path / "retail" / "accelerator.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "environments: [dev, staging, prod]", 'environments: [dev, "../../../../x"]'
    )
    config.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "retail")
    result = CliRunner().invoke(app, ["generate", "--no-terraform"])
    assert result.exit_code == 2
    assert "accelerator.yaml:9:21" in result.output and "environment name" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "retail" / "generated").exists()
