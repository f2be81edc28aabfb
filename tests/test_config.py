from pathlib import Path

import pytest

from accelerator.config import ProjectConfig, find_config, load_config
from accelerator.errors import PolicyError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "retail" / "accelerator.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accelerator.yaml"
    path.write_text(text)
    return path


def test_example_config_loads() -> None:
    config = load_config(EXAMPLE)
    assert config.project == "retail"
    assert config.environments == ["dev", "staging", "prod"]
    assert config.root == EXAMPLE.parent
    [source] = config.erd_sources()
    assert source.path == "erd/retail.dbml" and source.catalog == "retail"
    assert config.terraform.backend == {"local": {"path": "terraform.{env}.tfstate"}}


def test_bare_string_erd_entries_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "erd: [erd/a.dbml]\n"))
    [source] = config.erd_sources()
    assert (source.path, source.catalog, source.dialect, source.schema_) == (
        "erd/a.dbml",
        None,
        "postgres",
        "default",
    )
    assert config.output == "generated" and config.policy is None


def test_unknown_key_is_located_with_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\nerd:\n  - path: a.dbml\n    catlog: retail\n")
    with pytest.raises(PolicyError) as caught:
        load_config(path)
    error = caught.value
    assert (error.line, error.column) == (4, 5)
    assert "erd.0.catlog: unknown key" in error.message
    assert error.hint is not None and "catalog" in error.hint
    assert "catlog: retail" in error.format()


def test_wrong_value_type_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\nterraform:\n  enabled: maybe\n")
    with pytest.raises(PolicyError) as caught:
        load_config(path)
    assert (caught.value.line, caught.value.column) == (3, 12)
    assert "terraform.enabled" in caught.value.message and "'maybe'" in caught.value.message


def test_two_backends_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "terraform:\n  backend:\n    local: {}\n    s3: {}\n")
    with pytest.raises(PolicyError, match="exactly one backend"):
        load_config(path)


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\nerd: [a, b\n")
    with pytest.raises(PolicyError) as caught:
        load_config(path)
    assert caught.value.line >= 2 and "invalid YAML" in caught.value.message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_find_config(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    path = write(tmp_path, "project: x\n")
    assert find_config(tmp_path) == path
    assert ProjectConfig().project == "main"


def test_the_warehouse_apply_uses_is_configured_and_checked(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "project: x\n")).databricks.warehouse_id is None
    path = write(tmp_path, "project: x\ndatabricks:\n  warehouse_id: abc123DEF\n")
    assert load_config(path).databricks.warehouse_id == "abc123DEF"
    with pytest.raises(PolicyError) as caught:
        load_config(write(tmp_path, 'project: x\ndatabricks:\n  warehouse_id: "x\'; DROP"\n'))
    assert (caught.value.line, caught.value.column) == (3, 17)
    assert "databricks.warehouse_id" in caught.value.message
